"""Retention of the notifier's own personal data (TOM-T1, TOM-32a): past its period a delivery
loses its address and text but stays as evidence of the notice; inbox items are deleted; each run
is an audited event per organisation, and runs once."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from services.notifier import retention
from services.notifier.ledger import Delivery, InboxItem
from shared.auth import Role
from tests.notifier.conftest import Notifier, event
from tests.notifier.test_breach_notices import breach_notice
from tests.support.platform import eventually

ADDRESS = "dpo@gemeente.example"


async def _run(notifier: Notifier, now: datetime) -> dict[str, int]:
    settings = notifier.platform.runtime("notifier").settings
    runtime = notifier.platform.runtime("notifier")
    return await retention.apply_retention(
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        cutoffs=retention.Cutoffs.at(
            now,
            delivery_days=getattr(settings, "delivery_retention_days"),  # noqa: B009
            inbox_read_days=getattr(settings, "inbox_read_retention_days"),  # noqa: B009
        ),
        batch_size=getattr(settings, "retention_batch_size"),  # noqa: B009
        now=now,
    )


async def _age(notifier: Notifier, organisation: str, *, days: int) -> None:
    """Time passing, without waiting: the organisation's notices were planned ``days`` ago."""
    then = datetime.now(UTC) - timedelta(days=days)
    async with notifier.platform.runtime("notifier").sessions() as session, session.begin():
        await session.execute(
            update(Delivery)
            .where(col(Delivery.organisation_id) == organisation)
            .values(created_at=then)
        )
        await session.execute(
            update(InboxItem)
            .where(col(InboxItem.organisation_id) == organisation)
            .values(created_at=then)
        )


async def _breach_notice_to_address_and_inbox(notifier: Notifier, organisation: str) -> None:
    await notifier.contact(organisation, ["breach"], email=ADDRESS)
    await notifier.contact(organisation, ["breach"], user_id="u-dpo")
    data = breach_notice(organisation)
    await notifier.publish(event("dpa.agreements.breach_notice.issued.v1", organisation, data))
    await notifier.settled(organisation)


async def test_deliveries_past_retention_keep_the_evidence_without_address_or_text__TOM_T1(
    notifier: Notifier,
) -> None:
    settings = notifier.platform.runtime("notifier").settings
    assert getattr(settings, "delivery_retention_days") == 400  # noqa: B009
    assert getattr(settings, "inbox_read_retention_days") == 180  # noqa: B009
    old, recent = str(uuid.uuid4()), str(uuid.uuid4())
    await _breach_notice_to_address_and_inbox(notifier, old)
    await _breach_notice_to_address_and_inbox(notifier, recent)
    await _age(notifier, old, days=401)
    await _age(notifier, recent, days=399)
    before = {d.id: d for d in await notifier.deliveries(organisation_id=old)}
    assert any(d.message.get("to") == ADDRESS for d in before.values())

    now = datetime.now(UTC)
    done = await _run(notifier, now)

    assert set(done) == {old}
    cleared = await notifier.deliveries(organisation_id=old)
    assert {d.id for d in cleared} == set(before)  # every delivery is still there
    for delivery in cleared:
        assert delivery.retention_applied_at is not None
        assert delivery.status == before[delivery.id].status
        assert delivery.delivered_at == before[delivery.id].delivered_at
        assert delivery.recipient == before[delivery.id].recipient  # the role, by id
        assert set(delivery.message) <= set(retention.KEPT_IN_MESSAGE)
        assert ADDRESS not in repr(delivery.message)
        assert "subject" not in delivery.message and "text" not in delivery.message
    assert await notifier.inbox(organisation_id=old) == []  # unread, past 400 days
    # The younger organisation keeps everything.
    kept = await notifier.deliveries(organisation_id=recent)
    assert all(d.retention_applied_at is None for d in kept)
    assert any(d.message.get("to") == ADDRESS for d in kept)
    assert len(await notifier.inbox(organisation_id=recent)) == 1

    # The evidence API still shows the deliveries, with when their content was removed.
    listed = await notifier.client.get("/notifier/deliveries", headers=notifier.auth(old))
    assert listed.status_code == 200, listed.text
    assert {item["retention_applied_at"] is not None for item in listed.json()["items"]} == {True}
    # A cleared delivery cannot be replayed: a clear 4xx, nothing changes.
    email = next(d for d in cleared if d.channel.value == "email")
    replay = await notifier.client.post(
        f"/notifier/deliveries/{email.id}/replay", headers=notifier.auth(old)
    )
    assert replay.status_code == 422, replay.text
    [after] = await notifier.deliveries(id=email.id)
    assert after.status == email.status and after.message == email.message

    # One audited event for the organisation, with counts only; a second run does nothing.
    [entry] = await eventually(lambda: notifier.evidence(old, "dpa.notifier.retention.expired.v1"))
    assert entry.data["deliveries_cleared"] == len(before)
    assert entry.data["inbox_items_deleted"] == 1
    assert ADDRESS not in repr(entry.data)
    assert await _run(notifier, now) == {}
    assert not await notifier.evidence(recent, "dpa.notifier.retention.expired.v1")


async def test_read_inbox_items_go_after_their_own_period_unread_ones_stay__TOM_T1(
    notifier: Notifier,
) -> None:
    organisation = str(uuid.uuid4())
    await _breach_notice_to_address_and_inbox(notifier, organisation)
    await notifier.publish(
        event("dpa.agreements.breach_notice.issued.v1", organisation, breach_notice(organisation))
    )
    await eventually(lambda: len_at_least(notifier, organisation, 2))
    first, second = await notifier.inbox(organisation_id=organisation)
    mine = notifier.auth(organisation, "u-dpo", role=Role.member)
    read = await notifier.client.post(f"/notifier/inbox/{first.id}/read", headers=mine)
    assert read.status_code == 200, read.text
    async with notifier.platform.runtime("notifier").sessions() as session, session.begin():
        await session.execute(
            update(InboxItem)
            .where(col(InboxItem.id) == first.id)
            .values(read_at=datetime.now(UTC) - timedelta(days=181))
        )

    done = await _run(notifier, datetime.now(UTC))

    assert done == {organisation: 1}
    assert [item.id for item in await notifier.inbox(organisation_id=organisation)] == [second.id]
    # The deliveries themselves are young: they keep their address and text.
    assert all(
        d.retention_applied_at is None
        for d in await notifier.deliveries(organisation_id=organisation)
    )
    [entry] = await eventually(
        lambda: notifier.evidence(organisation, "dpa.notifier.retention.expired.v1")
    )
    assert entry.data["inbox_items_deleted"] == 1 and entry.data["deliveries_cleared"] == 0


async def len_at_least(notifier: Notifier, organisation: str, count: int) -> bool:
    return len(await notifier.inbox(organisation_id=organisation)) >= count
