"""The inbox: a consumer handles an event once, recorded in the transaction of its effect."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Uuid, any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col


class InboxReceipt(SQLModel, table=True):
    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=100)
    event_id: uuid.UUID = Field(primary_key=True)
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


async def claim(session: AsyncSession, *, consumer: str, event_id: uuid.UUID) -> bool:
    """Record that ``consumer`` handles ``event_id`` in this transaction; False if it already did.

    Two replicas racing on the same redelivery both pass the read; the primary key makes one of
    the commits fail, and that replica treats the integrity error as a duplicate.
    """
    seen = await session.scalar(
        select(col(InboxReceipt.event_id)).where(
            col(InboxReceipt.consumer) == consumer, col(InboxReceipt.event_id) == event_id
        )
    )
    if seen is not None:
        return False
    session.add(InboxReceipt(consumer=consumer, event_id=event_id, received_at=datetime.now(UTC)))
    await session.flush()
    return True


async def claim_many(
    session: AsyncSession, *, consumer: str, event_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Record a whole batch in this transaction; return the ids not handled before.

    One read of the ids already seen and one multi-row insert of the others. A replica that
    claimed one of them concurrently makes the commit fail on the primary key; the caller retries
    the batch, and the second pass sees that replica's receipts.
    """
    wanted = list(dict.fromkeys(event_ids))
    if not wanted:
        return set()
    ids = col(InboxReceipt.event_id)
    if (await session.connection()).dialect.name == "postgresql":
        # One array parameter: PostgreSQL plans a list of hundreds of IN parameters again on
        # every call, which cost more server time than the whole rest of a batch.
        among = ids == any_(bindparam("event_ids", wanted, type_=ARRAY(Uuid())))
    else:
        among = ids.in_(wanted)
    seen = set(
        (
            await session.scalars(select(ids).where(col(InboxReceipt.consumer) == consumer, among))
        ).all()
    )
    fresh = [event_id for event_id in wanted if event_id not in seen]
    if fresh:
        now = datetime.now(UTC)
        await session.execute(
            insert(InboxReceipt.__table__),  # type: ignore[attr-defined]
            [
                {"consumer": consumer, "event_id": event_id, "received_at": now}
                for event_id in fresh
            ],
        )
    return set(fresh)
