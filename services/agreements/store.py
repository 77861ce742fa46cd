"""Agreement tables and the queries on them; every query is scoped to an organisation.

An organisation sees an agreement only if it is one of its two parties; anything else is the same
``None`` as a missing row, which the API answers with 404 (existence does not leak).
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    DateTime,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from services.agreements.domain import AgreementStatus, Authorisation, Party, VersionStatus


def _moment(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Agreement(SQLModel, table=True):
    __tablename__ = "agreement"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(index=True)  # the creating organisation
    counterparty_id: uuid.UUID | None = Field(default=None, index=True)
    controller_id: uuid.UUID | None = Field(default=None, index=True)
    processor_id: uuid.UUID | None = Field(default=None, index=True)
    title: str = Field(max_length=200)
    status: AgreementStatus = Field(default=AgreementStatus.draft)
    version: int = 1  # the version in force (or the draft, before signing)
    authorisation: Authorisation = Field(default=Authorisation.general)
    notice_days: int = 30
    silence_is_acceptance: bool = False
    breach_notice_hours: int = 48
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    activated_at: datetime | None = _moment(nullable=True)
    terminated_at: datetime | None = _moment(nullable=True)
    termination_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class AgreementVersion(SQLModel, table=True):
    """One version of the agreement's text: Annex 1 and the terms. Signed versions never change."""

    __tablename__ = "agreement_version"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    number: int
    status: VersionStatus
    annex1: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    terms: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    proposed_by: str = Field(max_length=200)
    proposed_by_party: Party
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    in_force_at: datetime | None = _moment(nullable=True)


class Signature(SQLModel, table=True):
    """Who signed which version, for which party, and when. One signature per party and version."""

    __tablename__ = "agreement_signature"
    __table_args__ = (UniqueConstraint("version_id", "party"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    version_id: uuid.UUID = Field(foreign_key="agreement_version.id", index=True)
    party: Party
    organisation_id: uuid.UUID
    signed_by: str = Field(max_length=200)
    signed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def _party_of(organisation_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(
        col(Agreement.organisation_id) == organisation_id,
        col(Agreement.counterparty_id) == organisation_id,
    )


async def get_agreement(
    *,
    session: AsyncSession,
    organisation_id: uuid.UUID,
    agreement_id: uuid.UUID,
    for_update: bool = False,
) -> Agreement | None:
    query = select(Agreement).where(col(Agreement.id) == agreement_id, _party_of(organisation_id))
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def agreement_as_shown(
    *, session: AsyncSession, organisation_id: uuid.UUID, agreement_id: uuid.UUID
) -> tuple[Agreement, AgreementVersion | None, AgreementVersion | None] | None:
    """An agreement the organisation is a party to, with its version in force and the version
    awaiting signature, in one query (what a read shows); None as for :func:`get_agreement`."""
    awaiting = [VersionStatus.draft, VersionStatus.proposed]
    rows = (
        await session.execute(
            select(Agreement, AgreementVersion)
            .outerjoin(
                AgreementVersion,
                and_(
                    col(AgreementVersion.agreement_id) == col(Agreement.id),
                    or_(
                        col(AgreementVersion.number) == col(Agreement.version),
                        col(AgreementVersion.status).in_(awaiting),
                    ),
                ),
            )
            .where(col(Agreement.id) == agreement_id, _party_of(organisation_id))
        )
    ).all()
    if not rows:
        return None
    agreement = rows[0][0]
    numbered: AgreementVersion | None = None
    pending: AgreementVersion | None = None
    for row in rows:
        version: AgreementVersion | None = row[1]  # None: no version matched (outer join)
        if version is None:
            continue
        if version.number == agreement.version:
            numbered = version
        if pending is None and version.status in awaiting:
            pending = version
    return agreement, numbered, pending


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


async def agreements_of_processor(
    *, session: AsyncSession, processor_id: uuid.UUID, statuses: frozenset[AgreementStatus]
) -> list[Agreement]:
    result = await session.scalars(
        select(Agreement)
        .where(
            col(Agreement.processor_id) == processor_id,
            col(Agreement.status).in_(list(statuses)),
        )
        .order_by(col(Agreement.created_at), col(Agreement.id))
    )
    return list(result.all())


async def versions(*, session: AsyncSession, agreement_id: uuid.UUID) -> list[AgreementVersion]:
    """All versions of an agreement the caller already proved to be a party to, oldest first."""
    result = await session.scalars(
        select(AgreementVersion)
        .where(col(AgreementVersion.agreement_id) == agreement_id)
        .order_by(col(AgreementVersion.number))
    )
    return list(result.all())


async def version(
    *, session: AsyncSession, agreement_id: uuid.UUID, number: int
) -> AgreementVersion | None:
    result = await session.scalars(
        select(AgreementVersion).where(
            col(AgreementVersion.agreement_id) == agreement_id,
            col(AgreementVersion.number) == number,
        )
    )
    return result.first()


async def version_and_awaiting(
    *, session: AsyncSession, agreement_id: uuid.UUID, number: int
) -> tuple[AgreementVersion | None, AgreementVersion | None]:
    """Version ``number`` and the version awaiting signature (the same one for a draft), in one
    query: what every answer about an agreement shows."""
    awaiting = [VersionStatus.draft, VersionStatus.proposed]
    result = await session.scalars(
        select(AgreementVersion).where(
            col(AgreementVersion.agreement_id) == agreement_id,
            or_(
                col(AgreementVersion.number) == number,
                col(AgreementVersion.status).in_(awaiting),
            ),
        )
    )
    numbered: AgreementVersion | None = None
    pending: AgreementVersion | None = None
    for row in result.all():
        if row.number == number:
            numbered = row
        if pending is None and row.status in awaiting:
            pending = row
    return numbered, pending


async def awaiting_signature(
    *, session: AsyncSession, agreement_id: uuid.UUID
) -> AgreementVersion | None:
    result = await session.scalars(
        select(AgreementVersion).where(
            col(AgreementVersion.agreement_id) == agreement_id,
            col(AgreementVersion.status).in_([VersionStatus.draft, VersionStatus.proposed]),
        )
    )
    return result.first()


async def signatures(*, session: AsyncSession, version_ids: list[uuid.UUID]) -> list[Signature]:
    if not version_ids:
        return []
    result = await session.scalars(
        select(Signature)
        .where(col(Signature.version_id).in_(version_ids))
        .order_by(col(Signature.signed_at))
    )
    return list(result.all())
