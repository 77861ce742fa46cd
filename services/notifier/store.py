"""What the notifier received: one receipt per event, the start of every notice it sends."""

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col


class Receipt(SQLModel, table=True):
    __tablename__ = "receipt"

    position: int | None = Field(default=None, primary_key=True)
    event_id: uuid.UUID = Field(unique=True)
    organisation_id: str = Field(max_length=36, index=True)
    event_type: str = Field(max_length=120)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


TABLES = (Receipt.__table__,)  # type: ignore[attr-defined]


async def receipts_for(*, session: AsyncSession, organisation_id: str, limit: int) -> list[Receipt]:
    result = await session.scalars(
        select(Receipt)
        .where(col(Receipt.organisation_id) == organisation_id)
        .order_by(col(Receipt.position).desc())
        .limit(limit)
    )
    return list(result.all())
