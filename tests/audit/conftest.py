"""Fixtures for the audit service: the audit service alone on a real nats-server and database,
and a producer that publishes envelopes onto JetStream the way the relay does."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.audit.store import AuditEntry
from shared.auth import Role
from shared.database import create_engine
from shared.events import Envelope
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually


@pytest.fixture
async def audit(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> AsyncIterator[Platform]:
    """The audit service only (no periodic checkpoints during a test)."""
    running = Platform(nats_url=nats_server.url, database=database, var_dir=tmp_path / "var")
    await running.start("audit", checkpoint_interval_seconds=3600.0)
    yield running
    await running.stop()


class Producer:
    """Publishes envelopes to JetStream with ``Nats-Msg-Id`` = event id, as the relay does."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def send(self, *events: Envelope) -> None:
        for event in events:
            await self.js.publish(
                event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)}
            )


@pytest.fixture
async def producer(nats_server: NatsServer, audit: Platform) -> AsyncIterator[Producer]:
    connection = await nats.connect(nats_server.url)
    yield Producer(connection.jetstream())
    await connection.close()


def event(
    organisation: str,
    *,
    type: str = "dpa.agreements.agreement.viewed.v1",
    actor: str = "user-1",
    actor_type: str = "user",
    actor_organisation: str | None = None,
    grant: str | None = None,
    outcome: str = "succeeded",
    subject: str | None = None,
    client_address: str | None = None,
    data: dict[str, Any] | None = None,
    when: datetime | None = None,
    actor_name: str | None = None,
) -> Envelope:
    """A valid envelope of a catalogued type (an agreement read unless told otherwise)."""
    agreement = str(uuid.uuid4())
    return Envelope(
        id=uuid.uuid4(),
        source=f"/dpa/{type.split('.')[1]}",
        type=type,
        subject=subject or agreement,
        time=when or datetime.now(UTC),
        tenantid=organisation,
        actorid=actor,
        actortype=actor_type,
        actororgid=actor_organisation if actor_organisation is not None else organisation,
        grantid=grant,
        actorname=actor_name,
        outcome=outcome,
        clientaddr=client_address,
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        data=data if data is not None else {"agreement_id": agreement, "fields": ["title"]},
    )


async def entries_of(platform: Platform, organisation: str, count: int) -> list[AuditEntry]:
    """Wait until the organisation's log holds ``count`` entries; they, in log order."""

    async def enough() -> list[AuditEntry] | None:
        entries = await platform.audit_entries(organisation_id=organisation)
        return entries if len(entries) >= count else None

    found: list[AuditEntry] = await eventually(enough)  # type: ignore[arg-type]
    return sorted(found, key=lambda entry: entry.log_index)


def reader(platform: Platform, organisation: str, role: Role = Role.auditor) -> dict[str, str]:
    return platform.auth(organisation, [role])


@asynccontextmanager
async def owner(platform: Platform) -> AsyncIterator[AsyncEngine]:
    """The audit database as its owner: the migration role on PostgreSQL (the service's own
    role cannot even try what follows), the one file on SQLite. An attacker with that login."""
    settings = platform.runtime("audit").settings
    engine = create_engine(settings.migration_url, schema=settings.database_schema)
    try:
        yield engine
    finally:
        await engine.dispose()


async def drop_guards(platform: Platform) -> None:
    """What an attacker with the owner's login does first: remove the append-only triggers."""
    async with owner(platform) as engine, engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            for name in ("audit_entry_no_update", "audit_entry_no_delete"):
                await connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        else:
            await connection.execute(
                text("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
            )


async def tamper(platform: Platform, *statements: str, as_owner: bool = True) -> None:
    """Run ``statements`` in one transaction as the owner, or as the audit service's own role."""
    if as_owner:
        async with owner(platform) as engine, engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
        return
    async with platform.runtime("audit").engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))
