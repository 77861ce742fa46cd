"""What the parties record under an agreement: instructions (DPA-1), measures (DPA-6), the
controller's own measures, its reviews of the processor's and the risk assessment (DPA-18), staff
with access (DPA-8, DPA-9), and disclosure demands (DPA-4a).

Callers have already proved the caller is a party to ``agreement_id``; these queries stay within
that one agreement. The one exception, :func:`active_staff_of_user`, serves the identity consumer
and is scoped to the processor organisation instead.
"""

import uuid
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, Date, DateTime, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from services.agreements.lifecycle.store import Agreement
from shared import pagination


def _moment(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _text(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(Text, nullable=nullable))


class Instruction(SQLModel, table=True):
    """A documented instruction of the controller; a new one may supersede an older one."""

    __tablename__ = "instruction"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    number: int
    text: str = _text()
    supersedes_id: uuid.UUID | None = None
    issued_by: str = Field(max_length=200)
    issued_at: datetime = _moment(nullable=False)
    acknowledged_by: str | None = Field(default=None, max_length=200)
    acknowledged_at: datetime | None = _moment()
    # DPA-14: the processor's concern that it infringes the GDPR, and the controller's answer.
    concern: str | None = _text(nullable=True)
    concern_raised_by: str | None = Field(default=None, max_length=200)
    concern_raised_at: datetime | None = _moment()
    concern_answer: str | None = Field(default=None, max_length=20)  # ConcernAnswer
    concern_answer_note: str | None = _text(nullable=True)
    concern_answered_by: str | None = Field(default=None, max_length=200)
    concern_answered_at: datetime | None = _moment()


class MeasureRecord(SQLModel, table=True):
    """One statement of an Annex 2 measure's status and evidence; the newest one counts."""

    __tablename__ = "measure_record"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    measure_id: str = Field(max_length=20)
    status: str = Field(max_length=20)
    evidence: str = _text()
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = _moment(nullable=False)


class ControllerMeasure(SQLModel, table=True):
    """A measure the controller itself takes, its side of art. 6 (DPA-18)."""

    __tablename__ = "controller_measure"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    title: str = Field(max_length=200)
    description: str = _text()
    in_place_since: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = _moment(nullable=False)


class MeasureReview(SQLModel, table=True):
    """The controller's review of one Annex 2 measure of the processor: what it found and the
    follow-up it asks, until it closes the review (DPA-18, "ziet erop toe")."""

    __tablename__ = "measure_review"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    measure_id: str = Field(max_length=20)
    reviewed_on: date = Field(sa_column=Column(Date, nullable=False))
    reviewer: str = Field(max_length=200)  # a person's name: records only, never events
    finding: str = _text()
    follow_up: str | None = _text(nullable=True)
    follow_up_due_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = _moment(nullable=False)
    closed_by: str | None = Field(default=None, max_length=200)
    closed_at: datetime | None = _moment()
    closing_note: str | None = _text(nullable=True)


class RiskAssessment(SQLModel, table=True):
    """A recorded assessment of the risks of the processing and the Annex 2 measures that address
    them, so that Annex 2 is "op het risico afgestemd" (DPA-18); the newest one counts."""

    __tablename__ = "risk_assessment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    risks: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    reviewed_on: date = Field(sa_column=Column(Date, nullable=False))
    reviewed_by: str = Field(max_length=200)  # a person's name: records only, never events
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = _moment(nullable=False)


class StaffMember(SQLModel, table=True):
    """A person or department of the processor with access, bound to confidentiality."""

    __tablename__ = "staff_member"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    name: str = Field(max_length=200)  # personal data: destroyed at the end, pseudonymised later
    user_id: str | None = Field(default=None, max_length=200)  # identity's user, if any
    function: str = Field(max_length=200)
    confidentiality_signed_on: date = Field(sa_column=Column(Date, nullable=False))
    gdpr_briefed: bool = True
    added_by: str = Field(max_length=200)
    added_at: datetime = _moment(nullable=False)
    removed_at: datetime | None = _moment()
    pseudonymised_at: datetime | None = _moment()  # TOM-T1: name replaced after retention


class Disclosure(SQLModel, table=True):
    """A legally required disclosure demand and what became of it (DPA-4a)."""

    __tablename__ = "disclosure"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    authority: str = Field(max_length=200)
    legal_basis: str = _text()
    scope: str = _text()
    prohibited_by_law: bool
    controller_informed_at: datetime | None = _moment()
    outcome: str | None = Field(default=None, max_length=20)
    outcome_note: str | None = _text(nullable=True)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = _moment(nullable=False)
    outcome_at: datetime | None = _moment()


TABLES: tuple[Any, ...] = tuple(
    model.__table__  # type: ignore[union-attr]
    for model in (
        Instruction,
        MeasureRecord,
        ControllerMeasure,
        MeasureReview,
        RiskAssessment,
        StaffMember,
        Disclosure,
    )
)

Row = TypeVar("Row", bound=SQLModel)


async def of_agreement(
    model: type[Row], *, session: AsyncSession, agreement_id: uuid.UUID, order: Any = None
) -> list[Row]:
    """Every row of ``model`` under one agreement, oldest first."""
    query = select(model).where(col(model.agreement_id) == agreement_id)  # type: ignore[attr-defined]
    if order is not None:
        query = query.order_by(order)
    return list((await session.scalars(query)).all())


async def page_of_agreement(
    model: type[Row],
    *,
    session: AsyncSession,
    agreement_id: uuid.UUID,
    sort: Any,
    limit: int,
    after: tuple[Any, uuid.UUID] | None,
    where: tuple[Any, ...] = (),
) -> list[Row]:
    """At most ``limit`` rows of ``model`` under one agreement, oldest first by ``sort`` (then
    id), after the row ``after`` names (a page of a list, ``shared/pagination.py``)."""
    query = select(model).where(col(model.agreement_id) == agreement_id, *where)  # type: ignore[attr-defined]
    query = pagination.keyset(query, sort=sort, identifier=col(model.id), after=after)  # type: ignore[attr-defined]
    return list((await session.scalars(query.limit(limit))).all())


async def one(
    model: type[Row], *, session: AsyncSession, agreement_id: uuid.UUID, row_id: uuid.UUID
) -> Row | None:
    query = (
        select(model)
        .where(col(model.agreement_id) == agreement_id, col(model.id) == row_id)  # type: ignore[attr-defined]
        .with_for_update()
    )
    return (await session.scalars(query)).first()


async def active_staff_of_user(
    *, session: AsyncSession, processor_id: uuid.UUID, user_id: str
) -> list[tuple[StaffMember, Agreement]]:
    """The staff entries naming identity user ``user_id`` whose access has not ended, on the
    agreements where ``processor_id`` is the processor (locked for the update), oldest first."""
    query = (
        select(StaffMember, Agreement)
        .join(Agreement, col(Agreement.id) == col(StaffMember.agreement_id))
        .where(
            col(Agreement.processor_id) == processor_id,
            col(StaffMember.user_id) == user_id,
            col(StaffMember.removed_at).is_(None),
        )
        .order_by(col(StaffMember.added_at), col(StaffMember.id))
        .with_for_update(of=StaffMember)
    )
    return [(member, agreement) for member, agreement in (await session.execute(query)).all()]
