"""The processor's assistance to the controller: data subjects' requests (DPA-15), DPIA and
prior-consultation help (DPA-16), intervention in a claim (DPA-19).

Callers have already proved the caller is a party to ``agreement_id``; these queries stay within
that one agreement. The one exception, :func:`overdue_subject_requests`, serves the sweep and
reads across agreements, as every deadline does.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col


def _moment(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _text(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(Text, nullable=nullable))


def _categories() -> Any:
    """The Annex 1 categories of personal data a record concerns: their periods decide how long
    its free text is kept (TOM-T1; ``services/agreements/retention``)."""
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))


class SubjectRequest(SQLModel, table=True):
    """A data subject's request that reached the processor, forwarded to the controller, and the
    processor's assistance tracked to the controller's closure (art. 28(3)(e) GDPR)."""

    __tablename__ = "subject_request"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    number: int
    right: str = Field(max_length=30)  # SubjectRight
    received_at: datetime = _moment(nullable=False)  # when it reached the processor
    # What was asked and how it arrived; may name the data subject: records only, never events.
    summary: str = _text()
    forwarded_by: str = Field(max_length=200)
    forwarded_at: datetime = _moment(nullable=False)
    due_at: datetime = _moment(nullable=False)  # the processor's assistance is due by then
    answer_by: datetime = _moment(nullable=False)  # the controller's month (art. 12(3))
    assistance: str | None = _text(nullable=True)
    assisted_by: str | None = Field(default=None, max_length=200)
    assisted_at: datetime | None = _moment()
    outcome: str | None = Field(default=None, max_length=20)  # SubjectRequestOutcome
    outcome_note: str | None = _text(nullable=True)
    closed_by: str | None = Field(default=None, max_length=200)
    closed_at: datetime | None = _moment()
    overdue_flagged: bool = False  # the late assistance was announced once (sweep)
    data_categories: list[str] = _categories()
    retention_applied_at: datetime | None = _moment()  # the free text was deleted then


class AssistanceRequest(SQLModel, table=True):
    """The controller's request for the processor's help with a DPIA or a prior consultation
    (DPA-16), or to intervene in a data subject's claim (DPA-19), and the processor's answer."""

    __tablename__ = "assistance_request"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    number: int
    kind: str = Field(max_length=30)  # AssistanceKind
    question: str = _text()  # what the controller asks; records only, never events
    due_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    asked_by: str = Field(max_length=200)
    asked_at: datetime = _moment(nullable=False)
    answer: str | None = _text(nullable=True)
    intervenes: bool | None = None  # a claim: whether the processor intervenes
    answered_by: str | None = Field(default=None, max_length=200)
    answered_at: datetime | None = _moment()
    data_categories: list[str] = _categories()
    retention_applied_at: datetime | None = _moment()  # the free text was deleted then


TABLES: tuple[Any, ...] = (
    SubjectRequest.__table__,  # type: ignore[attr-defined]
    AssistanceRequest.__table__,  # type: ignore[attr-defined]
)


async def subject_requests(
    *, session: AsyncSession, agreement_id: uuid.UUID, limit: int, before: int | None
) -> list[SubjectRequest]:
    """An agreement's requests, newest first, numbered below ``before``."""
    query = select(SubjectRequest).where(col(SubjectRequest.agreement_id) == agreement_id)
    if before is not None:
        query = query.where(col(SubjectRequest.number) < before)
    query = query.order_by(col(SubjectRequest.number).desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def subject_request(
    *, session: AsyncSession, agreement_id: uuid.UUID, request_id: uuid.UUID
) -> SubjectRequest | None:
    query = (
        select(SubjectRequest)
        .where(
            col(SubjectRequest.agreement_id) == agreement_id, col(SubjectRequest.id) == request_id
        )
        .with_for_update()
    )
    return (await session.scalars(query)).first()


async def last_number(*, session: AsyncSession, agreement_id: uuid.UUID) -> int:
    query = (
        select(col(SubjectRequest.number))
        .where(col(SubjectRequest.agreement_id) == agreement_id)
        .order_by(col(SubjectRequest.number).desc())
        .limit(1)
    )
    return (await session.scalar(query)) or 0


async def overdue_subject_requests(*, session: AsyncSession, now: datetime) -> list[SubjectRequest]:
    """Open requests past their deadline not yet announced, locked (skipped if another sweep
    holds them)."""
    query = (
        select(SubjectRequest)
        .where(
            col(SubjectRequest.due_at) < now,
            col(SubjectRequest.assisted_at).is_(None),
            col(SubjectRequest.closed_at).is_(None),
            col(SubjectRequest.overdue_flagged).is_(False),
        )
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


async def assistance_requests(
    *, session: AsyncSession, agreement_id: uuid.UUID, limit: int, before: int | None
) -> list[AssistanceRequest]:
    query = select(AssistanceRequest).where(col(AssistanceRequest.agreement_id) == agreement_id)
    if before is not None:
        query = query.where(col(AssistanceRequest.number) < before)
    query = query.order_by(col(AssistanceRequest.number).desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def assistance_request(
    *, session: AsyncSession, agreement_id: uuid.UUID, request_id: uuid.UUID
) -> AssistanceRequest | None:
    query = (
        select(AssistanceRequest)
        .where(
            col(AssistanceRequest.agreement_id) == agreement_id,
            col(AssistanceRequest.id) == request_id,
        )
        .with_for_update()
    )
    return (await session.scalars(query)).first()


async def last_assistance_number(*, session: AsyncSession, agreement_id: uuid.UUID) -> int:
    query = (
        select(col(AssistanceRequest.number))
        .where(col(AssistanceRequest.agreement_id) == agreement_id)
        .order_by(col(AssistanceRequest.number).desc())
        .limit(1)
    )
    return (await session.scalar(query)) or 0


async def everything_of(
    *, session: AsyncSession, agreement_id: uuid.UUID
) -> tuple[list[SubjectRequest], list[AssistanceRequest]]:
    """Every request held for one agreement, oldest first (the return and the destruction at
    the end, DPA-13; the compliance report, DPA-11)."""
    subject = await session.scalars(
        select(SubjectRequest)
        .where(col(SubjectRequest.agreement_id) == agreement_id)
        .order_by(col(SubjectRequest.number))
    )
    assistance = await session.scalars(
        select(AssistanceRequest)
        .where(col(AssistanceRequest.agreement_id) == agreement_id)
        .order_by(col(AssistanceRequest.number))
    )
    return list(subject.all()), list(assistance.all())


async def ended_with_text(
    *, session: AsyncSession, ended_before: datetime
) -> tuple[list[SubjectRequest], list[AssistanceRequest]]:
    """Across agreements, for the retention sweep: requests closed (or answered) before
    ``ended_before`` whose free text is still held, locked (skipped if another sweep holds
    them)."""
    subject = await session.scalars(
        select(SubjectRequest)
        .where(
            col(SubjectRequest.closed_at) <= ended_before,
            col(SubjectRequest.retention_applied_at).is_(None),
        )
        .with_for_update(skip_locked=True)
    )
    assistance = await session.scalars(
        select(AssistanceRequest)
        .where(
            col(AssistanceRequest.answered_at) <= ended_before,
            col(AssistanceRequest.retention_applied_at).is_(None),
        )
        .with_for_update(skip_locked=True)
    )
    return list(subject.all()), list(assistance.all())
