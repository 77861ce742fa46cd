"""The inbox: a consumer handles an event once, recorded in the transaction of its effect."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Uuid, bindparam, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine
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

    PostgreSQL: one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` of the whole batch as an
    array; what comes back is what was not claimed before (a replica claiming the same id
    concurrently makes this one wait for its commit, then skip the id). SQLite: the same statement
    with the ids as a multi-row ``VALUES``.
    """
    wanted = list(dict.fromkeys(event_ids))
    if not wanted:
        return set()
    table = InboxReceipt.__table__  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # No read before the insert: a prepared read planned while the inbox was still empty
        # keeps a sequential scan until the next ANALYZE, and an IN list of hundreds of
        # parameters is planned again on every call.
        rows = select(
            literal(consumer),
            func.unnest(bindparam("event_ids", wanted, type_=ARRAY(Uuid()))),
            literal(now, DateTime(timezone=True)),
        )
        # On the session's connection (Core), without the ORM's statement handling.
        returned = await connection.execute(
            postgresql.insert(table)
            .from_select(["consumer", "event_id", "received_at"], rows)
            .on_conflict_do_nothing()
            .returning(table.c.event_id)
        )
        return set(returned.scalars().all())
    # One ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (SQLite 3.35+) per chunk of rows, as
    # driver SQL with the values already in their stored form: what comes back is what was not
    # claimed before, as on PostgreSQL, without a read first. SQLAlchemy's own executemany of
    # this statement ("insertmanyvalues") spent most of the claim's CPU processing each
    # parameter and each returned row.
    dialect = connection.dialect
    stored_id = _stored_form(table.c.event_id.type, dialect)
    by_stored = {stored_id(event_id): event_id for event_id in wanted}
    consumer_value, received_at = consumer, _stored_form(table.c.received_at.type, dialect)(now)
    claimed: set[uuid.UUID] = set()
    stored_ids = list(by_stored)
    for start in range(0, len(stored_ids), _SQLITE_CHUNK):
        chunk = stored_ids[start : start + _SQLITE_CHUNK]
        parameters: list[object] = []
        for value in chunk:
            parameters += (consumer_value, value, received_at)
        statement = _sqlite_claim(dialect, len(chunk))
        result = await connection.exec_driver_sql(statement, tuple(parameters))
        claimed.update(by_stored[value] for (value,) in result.all())
    return claimed


def _stored_form(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """How the driver is handed a value of this column: the type's own bind processor (SQLite's
    hex UUIDs and text times), so the rows are exactly what an ORM insert stores."""
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else (lambda value: value)


def _sqlite_claim(dialect: Dialect, rows: int) -> str:
    """``INSERT INTO inbox ... VALUES (?, ?, ?), ... ON CONFLICT DO NOTHING RETURNING event_id``
    for ``rows`` rows, compiled by SQLAlchemy once (one row) and kept per row count."""
    statement = _sqlite_claims.get(rows)
    if statement is None:
        table = InboxReceipt.__table__  # type: ignore[attr-defined]
        one = str(
            sqlite.insert(table)
            .on_conflict_do_nothing()
            .returning(table.c.event_id)
            .compile(dialect=dialect, column_keys=["consumer", "event_id", "received_at"])
        )
        placeholders = "(?, ?, ?)"
        if one.count(placeholders) != 1:
            raise RuntimeError(f"unexpected inbox claim statement: {one}")
        statement = _sqlite_claims[rows] = one.replace(
            placeholders, ", ".join([placeholders] * rows)
        )
    return statement


_sqlite_claims: dict[int, str] = {}

# Rows per SQLite statement: three parameters each, under SQLite's oldest limit of 999.
_SQLITE_CHUNK = 333
