"""Subprocessor changes a processor proposes, and each agreement's notice of them (DPA-5)."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from services.agreements.clocks import NoticeDecision
from services.agreements.domain import LIVE, Authorisation
from services.agreements.lifecycle.store import Agreement
from shared import pagination


class SubprocessorChange(SQLModel, table=True):
    """A processor's intended addition or replacement of a subprocessor, as registered."""

    __tablename__ = "subprocessor_change"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    processor_id: uuid.UUID = Field(index=True)
    kind: str = Field(max_length=16)  # add | replace
    replaces_id: uuid.UUID | None = Field(default=None)
    name: str = Field(max_length=200)
    service: str = Field(sa_column=Column(Text, nullable=False))
    location: str = Field(max_length=200)
    transfer_mechanism: str = Field(max_length=200)
    data_categories: list[str] = Field(sa_column=Column(JSON, nullable=False))
    effective_date: date = Field(sa_column=Column(Date, nullable=False))
    proposed_by: str = Field(max_length=200)
    proposed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    withdrawn_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class SubprocessorNotice(SQLModel, table=True):
    """One controller's standing on one change, for one agreement: its window and decision."""

    __tablename__ = "subprocessor_notice"
    __table_args__ = (UniqueConstraint("change_id", "agreement_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    change_id: uuid.UUID = Field(foreign_key="subprocessor_change.id", index=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    controller_id: uuid.UUID = Field(index=True)
    authorisation: Authorisation
    silence_is_acceptance: bool
    notified_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    objection_deadline: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    window_closed: bool = False  # set once when the deadline passed (idempotent sweep)
    decision: NoticeDecision = NoticeDecision.pending
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # How the processor closed an objection (ObjectionOutcome), recorded beside it, never over it.
    resolution: str | None = Field(default=None, max_length=32)
    resolution_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    resolved_by: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class FlowDownAgreement(SQLModel, table=True):
    """The processor's agreement with a subprocessor (art. 28(4) GDPR, contract art. 5, DPA-17).

    Each recording is kept; the latest is the one that holds. It names no person.
    """

    __tablename__ = "subprocessor_flow_down"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    change_id: uuid.UUID = Field(foreign_key="subprocessor_change.id", index=True)
    processor_id: uuid.UUID = Field(index=True)
    signed_on: date = Field(sa_column=Column(Date, nullable=False))
    reference: str = Field(max_length=200)
    same_obligations: bool
    guarantees: str = Field(sa_column=Column(Text, nullable=False))
    transfers_outside_eea: bool
    transfer_countries: list[str] = Field(sa_column=Column(JSON, nullable=False))
    transfer_basis: str | None = Field(default=None, max_length=200)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


TABLES: tuple[Any, ...] = (
    SubprocessorChange.__table__,  # type: ignore[attr-defined]
    SubprocessorNotice.__table__,  # type: ignore[attr-defined]
    FlowDownAgreement.__table__,  # type: ignore[attr-defined]
)


async def flow_downs(
    *, session: AsyncSession, change_ids: list[uuid.UUID]
) -> dict[uuid.UUID, FlowDownAgreement]:
    """The flow-down agreement that holds for each change (the latest recorded), if any."""
    if not change_ids:
        return {}
    result = await session.scalars(
        select(FlowDownAgreement)
        .where(col(FlowDownAgreement.change_id).in_(change_ids))
        .order_by(col(FlowDownAgreement.recorded_at), col(FlowDownAgreement.id))
    )
    return {row.change_id: row for row in result.all()}


async def flow_down_history(
    *, session: AsyncSession, change_ids: list[uuid.UUID]
) -> list[FlowDownAgreement]:
    """Every flow-down agreement recorded for these changes, each recording kept, oldest first."""
    if not change_ids:
        return []
    result = await session.scalars(
        select(FlowDownAgreement)
        .where(col(FlowDownAgreement.change_id).in_(change_ids))
        .order_by(col(FlowDownAgreement.recorded_at), col(FlowDownAgreement.id))
    )
    return list(result.all())


async def changes_of_processor(
    *, session: AsyncSession, processor_id: uuid.UUID
) -> list[SubprocessorChange]:
    result = await session.scalars(
        select(SubprocessorChange)
        .where(col(SubprocessorChange.processor_id) == processor_id)
        .order_by(col(SubprocessorChange.proposed_at), col(SubprocessorChange.id))
    )
    return list(result.all())


async def change(
    *, session: AsyncSession, processor_id: uuid.UUID, change_id: uuid.UUID
) -> SubprocessorChange | None:
    result = await session.scalars(
        select(SubprocessorChange).where(
            col(SubprocessorChange.id) == change_id,
            col(SubprocessorChange.processor_id) == processor_id,
        )
    )
    return result.first()


async def notices_of_processor(
    *, session: AsyncSession, processor_id: uuid.UUID
) -> list[SubprocessorNotice]:
    result = await session.scalars(
        select(SubprocessorNotice)
        .join(SubprocessorChange, col(SubprocessorChange.id) == col(SubprocessorNotice.change_id))
        .where(col(SubprocessorChange.processor_id) == processor_id)
    )
    return list(result.all())


async def notices_of_change(
    *, session: AsyncSession, change_id: uuid.UUID
) -> list[SubprocessorNotice]:
    result = await session.scalars(
        select(SubprocessorNotice).where(col(SubprocessorNotice.change_id) == change_id)
    )
    return list(result.all())


async def notices_of_agreement(
    *,
    session: AsyncSession,
    agreement_id: uuid.UUID,
    limit: int | None = None,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[SubprocessorNotice]:
    """The agreement's notices, oldest first: all of them, or at most ``limit`` after the notice
    ``after`` names (a page)."""
    query = pagination.keyset(
        select(SubprocessorNotice).where(col(SubprocessorNotice.agreement_id) == agreement_id),
        sort=col(SubprocessorNotice.notified_at),
        identifier=col(SubprocessorNotice.id),
        after=after,
    )
    result = await session.scalars(query if limit is None else query.limit(limit))
    return list(result.all())


async def notice(
    *, session: AsyncSession, agreement_id: uuid.UUID, notice_id: uuid.UUID
) -> SubprocessorNotice | None:
    result = await session.scalars(
        select(SubprocessorNotice)
        .where(
            col(SubprocessorNotice.id) == notice_id,
            col(SubprocessorNotice.agreement_id) == agreement_id,
        )
        .with_for_update()
    )
    return result.first()


async def changes_by_id(
    *, session: AsyncSession, change_ids: list[uuid.UUID]
) -> dict[uuid.UUID, SubprocessorChange]:
    if not change_ids:
        return {}
    result = await session.scalars(
        select(SubprocessorChange).where(col(SubprocessorChange.id).in_(change_ids))
    )
    return {c.id: c for c in result.all()}


async def due_notices(*, session: AsyncSession, now: datetime) -> list[SubprocessorNotice]:
    """Pending notices whose objection window has closed and that the sweep has not handled."""
    result = await session.scalars(
        select(SubprocessorNotice)
        .join(Agreement, col(Agreement.id) == col(SubprocessorNotice.agreement_id))
        .where(
            col(Agreement.status).in_(list(LIVE)),
            col(SubprocessorNotice.decision) == NoticeDecision.pending,
            col(SubprocessorNotice.window_closed).is_(False),
            col(SubprocessorNotice.objection_deadline).is_not(None),
            col(SubprocessorNotice.objection_deadline) <= now,
        )
        .with_for_update(skip_locked=True, of=SubprocessorNotice)
    )
    return list(result.all())
