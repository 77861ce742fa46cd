"""Agreement tables and the queries on them; every query is scoped to an organisation.

An organisation sees an agreement only if it is one of its two parties; anything else is the same
``None`` as a missing row, which the API answers with 404 (existence does not leak).
"""

import uuid
from datetime import datetime
from typing import Any, NamedTuple, TypeVarTuple

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    DateTime,
    Select,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import Field, SQLModel, col

from services.agreements.directory.store import KnownOrganisation
from services.agreements.domain import AgreementStatus, Authorisation, Party, VersionStatus
from shared import pagination


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
    # The processor's subprocessors as listed when the first party signed (DPA-5): part of the
    # signed text and of its digest. None until then, and on amendments (later subprocessor
    # changes go through notice and objection, not through the text).
    subprocessors: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


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
    # SHA-256 of the version as signed (domain.version_digest); null on signatures made before
    # the subprocessor list became part of the signed text.
    version_sha256: str | None = Field(default=None, max_length=64)
    # The signature block (DPA-20): where, by whom and in what capacity; the date is signed_at.
    # Null on signatures made before migration 0006.
    place: str | None = Field(default=None, max_length=200)
    signer_name: str | None = Field(default=None, max_length=200)
    signer_role: str | None = Field(default=None, max_length=200)


class PrivacyNotice(SQLModel, table=True):
    """One version of the privacy notice the processor submits to the controller before it
    collects data from the data subjects (art. 10 of the contract, DPA-10), and the answer."""

    __tablename__ = "privacy_notice"
    __table_args__ = (UniqueConstraint("agreement_id", "version"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)
    version: int
    text: str = Field(sa_column=Column(Text, nullable=False))  # what the data subjects read
    manner: str = Field(sa_column=Column(Text, nullable=False))  # how and when they read it
    submitted_by: str = Field(max_length=200)
    submitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    review: str | None = Field(default=None, max_length=20)  # PrivacyNoticeReview
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reviewed_by: str | None = Field(default=None, max_length=200)
    reviewed_at: datetime | None = _moment(nullable=True)


def _party_of(organisation_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(
        col(Agreement.organisation_id) == organisation_id,
        col(Agreement.counterparty_id) == organisation_id,
    )


async def owner_view(*, session: AsyncSession, agreement_id: uuid.UUID) -> Agreement | None:
    """The agreement whatever the caller's organisation: the one read across organisations, only
    to file a refused request in its owner's log (services/agreements/access.py); never shown."""
    return await session.get(Agreement, agreement_id)


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


class AgreementShown(NamedTuple):
    """What an answer about an agreement shows: the agreement, its version in force, the version
    awaiting signature (if any) and its parties' names as the directory holds them now."""

    agreement: Agreement
    in_force: AgreementVersion
    awaiting: AgreementVersion | None
    party_names: dict[uuid.UUID, str | None]


_AWAITING = (VersionStatus.draft, VersionStatus.proposed)
# The directory's entry of each party, for its current name (renames included): read with the
# agreement, never copied into it, so nothing signed changes when an organisation is renamed.
_controller = aliased(KnownOrganisation, name="controller_entry")
_processor = aliased(KnownOrganisation, name="processor_entry")
_Columns = TypeVarTuple("_Columns")
# The versions an answer shows: the one in force and the one awaiting signature.
_SHOWN_VERSION = or_(
    col(AgreementVersion.number) == col(Agreement.version),
    col(AgreementVersion.status).in_(_AWAITING),
)


def _joined_party_entries(query: Select[*_Columns]) -> Select[*_Columns]:
    return query.outerjoin(
        _controller, col(_controller.id) == col(Agreement.controller_id)
    ).outerjoin(_processor, col(_processor.id) == col(Agreement.processor_id))


def _party_names(
    agreement: Agreement, controller: str | None, processor: str | None
) -> dict[uuid.UUID, str | None]:
    named = {agreement.controller_id: controller, agreement.processor_id: processor}
    return {organisation: name for organisation, name in named.items() if organisation}


def _as_shown(
    agreement: Agreement, versions: list[AgreementVersion], names: dict[uuid.UUID, str | None]
) -> AgreementShown:
    in_force: AgreementVersion | None = None
    awaiting: AgreementVersion | None = None
    for version in versions:
        if version.number == agreement.version:
            in_force = version
        if awaiting is None and version.status in _AWAITING:
            awaiting = version
    assert in_force is not None  # every agreement has the version it points to
    return AgreementShown(agreement, in_force, awaiting, names)


async def agreement_as_shown(
    *, session: AsyncSession, organisation_id: uuid.UUID, agreement_id: uuid.UUID
) -> AgreementShown | None:
    """An agreement the organisation is a party to, with its version in force, the version
    awaiting signature and its parties' names, in one query (what an answer about it shows);
    None as for :func:`get_agreement`. Pending changes of the session are flushed first, so an
    answer after a change shows it."""
    rows = (
        await session.execute(
            _joined_party_entries(
                select(
                    Agreement, AgreementVersion, col(_controller.name), col(_processor.name)
                ).outerjoin(
                    AgreementVersion,
                    and_(col(AgreementVersion.agreement_id) == col(Agreement.id), _SHOWN_VERSION),
                )
            ).where(col(Agreement.id) == agreement_id, _party_of(organisation_id))
        )
    ).all()
    if not rows:
        return None
    agreement, _, controller, processor = rows[0]
    versions = [row[1] for row in rows if row[1] is not None]  # None: none matched (outer join)
    return _as_shown(agreement, versions, _party_names(agreement, controller, processor))


async def agreements_as_shown(
    *,
    session: AsyncSession,
    organisation_id: uuid.UUID,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[AgreementShown]:
    """The agreements the organisation is a party to, newest first (after the agreement
    ``after`` names, by creation and id), each as an answer shows it: two queries for the whole
    page (the agreements with their parties' names, then the versions shown), whatever its
    size."""
    query = _joined_party_entries(
        select(Agreement, col(_controller.name), col(_processor.name))
    ).where(_party_of(organisation_id))
    query = pagination.keyset(
        query,
        sort=col(Agreement.created_at),
        identifier=col(Agreement.id),
        after=after,
        newest_first=True,
    )
    page = (await session.execute(query.limit(limit))).all()
    if not page:
        return []
    shown_versions = await session.scalars(
        select(AgreementVersion)
        .join(Agreement, col(Agreement.id) == col(AgreementVersion.agreement_id))
        .where(col(AgreementVersion.agreement_id).in_([row[0].id for row in page]), _SHOWN_VERSION)
        .order_by(col(AgreementVersion.agreement_id), col(AgreementVersion.number))
    )
    versions: dict[uuid.UUID, list[AgreementVersion]] = {}
    for version in shown_versions.all():
        versions.setdefault(version.agreement_id, []).append(version)
    return [
        _as_shown(agreement, versions.get(agreement.id, []), _party_names(agreement, c, p))
        for agreement, c, p in page
    ]


async def agreements_between(
    *, session: AsyncSession, controller_id: uuid.UUID, processor_id: uuid.UUID
) -> list[Agreement]:
    """Every agreement between one controller and one processor, oldest first."""
    result = await session.scalars(
        select(Agreement)
        .where(
            col(Agreement.controller_id) == controller_id,
            col(Agreement.processor_id) == processor_id,
        )
        .order_by(col(Agreement.created_at), col(Agreement.id))
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


async def versions(
    *,
    session: AsyncSession,
    agreement_id: uuid.UUID,
    limit: int | None = None,
    after: tuple[int, uuid.UUID] | None = None,
) -> list[AgreementVersion]:
    """The versions of an agreement the caller already proved to be a party to, oldest first:
    all of them, or at most ``limit`` after the version ``after`` names (a page)."""
    query = pagination.keyset(
        select(AgreementVersion).where(col(AgreementVersion.agreement_id) == agreement_id),
        sort=col(AgreementVersion.number),
        identifier=col(AgreementVersion.id),
        after=after,
    )
    result = await session.scalars(query if limit is None else query.limit(limit))
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


async def newest_privacy_notice(
    *, session: AsyncSession, agreement_id: uuid.UUID, for_update: bool = False
) -> PrivacyNotice | None:
    query = (
        select(PrivacyNotice)
        .where(col(PrivacyNotice.agreement_id) == agreement_id)
        .order_by(col(PrivacyNotice.version).desc())
        .limit(1)
    )
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def privacy_notice(
    *, session: AsyncSession, agreement_id: uuid.UUID, notice_id: uuid.UUID
) -> PrivacyNotice | None:
    query = (
        select(PrivacyNotice)
        .where(col(PrivacyNotice.agreement_id) == agreement_id, col(PrivacyNotice.id) == notice_id)
        .with_for_update()
    )
    return (await session.scalars(query)).first()


async def privacy_notices(
    *, session: AsyncSession, agreement_id: uuid.UUID, limit: int, before: int | None
) -> list[PrivacyNotice]:
    """The versions of an agreement's privacy notice, newest first, older than ``before``."""
    query = select(PrivacyNotice).where(col(PrivacyNotice.agreement_id) == agreement_id)
    if before is not None:
        query = query.where(col(PrivacyNotice.version) < before)
    query = query.order_by(col(PrivacyNotice.version).desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def all_privacy_notices(
    *, session: AsyncSession, agreement_id: uuid.UUID
) -> list[PrivacyNotice]:
    """Every version of an agreement's privacy notice, oldest first."""
    query = (
        select(PrivacyNotice)
        .where(col(PrivacyNotice.agreement_id) == agreement_id)
        .order_by(col(PrivacyNotice.version))
    )
    return list((await session.scalars(query)).all())


async def annex1_in_force(*, session: AsyncSession, agreement: Agreement) -> dict[str, Any]:
    """The Annex 1 of the version in force (the draft's, before signing), as stored."""
    found = await version(session=session, agreement_id=agreement.id, number=agreement.version)
    return found.annex1 if found is not None else {}
