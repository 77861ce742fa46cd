"""The notifier in-process with audit, on a real nats-server and real databases, a real SMTP sink
on a free loopback port and a real HTTP receiver that verifies Standard Webhooks signatures."""

import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from pydantic import BaseModel
from sqlalchemy import select

from deploy.mailsink import MailSink
from services.notifier import webhook_signatures
from services.notifier.dispatch import Dispatcher
from services.notifier.ledger import Attempt, Delivery, InboxItem
from shared.auth import Role
from shared.events import Actor, Envelope, new_event
from tests.support.databases import Database
from tests.support.nats import NatsServer, free_port
from tests.support.platform import Platform, eventually


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on loopback: answers ``status`` and checks every signature it gets."""

    secrets: list[str] = field(default_factory=list)
    status: int = 200
    calls: list[Call] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def verified_calls(self) -> list[Call]:
        return [call for call in self.calls if call.verified]


def _receiver_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {key.lower(): value for key, value in self.headers.items()}
            verified = any(
                webhook_signatures.verify(
                    secret=s, headers_=headers, body=body, now=int(time.time())
                )
                for s in receiver.secrets
            )
            receiver.calls.append(Call(self.path, headers, body, verified))
            self.send_response(receiver.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(port=free_port())
    server = ThreadingHTTPServer(("127.0.0.1", state.port), _receiver_handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def mail_sink(tmp_path: Path) -> Iterator[MailSink]:
    sink = MailSink(tmp_path / "var" / "mail", port=free_port()).start()
    yield sink
    sink.stop()


class Notifier:
    """Drives the notifier: publishes other services' events, registers recipients, reads state."""

    def __init__(self, platform: Platform, sink: MailSink) -> None:
        self.platform = platform
        self.sink = sink

    @property
    def client(self) -> httpx.AsyncClient:
        return self.platform.clients["notifier"]

    async def restart(self) -> None:
        """Stop the services and start new ones on the same databases and NATS stream."""
        old = self.platform
        await old.stop()
        self.platform = Platform(
            nats_url=old.nats_url, database=old.database, var_dir=old.var_dir, **old.overrides
        )
        self.platform.signer = old.signer
        await self.platform.start("notifier", "audit")

    @property
    def dispatcher(self) -> Dispatcher:
        dispatcher: Dispatcher = self.platform.apps["notifier"].state.dispatcher
        return dispatcher

    def auth(
        self, organisation: str, user_id: str | None = None, role: Role = Role.admin
    ) -> dict[str, str]:
        token = self.platform.token(organisation, (role,), user_id=user_id)
        return {"Authorization": f"Bearer {token}"}

    async def publish(self, event: Envelope, *, msg_id: bool = True) -> None:
        connection = await nats.connect(self.platform.nats_url)
        try:
            headers = {"Nats-Msg-Id": str(event.id)} if msg_id else None
            await connection.jetstream().publish(
                event.nats_subject, event.to_json(), headers=headers
            )
        finally:
            await connection.close()

    async def contact(self, organisation: str, topics: list[str], **fields: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/notifier/contacts", json={"topics": topics} | fields, headers=self.auth(organisation)
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def endpoint(
        self, organisation: str, receiver: Receiver, topics: list[str]
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/notifier/endpoints",
            json={"url": receiver.url, "topics": topics},
            headers=self.auth(organisation),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        receiver.secrets.append(body["secret"])
        return body

    async def deliveries(self, **where: Any) -> list[Delivery]:
        async with self.platform.runtime("notifier").sessions() as session:
            query = select(Delivery).filter_by(**where).order_by(Delivery.created_at)  # type: ignore[arg-type]
            return list((await session.scalars(query)).all())

    async def attempts(self, delivery_id: uuid.UUID) -> list[Attempt]:
        async with self.platform.runtime("notifier").sessions() as session:
            query = select(Attempt).filter_by(delivery_id=delivery_id).order_by(Attempt.number)  # type: ignore[arg-type]
            return list((await session.scalars(query)).all())

    async def inbox(self, **where: Any) -> list[InboxItem]:
        async with self.platform.runtime("notifier").sessions() as session:
            query = select(InboxItem).filter_by(**where).order_by(InboxItem.created_at)  # type: ignore[arg-type]
            return list((await session.scalars(query)).all())

    def mail_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.sink.messages if str(m["To"]) == address]

    async def tick(self, now: datetime) -> int:
        return await self.dispatcher.tick(now)

    async def evidence(self, organisation: str, event_type: str) -> list[Any]:
        return [
            entry
            for entry in await self.platform.audit_entries(organisation_id=organisation)
            if entry.event_type == event_type
        ]

    async def settled(self, organisation: str) -> None:
        """Every delivery of ``organisation`` has left the pending state."""

        async def done() -> bool:
            rows = await self.deliveries(organisation_id=organisation)
            return bool(rows) and all(row.status.value in {"delivered", "failed"} for row in rows)

        await eventually(done)

    async def settled_or_pending(self, organisation: str) -> None:
        """Every delivery of ``organisation`` was attempted at least once."""

        async def attempted() -> bool:
            rows = await self.deliveries(organisation_id=organisation)
            return bool(rows) and all(row.attempts >= 1 for row in rows)

        await eventually(attempted)


def event(type: str, tenant: str, data: BaseModel, *, source: str = "/dpa/agreements",
          actor: Actor | None = None) -> Envelope:  # fmt: skip
    return new_event(
        source=source,
        type=type,
        tenant=tenant,
        actor=actor or Actor.system(source.rsplit("/", 1)[1]),
        data=data,
    )


def start_platform(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path, sink: MailSink
) -> Platform:
    kept: dict[str, Database] = {}

    def same_database(service: str) -> Database:  # a restart finds its data again
        return kept.setdefault(service, database(service))

    return Platform(
        nats_url=nats_server.url,
        database=same_database,
        var_dir=tmp_path / "var",
        smtp_port=sink.port,
        public_base_url="https://pactum.test",
        dispatch_poll_seconds=0.05,
    )


@pytest.fixture
async def notifier(
    nats_server: NatsServer,
    database: Callable[[str], Database],
    tmp_path: Path,
    mail_sink: MailSink,
) -> AsyncIterator[Notifier]:
    platform = start_platform(nats_server, database, tmp_path, mail_sink)
    await platform.start("notifier", "audit")
    running = Notifier(platform, mail_sink)
    yield running
    await running.platform.stop()
