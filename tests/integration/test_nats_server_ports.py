"""A test's nats-server starts even when the free port it was given is taken before it binds
(another process on the machine got there first): it chooses other ports and starts again."""

import socket
from pathlib import Path

from deploy.natsserver import NatsServer


def test_a_port_taken_before_the_bind_gets_another_and_the_server_starts(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        server = NatsServer(tmp_path / "nats", name="ports")
        server.monitor_port = taken  # as if another process bound it after free_port()
        server.start()
        try:
            assert server.running
            assert server.monitor_port != taken
            assert "address already in use" in server.log_path.read_text()
        finally:
            server.stop()
