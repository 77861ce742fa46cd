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
from shared.auth import Role, TokenSigner
from tests.support.databases import Database, PostgresRun, skip_or_fail_without_postgres
from tests.support.nats import NatsCluster, free_port
from tests.support.replicas import (
    SERVICES,
    Replica,
    replica_environment,
    stop_gracefully,
    wait_until_ready,
)

# Settings of a scaled-out deployment: events on three stream replicas, quick relays and
# dispatch, mail to the test's mail sink.
FLEET_SETTINGS = {
    "PACTUM_STREAM_REPLICAS": "3",
    "PACTUM_OUTBOX_POLL_SECONDS": "0.1",
    "PACTUM_CONSUMER_ACK_WAIT_SECONDS": "10",
    "PACTUM_NOTIFIER_DISPATCH_POLL_SECONDS": "0.2",
    "PACTUM_NOTIFIER_PUBLIC_BASE_URL": "https://pactum.test",
}


@dataclass
class Fleet:
    """Service replicas started on demand against one cluster, one database per service."""

    work_dir: Path
    nats_url: str
    databases: dict[str, Database]
    mail_port: int
    replicas: list[Replica] = field(default_factory=list)
    identity_port: int = field(default_factory=free_port)

    @property
    def var_dir(self) -> Path:
        return self.work_dir / "var"

    def start(self, service: str) -> Replica:
        """A new replica of ``service``, numbered from 1; identity's first one answers on
        ``identity_port``, the address every replica fetches the signing keys from."""
        index = 1 + len(self.of(service))
        port = self.identity_port if service == "identity" and index == 1 else free_port()
        replica = Replica(service, index, port, self.work_dir / f"{service}-{index}.log")
        replica.start(
            replica_environment(
                replica,
                database=self.databases[service],
                nats_url=self.nats_url,
                var_dir=self.var_dir,
                identity_url=f"http://127.0.0.1:{self.identity_port}",
                settings=FLEET_SETTINGS | {"PACTUM_NOTIFIER_SMTP_PORT": str(self.mail_port)},
                inherit_settings=False,
            )
        )
        self.replicas.append(replica)
        return replica

    def of(self, service: str) -> list[Replica]:
        return [replica for replica in self.replicas if replica.service == service]

    async def ready(self, *replicas: Replica, within: float = 60.0) -> None:
        """Every replica answers ``/readyz`` with 200 (and none has exited)."""
        await wait_until_ready(replicas, within=within, request_timeout=5.0, interval=0.2)

    def signer(self) -> TokenSigner:
        key = (self.var_dir / "identity" / "signing-key.pem").read_bytes()
        return TokenSigner.from_pem(key, issuer="pactum-identity", audience="pactum")

    def auth(self, organisation: str, role: Role = Role.admin) -> dict[str, str]:
        token = self.signer().issue(
            user_id=f"admin-{organisation[:8]}", organisation_id=organisation, roles=[role]
        )
        return {"Authorization": f"Bearer {token}"}

    def stop(self) -> dict[str, str]:
        """Stop every replica (SIGTERM, then wait); returns each one's log."""
        stop_gracefully(self.replicas)
        return {replica.name: replica.log() for replica in self.replicas}


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
