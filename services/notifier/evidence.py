"""Use cases on what was sent: the delivery log, replays, the in-app inbox, acknowledgements."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.notifier import ledger, store
from services.notifier.domain import DeliveryStatus
from services.notifier.ledger import Acknowledgement, Attempt, Delivery, InboxItem
from services.notifier.service import Invalid, NotFound, listed
from shared import pagination
from shared.auth import Principal
from shared.event_types.notifier import DELIVERY_REQUESTED, INBOX_ITEM_UPDATED, NOTICE_ACKNOWLEDGED
from shared.events.contracts.notifier import (
    DeliveryReplayRequested,
    InboxItemRead,
    NoticeAcknowledged,
)
from shared.outbox import Outbox


class Conflict(RuntimeError):
    """A step that does not fit the delivery's state now (a retry while it is being attempted)."""


async def list_deliveries(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    limit: int,
    thread_id: str | None,
    status: DeliveryStatus | None,
    cursor: str | None = None,
) -> tuple[list[Delivery], str | None]:
    """A page of the delivery log, newest first (the read is recorded), and the cursor of the
    next."""
    after = pagination.moment_and_uuid(cursor) if cursor else None
    async with session.begin():
        found = await ledger.deliveries_of(
            session=session,
            organisation_id=principal.organisation_id,
            limit=limit + 1,
            thread_id=thread_id,
            status=status,
            after=after,
        )
        rows, last = pagination.split(found, limit)
        listed(outbox, session, principal, "delivery", len(rows))
    return rows, pagination.after_moment(last.created_at, last.id) if last else None


async def list_attempts(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, delivery_id: uuid.UUID
) -> list[Attempt]:
    async with session.begin():
        found = await ledger.delivery(
            session=session, organisation_id=principal.organisation_id, delivery_id=delivery_id
        )
        if found is None:
            raise NotFound("No such delivery")
        rows = await ledger.attempts_of(
            session=session, organisation_id=principal.organisation_id, delivery_id=delivery_id
        )
        listed(outbox, session, principal, "delivery", len(rows))
    return rows


async def replay(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, delivery_id: uuid.UUID
) -> Delivery:
    """Send a delivery again (a webhook the receiver lost, a mail that bounced and was fixed)."""
    async with session.begin():
        found = await ledger.delivery(
            session=session, organisation_id=principal.organisation_id, delivery_id=delivery_id
        )
        if found is None:
            raise NotFound("No such delivery")
        if found.status in (DeliveryStatus.pending, DeliveryStatus.sending):
            raise Conflict("This delivery is still being attempted")
        if found.retention_applied_at is not None:
            raise Invalid("This delivery is past its retention: its text is no longer kept")
        if "link_id" in found.message:
            raise Invalid("One-time links are not replayed: ask for a new invitation or reset")
        if "endpoint_id" in found.message:
            endpoint = await store.endpoint(
                session=session,
                organisation_id=principal.organisation_id,
                endpoint_id=uuid.UUID(found.message["endpoint_id"]),
            )
            if endpoint is None or not endpoint.enabled:
                raise Conflict("The endpoint is disabled or gone: enable it first")
        if found.channel.value == "inbox":
            raise Invalid("An inbox delivery is stored, not sent: nothing to replay")
        found.status = DeliveryStatus.pending
        found.next_attempt_at = datetime.now(UTC)
        outbox.add(
            session,
            type=DELIVERY_REQUESTED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(found.id),
            data=DeliveryReplayRequested(
                delivery_id=found.id,
                channel=found.channel.value,
            ),
        )
    return found


async def my_inbox(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    unread: bool,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[InboxItem], str | None]:
    """A page of the caller's inbox, newest first (the read is recorded), and the cursor of the
    next."""
    after = pagination.moment_and_uuid(cursor) if cursor else None
    async with session.begin():
        found = await ledger.inbox_of(
            session=session,
            organisation_id=principal.organisation_id,
            user_id=principal.user_id,
            unread_only=unread,
            limit=limit + 1,
            after=after,
        )
        rows, last = pagination.split(found, limit)
        listed(outbox, session, principal, "inbox_item", len(rows))
    return rows, pagination.after_moment(last.created_at, last.id) if last else None


async def _my_item(session: AsyncSession, principal: Principal, item_id: uuid.UUID) -> InboxItem:
    item = await session.get(InboxItem, item_id)
    if (
        item is None
        or item.organisation_id != principal.organisation_id
        or item.user_id != principal.user_id
    ):
        raise NotFound("No such inbox item")
    return item


async def mark_read(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, item_id: uuid.UUID
) -> InboxItem:
    async with session.begin():
        item = await _my_item(session, principal, item_id)
        if item.read_at is None:
            item.read_at = datetime.now(UTC)
            outbox.add(
                session,
                type=INBOX_ITEM_UPDATED,
                tenant=principal.organisation_id,
                actor=principal.actor,
                subject=str(item.id),
                data=InboxItemRead(item_id=item.id),
            )
    return item


async def acknowledge(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, thread_id: str
) -> Acknowledgement:
    """A controller's user confirms receipt of a notice thread; recorded once, with who and when."""
    async with session.begin():
        deliveries = await ledger.deliveries_of(
            session=session,
            organisation_id=principal.organisation_id,
            limit=1,
            thread_id=thread_id,
        )
        if not deliveries:
            raise NotFound("No such notice")
        existing = (
            await session.scalars(
                select(Acknowledgement).where(
                    col(Acknowledgement.organisation_id) == principal.organisation_id,
                    col(Acknowledgement.thread_id) == thread_id,
                )
            )
        ).first()
        if existing is not None:
            return existing
        now = datetime.now(UTC)
        ack = Acknowledgement(
            organisation_id=principal.organisation_id,
            thread_id=thread_id,
            user_id=principal.user_id,
            at=now,
        )
        session.add(ack)
        items = await session.scalars(
            select(InboxItem).where(
                col(InboxItem.organisation_id) == principal.organisation_id,
                col(InboxItem.thread_id) == thread_id,
                col(InboxItem.acknowledged_at).is_(None),
            )
        )
        for item in items.all():
            item.acknowledged_at = now
        outbox.add(
            session,
            type=NOTICE_ACKNOWLEDGED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=thread_id,
            data=NoticeAcknowledged(
                thread_id=thread_id, notice=deliveries[0].notice, user_id=principal.user_id
            ),
        )
    return ack
