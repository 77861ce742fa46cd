"""What the end of processing leaves behind: the signed certificate of what was returned or
destroyed (DPA-13), the record of each export taken (DPA-4b), the processor's attestation of its
own systems and backups, and the marks of the return-or-destruction deadline."""

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, Column, DateTime, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from services.agreements.domain import AgreementStatus
from services.agreements.lifecycle.store import Agreement, AgreementVersion


def _moment(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Certificate(SQLModel, table=True):
    """The signed statement of what was returned or destroyed at the end (DPA-13)."""

    __tablename__ = "destruction_certificate"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", unique=True)
    statement: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    signature: str = Field(max_length=200)
    key_id: str = Field(max_length=100)
    issued_at: datetime = _moment(nullable=False)


class Export(SQLModel, table=True):
    """That an export of the agreement was taken, by whom, and its archive's hash."""

    __tablename__ = "agreement_export"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    sha256: str = Field(max_length=64)
    exported_by: str = Field(max_length=200)
    exported_at: datetime = _moment(nullable=False)


class Attestation(SQLModel, table=True):
    """What a named, authorised person of the processor attests it destroyed or returned on the
    processor's own systems and backups (DPA-13, DPA-4b); name and role come from their
    session, never from what they send."""

    __tablename__ = "destruction_attestation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", unique=True)
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    attested_by: str = Field(max_length=200)
    attested_name: str = Field(max_length=200)
    attested_role: str = Field(max_length=50)
    attested_at: datetime = _moment(nullable=False)


class ClosureDeadline(SQLModel, table=True):
    """The sweep's marks on an agreement's return-or-destruction deadline: each step once."""

    __tablename__ = "closure_deadline"

    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", primary_key=True)
    due_at: datetime = _moment(nullable=False)
    announced_at: datetime | None = _moment()
    passed_at: datetime | None = _moment()


TABLES: tuple[Any, ...] = (
    Certificate.__table__,  # type: ignore[attr-defined]
    Export.__table__,  # type: ignore[attr-defined]
    Attestation.__table__,  # type: ignore[attr-defined]
    ClosureDeadline.__table__,  # type: ignore[attr-defined]
)


async def attestation_of(*, session: AsyncSession, agreement_id: uuid.UUID) -> Attestation | None:
    query = select(Attestation).where(col(Attestation.agreement_id) == agreement_id)
    return (await session.scalars(query)).first()


async def deadline_of(*, session: AsyncSession, agreement_id: uuid.UUID) -> ClosureDeadline | None:
    return await session.get(ClosureDeadline, agreement_id)


def _ends_open() -> Any:
    """Terminated agreements whose end is not complete: no choice yet, or no attestation."""
    return and_(
        col(Agreement.terminated_at).is_not(None),
        or_(
            col(Agreement.status) == AgreementStatus.terminated,
            and_(
                col(Agreement.status) == AgreementStatus.closed,
                col(Attestation.id).is_(None),
            ),
        ),
    )


class OpenEnd(NamedTuple):
    """One agreement whose end is open: its deadline marks, whether the processor attested, and
    the terms of its version in force (which may set the period, ``closure_days``)."""

    agreement: Agreement
    marks: ClosureDeadline | None
    attested: bool
    terms: dict[str, Any]


async def open_ends(*, session: AsyncSession, limit: int = 500) -> list[OpenEnd]:
    """Every agreement whose end is still open and not yet marked overdue, with its marks,
    whether the processor attested and its terms (the sweep's work list, oldest termination
    first)."""
    query = (
        select(
            Agreement,
            ClosureDeadline,
            col(Attestation.id).is_not(None),
            col(AgreementVersion.terms),
        )
        .join(
            AgreementVersion,
            and_(
                col(AgreementVersion.agreement_id) == col(Agreement.id),
                col(AgreementVersion.number) == col(Agreement.version),
            ),
        )
        .outerjoin(Attestation, col(Attestation.agreement_id) == col(Agreement.id))
        .outerjoin(ClosureDeadline, col(ClosureDeadline.agreement_id) == col(Agreement.id))
        .where(_ends_open(), col(ClosureDeadline.passed_at).is_(None))
        .order_by(col(Agreement.terminated_at))
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [OpenEnd(row[0], row[1], bool(row[2]), dict(row[3])) for row in rows]


async def overdue_count(*, session: AsyncSession) -> int:
    """How many agreements passed their deadline with their end still open (operator's view:
    a number, no tenant data)."""
    query = (
        select(func.count())
        .select_from(Agreement)
        .outerjoin(Attestation, col(Attestation.agreement_id) == col(Agreement.id))
        .join(ClosureDeadline, col(ClosureDeadline.agreement_id) == col(Agreement.id))
        .where(_ends_open(), col(ClosureDeadline.passed_at).is_not(None))
    )
    return int(await session.scalar(query) or 0)
