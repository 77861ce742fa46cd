"""Agreement tables and the queries on them; every query is scoped to an organisation."""

import uuid
from datetime import datetime

from sqlalchemy import Column, ColumnElement, DateTime, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from services.agreements.domain import AgreementStatus


class Agreement(SQLModel, table=True):
    __tablename__ = "agreement"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(index=True)
    counterparty_id: uuid.UUID | None = Field(default=None, index=True)
    title: str = Field(max_length=200)
    status: AgreementStatus = Field(default=AgreementStatus.draft)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


TABLES = (Agreement.__table__,)  # type: ignore[attr-defined]


def _party_of(organisation_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(
        col(Agreement.organisation_id) == organisation_id,
        col(Agreement.counterparty_id) == organisation_id,
    )


async def get_agreement(
    *, session: AsyncSession, organisation_id: uuid.UUID, agreement_id: uuid.UUID
) -> Agreement | None:
    result = await session.scalars(
        select(Agreement).where(col(Agreement.id) == agreement_id, _party_of(organisation_id))
    )
    return result.first()


async def list_agreements(
    *, session: AsyncSession, organisation_id: uuid.UUID, limit: int
) -> list[Agreement]:
    result = await session.scalars(
        select(Agreement)
        .where(_party_of(organisation_id))
        .order_by(col(Agreement.created_at).desc(), col(Agreement.id))
        .limit(limit)
    )
    return list(result.all())
