"""ARCH-2: every access or change is emitted once and consumed once by audit, and by the notifier
when it plans a notice for it (its durable takes only those: reads never reach it)."""

import uuid

import pytest
from structlog.testing import capture_logs

from services.agreements.lifecycle.store import Agreement
from services.audit.store import AuditEntry
from shared.events import Envelope
from shared.events.contracts.agreements import AgreementStatusChanged
from shared.outbox import OutboxMessage, pending_count
from tests.agreements.organisations import new_organisation
from tests.support.events import emit
from tests.support.platform import Platform, eventually

ACTIVATED = "dpa.agreements.agreement.activated.v1"  # the notifier plans a notice for it


async def _activation(platform: Platform, organisation: str) -> Envelope:
    """An event the notifier takes, through the agreements service's outbox and relay."""
    return await emit(
        platform,
        "agreements",
        type=ACTIVATED,
        tenant=organisation,
        data=AgreementStatusChanged(agreement_id=uuid.uuid4(), status="active", version=1),
    )


async def _agreements_entries(platform: Platform, organisation: str) -> list[AuditEntry]:
    """The organisation's entries of agreements' events (not the notices the notifier issued)."""
    entries = await platform.audit_entries(organisation_id=organisation)
    return [e for e in entries if e.event_type.startswith("dpa.agreements.")]


async def test_one_change_and_one_read_give_one_audit_entry_each_and_no_notifier_work__ARCH_2(
    platform: Platform,
) -> None:
    organisation = await new_organisation(platform, by_event=False)
    headers = platform.auth(organisation)
    agreements = platform.clients["agreements"]

    created = await agreements.post(
        "/agreements", json={"title": "UTOPIA x iBeauty"}, headers=headers
    )
    assert created.status_code == 201, created.text
    agreement_id = created.json()["id"]
    read = await agreements.get(f"/agreements/{agreement_id}", headers=headers)
    assert read.status_code == 200, read.text

    activation = await _activation(platform, organisation)  # after both, in the stream too

    async def all_recorded() -> bool:
        return len(await _agreements_entries(platform, organisation)) >= 3 and bool(
            await platform.receipts(organisation_id=organisation)
        )

    await eventually(all_recorded)
    await platform.runtime("agreements").relay.publish_pending()  # nothing left to send twice

    entries = await _agreements_entries(platform, organisation)
    assert [e.event_type for e in entries] == [
        "dpa.agreements.agreement.created.v1",
        "dpa.agreements.agreement.viewed.v1",
        ACTIVATED,
    ]
    assert all(e.subject == agreement_id for e in entries[:2])
    assert entries[1].data["fields"]  # the read names the fields returned ...
    assert "UTOPIA" not in str(entries[1].data)  # ... never their values
    # The notifier took the activation once; the change and the read before it never reached it.
    receipts = await platform.receipts(organisation_id=organisation)
    assert [r.event_id for r in receipts] == [activation.id]
    assert await pending_count(platform.runtime("agreements").sessions) == 0
    assert await platform.count("agreements", Agreement) == 1
    assert await platform.count("agreements", OutboxMessage) == 3


async def _publish_raw(url: str, subject: str, body: bytes, msg_id: str | None) -> bool:
    """Publish with plain nats-py; returns whether JetStream reported a duplicate."""
    import nats

    connection = await nats.connect(url)
    try:
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        ack = await connection.jetstream().publish(subject, body, headers=headers)
        return bool(ack.duplicate)
    finally:
        await connection.close()


async def test_same_event_published_twice_is_stored_once__ARCH_2(platform: Platform) -> None:
    organisation = await new_organisation(platform, by_event=False)
    sent = await _activation(platform, organisation)
    await eventually(lambda: _has_id(platform, organisation, sent.id))
    async with platform.runtime("agreements").sessions() as session:
        row = await session.get(OutboxMessage, 1)
    assert row is not None and row.event_id == sent.id

    url = platform.nats_url
    # Same Nats-Msg-Id: JetStream drops it inside its duplicate window.
    assert await _publish_raw(url, row.subject, row.envelope.encode(), str(row.event_id))
    # No Nats-Msg-Id (as after the window): the stream keeps it, the consumers' inbox drops it.
    assert not await _publish_raw(url, row.subject, row.envelope.encode(), None)
    marker = await _activation(platform, organisation)  # after the copies in the stream
    await eventually(lambda: _has_id(platform, organisation, marker.id))

    entries = await _agreements_entries(platform, organisation)
    assert [str(e.event_id) for e in entries] == [str(sent.id), str(marker.id)]
    receipts = await platform.receipts(organisation_id=organisation)
    assert [r.event_id for r in receipts] == [sent.id, marker.id]


async def _has_id(platform: Platform, organisation: str, event_id: uuid.UUID) -> bool:
    entries = await platform.audit_entries(organisation_id=organisation)
    receipts = await platform.receipts(organisation_id=organisation, event_id=event_id)
    return bool(receipts) and str(event_id) in {str(e.event_id) for e in entries}


async def test_relay_crash_between_publish_and_mark_still_gives_one_entry__ARCH_2(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay = platform.runtime("agreements").relay
    crashes = 0
    original_mark = relay._mark

    async def crash_before_marking(published: list[int], failure: object) -> None:
        nonlocal crashes
        if published and crashes == 0:
            crashes += 1
            raise ConnectionError("process died between publish and mark")
        await original_mark(published, failure)  # type: ignore[arg-type]

    monkeypatch.setattr(relay, "_mark", crash_before_marking)
    organisation = await new_organisation(platform, by_event=False)
    with capture_logs() as logs:
        await _activation(platform, organisation)

        async def published_and_marked() -> bool:
            return await pending_count(platform.runtime("agreements").sessions) == 0

        await eventually(published_and_marked)
    assert crashes == 1
    assert [e for e in logs if e["event"] == "outbox.duplicate_dropped_by_stream"]
    await eventually(lambda: platform.receipts(organisation_id=organisation))
    async with platform.runtime("agreements").sessions() as session:
        row = await session.get(OutboxMessage, 1)
    assert row is not None and row.attempts == 1  # marked once, after the second publish
    entries = await _agreements_entries(platform, organisation)
    assert len(entries) == 1
    assert len(await platform.receipts(organisation_id=organisation)) == 1


async def test_relay_publishes_a_batch_in_the_order_it_was_written(platform: Platform) -> None:
    """The relay does not wait for each PubAck in turn, yet the stream keeps the outbox order."""
    import nats
    from nats.js.api import ConsumerConfig, DeliverPolicy

    from shared.events import Actor
    from shared.events.contracts.agreements import AgreementsListed

    runtime = platform.runtime("agreements")
    organisation = str(uuid.uuid4())
    async with runtime.sessions() as session, session.begin():
        written = [
            runtime.outbox.add(
                session,
                type="dpa.agreements.agreement.listed.v1",
                tenant=organisation,
                actor=Actor(id="u-1", organisation_id=organisation),
                data=AgreementsListed(agreement_ids=[]),
            ).id
            for _ in range(250)
        ]

    async def relayed() -> bool:
        return await pending_count(runtime.sessions) == 0

    await eventually(relayed)
    connection = await nats.connect(platform.nats_url)
    try:
        js = connection.jetstream()
        subscription = await js.pull_subscribe(
            f"dpa.{organisation}.>",
            durable=None,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        received: list[str] = []
        while len(received) < len(written):
            for message in await subscription.fetch(100, timeout=5):
                received.append(message.headers["Nats-Msg-Id"])  # type: ignore[index]
                await message.ack()
    finally:
        await connection.close()
    assert received == [str(event_id) for event_id in written]
