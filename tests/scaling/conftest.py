"""Scaled-out platforms on loopback: a three-node NATS cluster, PostgreSQL, and service replicas
as real processes (``python -m services.<name>``), as compose runs them with ``--scale``.

Replicas of one service share its database (one PostgreSQL schema) and its var directory (the
keys), and their durable consumers share the work. Tokens are signed with the key identity
created under the var directory, as in ``tests/e2e``.
"""

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.mailsink import MailSink
from shared.auth import Role, TokenSigner
from tests.support.databases import Database, PostgresRun, skip_or_fail_without_postgres
from tests.support.nats import NatsCluster, free_port
from tests.support.platform import eventually

SERVICES = ("identity", "agreements", "audit", "notifier")


@dataclass
class Replica:
    service: str
    index: int
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


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

    def environment(self, service: str, port: int) -> dict[str, str]:
        database = self.databases[service]
        identity = f"http://127.0.0.1:{self.identity_port}"
        prefix = f"PACTUM_{service.upper()}_"
        values = {
            "PACTUM_NATS_URL": self.nats_url,
            "PACTUM_STREAM_REPLICAS": "3",
            "PACTUM_VAR_DIR": str(self.var_dir),
            "PACTUM_JWKS_URL": f"{identity}/.well-known/jwks.json",
            "PACTUM_LOG_LEVEL": "INFO",
            "PACTUM_OUTBOX_POLL_SECONDS": "0.1",
            "PACTUM_CONSUMER_ACK_WAIT_SECONDS": "10",
            "PACTUM_NOTIFIER_SMTP_PORT": str(self.mail_port),
            "PACTUM_NOTIFIER_DISPATCH_POLL_SECONDS": "0.2",
            "PACTUM_NOTIFIER_IDENTITY_URL": identity,
            "PACTUM_NOTIFIER_PUBLIC_BASE_URL": "https://pactum.test",
            f"{prefix}DATABASE_URL": database.url,
            f"{prefix}DATABASE_SCHEMA": database.schema or "",
            f"{prefix}PORT": str(port),
        }
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("PACTUM_")}
        return inherited | values

    def start(self, service: str) -> Replica:
        index = 1 + sum(1 for replica in self.replicas if replica.service == service)
        port = self.identity_port if service == "identity" and index == 1 else free_port()
        log_path = self.work_dir / f"{service}-{index}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"],
            env=self.environment(service, port),
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        replica = Replica(service, index, port, log_path, process)
        self.replicas.append(replica)
        return replica

    def of(self, service: str) -> list[Replica]:
        return [replica for replica in self.replicas if replica.service == service]

    async def ready(self, *replicas: Replica, within: float = 60.0) -> None:
        """Every replica answers ``/readyz`` with 200 (and none has exited)."""
        async with httpx.AsyncClient(timeout=5) as client:

            async def all_ready() -> bool:
                for replica in replicas:
                    if replica.process.poll() is not None:
                        raise AssertionError(f"{replica.name} exited:\n{replica.log()[-3000:]}")
                    try:
                        answer = await client.get(f"{replica.url}/readyz")
                    except httpx.TransportError:
                        return False
                    if answer.status_code != 200:
                        return False
                return True

            await eventually(all_ready, within=within, interval=0.2)

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
        for replica in self.replicas:
            if replica.process.poll() is None:
                replica.process.terminate()
        logs = {}
        for replica in self.replicas:
            try:
                replica.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait(timeout=10)
            logs[replica.name] = replica.log()
        return logs


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
