"""Ingest: each event becomes one entry, in order per organisation, with who, what, when, where."""

import uuid
from collections.abc import Callable
from pathlib import Path

import nats
from sqlalchemy import text
from structlog.testing import capture_logs

from services.audit.consumers import DURABLE
from shared.bus_access import STREAM
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform


async def test_each_event_is_stored_once_with_who_what_when_where__TOM_T3a_ARCH_2(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    read = event(organisation, client_address="192.0.2.44", actor="user-7")
    await producer.send(read)
    await producer.js.publish(read.nats_subject, read.to_json())  # a redelivery, no msg id
    await producer.js.publish(read.nats_subject, read.to_json())
    await producer.send(event(organisation))  # a later event: the redeliveries were handled
    first, _ = await entries_of(audit, organisation, 2)

    assert len(await audit.audit_entries(organisation_id=organisation)) == 2
    assert first.event_id == read.id and first.log_index == 0
    assert (first.actor_id, first.actor_type, first.actor_organisation_id) == (
        "user-7",
        "user",
        organisation,
    )
    assert first.event_type == "dpa.agreements.agreement.viewed.v1"
    assert first.subject == read.subject and first.agreement_id == read.data["agreement_id"]
    assert first.outcome == "succeeded" and first.supplier_intervention is False
    assert first.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert "TOM-T3a" in first.requirements
    assert first.occurred_at is not None and first.recorded_at is not None
    # The client address is personal data: stored sealed, shown to the organisation's readers.
    async with audit.runtime("audit").engine.connect() as connection:
        stored = (await connection.execute(text("SELECT * FROM audit_entry"))).all()
    assert "192.0.2.44" not in str(stored)
    page = await audit.clients["audit"].get("/audit/entries", headers=reader(audit, organisation))
    shown = {item["event_id"]: item for item in page.json()["items"]}
    assert shown[str(read.id)]["personal_data"] == {"client_address": "192.0.2.44"}


async def test_supplier_interventions_are_flagged__TOM_T3c(
    audit: Platform, producer: Producer
) -> None:
    customer, supplier = str(uuid.uuid4()), str(uuid.uuid4())
    await producer.send(
        event(customer, actor="own-user"),
        event(
            customer, actor="op-1", actor_type="operator", actor_organisation=supplier, grant="g1"
        ),
        event(customer, actor="sup-1", actor_organisation=supplier),
    )
    entries = await entries_of(audit, customer, 3)
    assert [(e.actor_id, e.supplier_intervention) for e in entries] == [
        ("own-user", False),
        ("op-1", True),
        ("sup-1", True),
    ]
    assert entries[1].grant_id == "g1"
    page = await audit.clients["audit"].get(
        "/audit/entries?supplier_only=true", headers=reader(audit, customer)
    )
    assert sorted(item["actor_id"] for item in page.json()["items"]) == ["op-1", "sup-1"]


async def test_entries_keep_the_stream_order_per_organisation__ARCH_2(
    audit: Platform, producer: Producer
) -> None:
    organisations = [str(uuid.uuid4()) for _ in range(3)]
    sent = [event(organisations[i % 3]) for i in range(240)]
    await producer.send(*sent)
    for organisation in organisations:
        entries = await entries_of(audit, organisation, 80)
        expected = [e.id for e in sent if e.tenantid == organisation]
        assert [entry.event_id for entry in entries] == expected
        assert [entry.log_index for entry in entries] == list(range(80))
    assert audit.apps["audit"].state.audit_consumer.batches < 240  # fetched in batches


async def test_a_bad_message_inside_a_batch_is_rejected_alone__ARCH_2(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    good = [event(organisation) for _ in range(5)]
    with capture_logs() as logs:
        await producer.send(*good[:2])
        await producer.js.publish(good[0].nats_subject, b"{not json")
        await producer.js.publish(
            good[0].nats_subject,
            event(organisation, data={"agreement_id": "not-a-uuid", "fields": []}).to_json(),
        )
        await producer.send(*good[2:])
        entries = await entries_of(audit, organisation, 5)
    assert [entry.event_id for entry in entries] == [e.id for e in good]
    reasons = [line["reason"] for line in logs if line["event"] == "event.rejected"]
    assert any("not JSON" in reason for reason in reasons)
    assert any("payload does not match" in reason for reason in reasons)


async def test_a_restart_after_a_kill_mid_batch_records_the_unacknowledged_events_first__ARCH_2(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> None:
    """A process that fetched a batch and died never acknowledged it: the restarted audit waits
    one ack wait, so those events come back before the newer ones and the log keeps the stream's
    order (without the wait it recorded the newer ones first)."""
    audit_database = database("audit")

    def platform() -> Platform:
        return Platform(
            nats_url=nats_server.url, database=lambda _: audit_database, var_dir=tmp_path / "var"
        )

    first = await platform().start("audit", checkpoint_interval_seconds=3600.0)
    await first.stop()
    organisation = str(uuid.uuid4())
    sent = [event(organisation) for _ in range(12)]
    connection = await nats.connect(nats_server.url)
    try:
        await Producer(connection.jetstream()).send(*sent)
        killed = await connection.jetstream().pull_subscribe_bind(durable=DURABLE, stream=STREAM)
        assert len(await killed.fetch(batch=4, timeout=5)) == 4  # fetched, never acknowledged
    finally:
        await connection.close()
    restarted = await platform().start("audit", checkpoint_interval_seconds=3600.0)
    try:
        entries = await entries_of(restarted, organisation, len(sent))
        assert [entry.event_id for entry in entries] == [e.id for e in sent]
    finally:
        await restarted.stop()
