"""Consumers believe an event only from the service its subject names (TOM-T5), on real NATS.

Each service's NATS user may publish only on its own subjects (test_bus_permissions.py); these
tests hold the other half: an envelope whose ``source`` is not the subject's service is rejected,
logged with its reason and terminated, and changes nothing, whichever consumer reads it.
"""

import uuid
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
from pydantic import BaseModel
from structlog.testing import capture_logs

from services.agreements.directory import store as directory
from shared.broker import stream_config
from shared.events import Actor, Envelope, new_event
from shared.events.contracts.identity import OrganisationCreated, SessionRevoked
from shared.revocation import RevocationList, listen
from shared.settings import ServiceSettings
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually


def _identity_event(type: str, data: BaseModel, *, source: str = "/dpa/identity") -> Envelope:
    return new_event(
        source=source,
        type=type,
        tenant=str(uuid.uuid4()),
        actor=Actor.system("identity"),
        data=data,
    )


def _rejections(logs: list[MutableMapping[str, Any]], consumer: str) -> list[str]:
    return [
        str(entry["reason"])
        for entry in logs
        if entry["event"] == "event.rejected" and entry.get("consumer") == consumer
    ]


async def test_revocation_is_taken_only_from_identity__TOM_T5(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    connection = await nats.connect(nats_server.url)
    js = connection.jetstream()
    await js.add_stream(stream_config(ServiceSettings(var_dir=tmp_path)))
    revocations = RevocationList(remember=timedelta(minutes=5))
    subscriptions = await listen(connection, stream="DPA_EVENTS", revocations=revocations)
    forged_session, real_session = str(uuid.uuid4()), str(uuid.uuid4())
    forged = _identity_event(
        "dpa.identity.session.revoked.v1",
        SessionRevoked(user_id=uuid.uuid4(), session_ids=[forged_session], reason="admin"),
        source="/dpa/agreements",
    )
    real = _identity_event(
        "dpa.identity.session.revoked.v1",
        SessionRevoked(user_id=uuid.uuid4(), session_ids=[real_session], reason="logout"),
    )
    try:
        with capture_logs() as logs:
            await js.publish(forged.nats_subject, forged.to_json())
            await js.publish(real.nats_subject, real.to_json())

            async def applied() -> bool:
                return revocations.is_revoked(session_id=real_session, grant_id=None)

            await eventually(applied)
    finally:
        for subscription in subscriptions:
            await subscription.unsubscribe()
        await connection.close()

    assert not revocations.is_revoked(session_id=forged_session, grant_id=None)
    reasons = _rejections(logs, "revocations")
    assert len(reasons) == 1, reasons
    assert "source '/dpa/agreements' does not match the subject's service" in reasons[0]


async def test_durable_consumer_rejects_an_organisation_another_service_announced__TOM_T5(
    platform: Platform,
) -> None:
    """agreements' ``agreements-organisations`` durable (the consumer engine, one event at a
    time) takes in only what identity said; a forged organisation never reaches the directory or
    the inbox."""
    forged_id, real_id = uuid.uuid4(), uuid.uuid4()
    forged = _identity_event(
        "dpa.identity.organisation.created.v1",
        OrganisationCreated(organisation_id=forged_id, kind="processor", name="Forged BV"),
        source="/dpa/notifier",
    )
    real = _identity_event(
        "dpa.identity.organisation.created.v1",
        OrganisationCreated(organisation_id=real_id, kind="controller", name="Gemeente Utopia"),
    )
    assert forged.time < datetime.now(UTC)
    connection = await nats.connect(platform.nats_url)
    js = connection.jetstream()
    sessions = platform.runtime("agreements").sessions
    with capture_logs() as logs:
        await js.publish(forged.nats_subject, forged.to_json())
        await js.publish(real.nats_subject, real.to_json())
        await connection.close()

        async def known() -> object:
            async with sessions() as session:
                return await directory.kind_of(session, real_id)

        await eventually(known)

    async with sessions() as session:
        assert await directory.kind_of(session, forged_id) is None
    reasons = _rejections(logs, "agreements-organisations")
    assert len(reasons) == 1, reasons
    assert "source '/dpa/notifier' does not match the subject's service" in reasons[0]
