"""The delivery ledger: one row per (cause, recipient, channel), written before anything is sent.

``cause`` is the id of the event a notice answers (with the reminder point for reminders), so a
redelivered event finds its rows and sends nothing twice. Attempts, inbox items, acknowledgements
and the clocks of deadlines live here too: everything the scheduler resumes after a restart.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from services.notifier.domain import Channel, DeliveryStatus
from shared import pagination
from shared.database import moment


class Delivery(SQLModel, table=True):
    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("cause", "recipient", "channel"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: str = Field(max_length=36, index=True)
    cause: str = Field(max_length=120)
    recipient: str = Field(max_length=250)  # contact:<id>, endpoint:<id> or user:<id>
    channel: Channel
    notice: str = Field(max_length=60)
    topic: str = Field(max_length=30)
    thread_id: str | None = Field(default=None, max_length=120, index=True)
    status: DeliveryStatus = DeliveryStatus.pending
    attempts: int = 0
    next_attempt_at: datetime | None = moment(nullable=True)
    lease_until: datetime | None = moment(nullable=True)
    claim: str | None = Field(default=None, max_length=32)  # which dispatcher run holds it
    delivered_at: datetime | None = moment(nullable=True)
    last_status: str | None = Field(default=None, max_length=200)
    message: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # TOM-T1: when the address and the text in ``message`` were removed after retention.
    retention_applied_at: datetime | None = moment(nullable=True)


class Attempt(SQLModel, table=True):
    __tablename__ = "delivery_attempt"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    delivery_id: uuid.UUID = Field(index=True)
    organisation_id: str = Field(max_length=36, index=True)
    number: int
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    delivered: bool
    status: str = Field(max_length=200)
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class InboxItem(SQLModel, table=True):
    __tablename__ = "inbox_item"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: str = Field(max_length=36, index=True)
    user_id: str = Field(max_length=200, index=True)
    delivery_id: uuid.UUID = Field(unique=True)
    notice: str = Field(max_length=60)
    thread_id: str | None = Field(default=None, max_length=120)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    link: str = Field(sa_column=Column(Text, nullable=False))
    event_id: str = Field(max_length=120)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    read_at: datetime | None = moment(nullable=True)
    acknowledged_at: datetime | None = moment(nullable=True)


class Acknowledgement(SQLModel, table=True):
    """A controller confirmed it received a notice thread (a breach notice, a change alert)."""

    __tablename__ = "acknowledgement"
    __table_args__ = (UniqueConstraint("organisation_id", "thread_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: str = Field(max_length=36)
    thread_id: str = Field(max_length=120)
    user_id: str = Field(max_length=200)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Clock(SQLModel, table=True):
    """A deadline reminded of until it is closed: a 72-hour clock, an objection window."""

    __tablename__ = "deadline_clock"
    __table_args__ = (UniqueConstraint("kind", "thread_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=30)  # breach | objection
    thread_id: str = Field(max_length=120)
    deadline: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    facts: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    sent_points: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    closed_at: datetime | None = moment(nullable=True)
    closed_because: str | None = Field(default=None, max_length=60)


TABLES = (
    Delivery.__table__,  # type: ignore[attr-defined]
    Attempt.__table__,  # type: ignore[attr-defined]
    InboxItem.__table__,  # type: ignore[attr-defined]
    Acknowledgement.__table__,  # type: ignore[attr-defined]
    Clock.__table__,  # type: ignore[attr-defined]
)


async def existing_keys(*, session: AsyncSession, cause: str) -> set[tuple[str, str]]:
    rows = await session.execute(
        select(col(Delivery.recipient), col(Delivery.channel)).where(col(Delivery.cause) == cause)
    )
    return {(recipient, str(channel)) for recipient, channel in rows.all()}


async def anyone_reached_or_waiting(
    *, session: AsyncSession, cause: str, besides: uuid.UUID
) -> bool:
    """Whether another delivery of the notice was delivered or may still be (USE-3)."""
    found = await session.scalar(
        select(col(Delivery.id))
        .where(
            col(Delivery.cause) == cause,
            col(Delivery.id) != besides,
            col(Delivery.status) != DeliveryStatus.failed,
        )
        .limit(1)
    )
    return found is not None


async def due_ids(*, session: AsyncSession, now: datetime, limit: int) -> list[uuid.UUID]:
    """Pending deliveries whose time has come, and claimed ones whose lease ran out (a crash)."""
    rows = await session.scalars(
        select(col(Delivery.id))
        .where(_due(now))
        .order_by(col(Delivery.next_attempt_at))
        .limit(limit)
    )
    return list(rows.all())


async def claim(
    *, session: AsyncSession, ids: list[uuid.UUID], now: datetime, lease_until: datetime
) -> list[Delivery]:
    """Take these deliveries for sending if they are still due; those another dispatcher took
    first are left out (the claim token tells which rows this call got)."""
    if not ids:
        return []
    token = uuid.uuid4().hex
    await session.execute(
        update(Delivery)
        .where(col(Delivery.id).in_(ids), _due(now))
        .values(status=DeliveryStatus.sending, lease_until=lease_until, claim=token)
    )
    rows = await session.scalars(select(Delivery).where(col(Delivery.claim) == token))
    return list(rows.all())


async def load(*, session: AsyncSession, ids: list[uuid.UUID]) -> list[Delivery]:
    """These deliveries in one query, locked for this transaction in the order of their ids, so
    two dispatchers recording overlapping rows wait for each other instead of deadlocking (the
    session keeps them for ``session.get``)."""
    rows = await session.scalars(
        select(Delivery)
        .where(col(Delivery.id).in_(ids))
        .order_by(col(Delivery.id))
        .with_for_update()
    )
    return list(rows.all())


def _due(now: datetime) -> Any:
    return or_(
        (col(Delivery.status) == DeliveryStatus.pending) & (col(Delivery.next_attempt_at) <= now),
        (col(Delivery.status) == DeliveryStatus.sending) & (col(Delivery.lease_until) <= now),
    )


async def deliveries_of(
    *,
    session: AsyncSession,
    organisation_id: str,
    limit: int,
    thread_id: str | None = None,
    status: DeliveryStatus | None = None,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[Delivery]:
    """The organisation's deliveries, newest first (after the one ``after`` names)."""
    query = select(Delivery).where(col(Delivery.organisation_id) == organisation_id)
    if thread_id is not None:
        query = query.where(col(Delivery.thread_id) == thread_id)
    if status is not None:
        query = query.where(col(Delivery.status) == status)
    query = pagination.keyset(
        query,
        sort=col(Delivery.created_at),
        identifier=col(Delivery.id),
        after=after,
        newest_first=True,
    )
    rows = await session.scalars(query.limit(limit))
    return list(rows.all())


async def delivery(
    *, session: AsyncSession, organisation_id: str, delivery_id: uuid.UUID
) -> Delivery | None:
    row = await session.get(Delivery, delivery_id)
    return row if row is not None and row.organisation_id == organisation_id else None


async def attempts_of(
    *, session: AsyncSession, organisation_id: str, delivery_id: uuid.UUID
) -> list[Attempt]:
    rows = await session.scalars(
        select(Attempt)
        .where(
            col(Attempt.organisation_id) == organisation_id,
            col(Attempt.delivery_id) == delivery_id,
        )
        .order_by(col(Attempt.number))
    )
    return list(rows.all())


async def inbox_of(
    *,
    session: AsyncSession,
    organisation_id: str,
    user_id: str,
    unread_only: bool,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[InboxItem]:
    """One person's inbox, newest first (after the item ``after`` names)."""
    query = select(InboxItem).where(
        col(InboxItem.organisation_id) == organisation_id, col(InboxItem.user_id) == user_id
    )
    if unread_only:
        query = query.where(col(InboxItem.read_at).is_(None))
    query = pagination.keyset(
        query,
        sort=col(InboxItem.created_at),
        identifier=col(InboxItem.id),
        after=after,
        newest_first=True,
    )
    rows = await session.scalars(query.limit(limit))
    return list(rows.all())


async def open_clocks(*, session: AsyncSession) -> list[Clock]:
    rows = await session.scalars(select(Clock).where(col(Clock.closed_at).is_(None)))
    return list(rows.all())


async def clock(*, session: AsyncSession, kind: str, thread_id: str) -> Clock | None:
    rows = await session.scalars(
        select(Clock).where(col(Clock.kind) == kind, col(Clock.thread_id) == thread_id)
    )
    return rows.first()
