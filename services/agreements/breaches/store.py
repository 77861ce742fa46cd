"""Personal-data breaches a processor reports, their phases, and each controller's notice."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from shared import pagination


def _moment(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _text(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(Text, nullable=nullable))


class Breach(SQLModel, table=True):
    """The processor's report with the fields of art. 33(3) GDPR, as completed so far."""

    __tablename__ = "breach"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    processor_id: uuid.UUID = Field(index=True)
    reported_by: str = Field(max_length=200)
    reported_at: datetime = _moment(nullable=False)
    aware_at: datetime = _moment(nullable=False)
    nature: str = _text()
    data_categories: list[str] = Field(sa_column=Column(JSON, nullable=False))
    data_subject_categories: list[str] = Field(sa_column=Column(JSON, nullable=False))
    approx_data_subjects: int
    approx_records: int
    consequences: str = _text()
    measures: str = _text()
    contact_point: str | None = _text(nullable=True)  # personal data: pseudonymised on retention
    phase: int = 1
    # The free text (nature, consequences, measures, phase notes) was deleted then, at the end of
    # the longest Annex 1 period of its categories among the agreements notified (TOM-T1).
    text_deleted_at: datetime | None = _moment()


class BreachPhase(SQLModel, table=True):
    """A later phase of the report (art. 33(4)): what was completed, by whom, when."""

    __tablename__ = "breach_phase"
    __table_args__ = (UniqueConstraint("breach_id", "phase"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    breach_id: uuid.UUID = Field(foreign_key="breach.id", index=True)
    phase: int
    fields: list[str] = Field(sa_column=Column(JSON, nullable=False))
    note: str | None = _text(nullable=True)
    added_by: str = Field(max_length=200)
    added_at: datetime = _moment(nullable=False)


class BreachNotice(SQLModel, table=True):
    """One controller notified under one agreement: both clocks and the authority decision."""

    __tablename__ = "breach_notice"
    __table_args__ = (UniqueConstraint("breach_id", "agreement_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    breach_id: uuid.UUID = Field(foreign_key="breach.id", index=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    controller_id: uuid.UUID = Field(index=True)
    notified_at: datetime = _moment(nullable=False)
    processor_deadline: datetime = _moment(nullable=False)
    processor_late: bool
    authority_deadline: datetime = _moment(nullable=False)
    authority_status: str = Field(default="pending", max_length=16)  # pending|notified|not_notified
    authority_notified_at: datetime | None = _moment()
    authority_reason: str | None = _text(nullable=True)
    authority_late: bool = False
    recorded_by: str | None = Field(default=None, max_length=200)
    recorded_at: datetime | None = _moment()
    deadline_passed: bool = False  # set once by the sweep when 72 hours passed undecided


TABLES: tuple[Any, ...] = (
    Breach.__table__,  # type: ignore[attr-defined]
    BreachPhase.__table__,  # type: ignore[attr-defined]
    BreachNotice.__table__,  # type: ignore[attr-defined]
)


async def visible_breaches(
    *,
    session: AsyncSession,
    organisation_id: uuid.UUID,
    limit: int = 100,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[Breach]:
    """Breaches the organisation reported (processor) or was notified of (controller), newest
    first (after the breach ``after`` names, by report time and id)."""
    notified = select(col(BreachNotice.breach_id)).where(
        col(BreachNotice.controller_id) == organisation_id
    )
    query = select(Breach).where(
        (col(Breach.processor_id) == organisation_id) | col(Breach.id).in_(notified)
    )
    query = pagination.keyset(
        query,
        sort=col(Breach.reported_at),
        identifier=col(Breach.id),
        after=after,
        newest_first=True,
    )
    result = await session.scalars(query.limit(limit))
    return list(result.all())


async def breach(
    *, session: AsyncSession, organisation_id: uuid.UUID, breach_id: uuid.UUID
) -> Breach | None:
    notified = select(col(BreachNotice.breach_id)).where(
        col(BreachNotice.controller_id) == organisation_id
    )
    result = await session.scalars(
        select(Breach).where(
            col(Breach.id) == breach_id,
            (col(Breach.processor_id) == organisation_id) | col(Breach.id).in_(notified),
        )
    )
    return result.first()


async def notices(*, session: AsyncSession, breach_id: uuid.UUID) -> list[BreachNotice]:
    """Every notice of a breach the caller already proved it may see; callers filter further."""
    query = select(BreachNotice).where(col(BreachNotice.breach_id) == breach_id)
    result = await session.scalars(query.order_by(col(BreachNotice.notified_at)))
    return list(result.all())


async def notices_of_agreement(
    *, session: AsyncSession, agreement_id: uuid.UUID
) -> list[BreachNotice]:
    """Every notice issued under one agreement the caller already proved it may see."""
    query = select(BreachNotice).where(col(BreachNotice.agreement_id) == agreement_id)
    result = await session.scalars(query.order_by(col(BreachNotice.notified_at)))
    return list(result.all())


async def breaches_by_id(*, session: AsyncSession, breach_ids: list[uuid.UUID]) -> list[Breach]:
    """These breaches, oldest report first (callers proved they may see them)."""
    if not breach_ids:
        return []
    query = select(Breach).where(col(Breach.id).in_(breach_ids))
    return list((await session.scalars(query.order_by(col(Breach.reported_at)))).all())


async def phases(*, session: AsyncSession, breach_id: uuid.UUID) -> list[BreachPhase]:
    result = await session.scalars(
        select(BreachPhase)
        .where(col(BreachPhase.breach_id) == breach_id)
        .order_by(col(BreachPhase.phase))
    )
    return list(result.all())


async def controller_notice(
    *, session: AsyncSession, controller_id: uuid.UUID, notice_id: uuid.UUID
) -> BreachNotice | None:
    result = await session.scalars(
        select(BreachNotice)
        .where(col(BreachNotice.id) == notice_id, col(BreachNotice.controller_id) == controller_id)
        .with_for_update()
    )
    return result.first()


async def overdue_notices(*, session: AsyncSession, now: datetime) -> list[BreachNotice]:
    """Undecided notices whose 72 hours passed and that the sweep has not flagged yet."""
    result = await session.scalars(
        select(BreachNotice)
        .where(
            col(BreachNotice.authority_status) == "pending",
            col(BreachNotice.deadline_passed).is_(False),
            col(BreachNotice.authority_deadline) <= now,
        )
        .with_for_update(skip_locked=True)
    )
    return list(result.all())
