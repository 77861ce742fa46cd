"""Scaled-out platforms on loopback: a three-node NATS cluster, PostgreSQL, and service replicas
as real processes (``python -m services.<name>``), as compose runs them with ``--scale``.

Replicas of one service share its database (one PostgreSQL schema) and its var directory (the
keys), and their durable consumers share the work. Tokens are signed with the key identity
created under the var directory, as in ``tests/e2e``.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from deploy.mailsink import MailSink
from tests.support.databases import PostgresRun, skip_or_fail_without_postgres
from tests.support.fleet import Fleet
from tests.support.nats import NatsCluster, free_port
from tests.support.replicas import SERVICES


@dataclass
class Hooks:
    """A webhook receiver on loopback that answers 204 and keeps each call's headers."""

    port: int = field(default_factory=free_port)
    calls: list[dict[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                calls.append({key.lower(): value for key, value in self.headers.items()})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        return Handler


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    state = Hooks()
    server = ThreadingHTTPServer(("127.0.0.1", state.port), state.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    running = NatsCluster(tmp_path / "nats").start()
    yield running
    running.stop()


@pytest.fixture
def mail_sink(tmp_path: Path) -> Iterator[MailSink]:
    sink = MailSink(tmp_path / "mail", port=free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture
def fleet(
    cluster: NatsCluster, postgres_run: PostgresRun | str, mail_sink: MailSink, tmp_path: Path
) -> Iterator[Fleet]:
    """Replicas share a database, so the fleet runs on PostgreSQL only."""
    if isinstance(postgres_run, str):
        skip_or_fail_without_postgres(postgres_run)
    assert isinstance(postgres_run, PostgresRun)
    running = Fleet(
        work_dir=tmp_path,
        nats_url=cluster.url,
        databases={service: postgres_run.database(service) for service in SERVICES},
        mail_port=mail_sink.port,
    )
    yield running
    logs = running.stop()
    for name, output in logs.items():
        # uvicorn re-raises SIGTERM after its graceful shutdown, so the exit code is -15.
        assert '"event": "service.stopped"' in output, f"{name}:\n{output[-3000:]}"
