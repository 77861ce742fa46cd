"""A client address reaches the audit log as its keyed pseudonym, whoever sent the envelope
(TOM-32a): an external producer's clear address is replaced before audit's outbox stores the
event and publishes it."""

import json
import uuid

from sqlalchemy import select

from shared.auth import Role
from shared.outbox import OutboxMessage
from tests.audit.conftest import Producer, entries_of, reader
from tests.audit.test_external import _access, _parties
from tests.support.platform import Platform

ADDRESS = "192.0.2.177"


async def test_an_external_producers_clear_address_is_stored_and_published_as_a_pseudonym__TOM_32a(
    audit: Platform, producer: Producer
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await _parties(audit, producer, controller, processor)
    access = _access(controller, processor, clientaddr=ADDRESS)
    headers = audit.auth(processor, [Role.admin])
    sent = await audit.clients["audit"].post(
        "/audit/events", content=json.dumps(access), headers=headers
    )
    assert sent.status_code == 202, sent.text
    pseudonym = audit.runtime("audit").pseudonyms.of_address(ADDRESS)
    assert pseudonym.startswith("ip:") and ADDRESS not in pseudonym

    async with audit.runtime("audit").sessions() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.event_id == uuid.UUID(access["id"]))  # type: ignore[arg-type]
        )
    assert row is not None
    assert ADDRESS not in row.envelope
    assert json.loads(row.envelope)["clientaddr"] == pseudonym

    await entries_of(audit, controller, 4)
    shown = await audit.clients["audit"].get(
        "/audit/entries?action=dpa.external.", headers=reader(audit, controller)
    )
    (item,) = shown.json()["items"]
    assert item["personal_data"] == {"client_address": pseudonym}
