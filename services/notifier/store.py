"""Who the notifier tells: receipts of events, contacts, webhook endpoints, users' preferences.

Every query takes the organisation it is scoped to; another organisation's row is ``None``, which
the API answers with 404 (existence does not leak).
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from services.notifier import ledger
from services.notifier.domain import Locale
from shared import pagination
from shared.database import moment


class Receipt(SQLModel, table=True):
    __tablename__ = "receipt"

    position: int | None = Field(default=None, primary_key=True)
    event_id: uuid.UUID = Field(unique=True)
    organisation_id: str = Field(max_length=36, index=True)
    event_type: str = Field(max_length=120)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Contact(SQLModel, table=True):
    """Someone an organisation wants told of some topics: an address, a user, or both."""

    __tablename__ = "contact"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: str = Field(max_length=36, index=True)
    topics: list[str] = Field(sa_column=Column(JSON, nullable=False))
    email: str | None = Field(default=None, max_length=254)
    user_id: str | None = Field(default=None, max_length=200)
    locale: Locale | None = None  # None: the organisation's language
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Endpoint(SQLModel, table=True):
    """A webhook receiver of an organisation, signed per the Standard Webhooks specification."""

    __tablename__ = "webhook_endpoint"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: str = Field(max_length=36, index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    topics: list[str] = Field(sa_column=Column(JSON, nullable=False))
    secret: str = Field(max_length=300)  # sealed (secret_seal.py), never clear
    previous_secret: str | None = Field(default=None, max_length=300)
    previous_until: datetime | None = moment(nullable=True)
    enabled: bool = True
    failures: int = 0  # consecutive failed attempts; reset by any success
    disabled_at: datetime | None = moment(nullable=True)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Preference(SQLModel, table=True):
    """A user's own address, language and the non-critical notices they switched off."""

    __tablename__ = "preference"

    organisation_id: str = Field(max_length=36, primary_key=True)
    user_id: str = Field(max_length=200, primary_key=True)
    email: str | None = Field(default=None, max_length=254)
    locale: Locale | None = None  # None: the organisation's language
    muted_topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    muted_channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class OrganisationSettings(SQLModel, table=True):
    """What an organisation's admin set for its notices: the language its admins are written in,
    and that of its contacts and users who chose none (Dutch until set)."""

    __tablename__ = "organisation_settings"

    organisation_id: str = Field(max_length=36, primary_key=True)
    locale: Locale = Locale.nl
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


async def organisation_settings(
    *, session: AsyncSession, organisation_id: str
) -> OrganisationSettings | None:
    return await session.get(OrganisationSettings, organisation_id)


async def organisation_locale(*, session: AsyncSession, organisation_id: str) -> Locale:
    """The organisation's language: what its admin set, else Dutch."""
    found = await organisation_settings(session=session, organisation_id=organisation_id)
    return found.locale if found is not None else Locale.nl


async def receipts_for(
    *, session: AsyncSession, organisation_id: str, limit: int, before: int | None = None
) -> list[Receipt]:
    """The organisation's receipts, newest first (before position ``before``)."""
    query = select(Receipt).where(col(Receipt.organisation_id) == organisation_id)
    if before is not None:
        query = query.where(col(Receipt.position) < before)
    result = await session.scalars(query.order_by(col(Receipt.position).desc()).limit(limit))
    return list(result.all())


async def contacts_of(
    *,
    session: AsyncSession,
    organisation_id: str,
    topic: str | None = None,
    limit: int | None = None,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[Contact]:
    """The organisation's contacts in the order they were added (of one topic; or a page: at
    most ``limit`` after the contact ``after`` names)."""
    query = pagination.keyset(
        select(Contact).where(col(Contact.organisation_id) == organisation_id),
        sort=col(Contact.created_at),
        identifier=col(Contact.id),
        after=after,
    )
    rows = await session.scalars(query if limit is None else query.limit(limit))
    return [row for row in rows.all() if topic is None or topic in row.topics]


async def contact(
    *, session: AsyncSession, organisation_id: str, contact_id: uuid.UUID
) -> Contact | None:
    row = await session.get(Contact, contact_id)
    return row if row is not None and row.organisation_id == organisation_id else None


async def endpoints_of(
    *,
    session: AsyncSession,
    organisation_id: str,
    topic: str | None = None,
    limit: int | None = None,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[Endpoint]:
    """The organisation's webhook endpoints in the order they were added (of one topic; or a
    page: at most ``limit`` after the endpoint ``after`` names)."""
    query = pagination.keyset(
        select(Endpoint).where(col(Endpoint.organisation_id) == organisation_id),
        sort=col(Endpoint.created_at),
        identifier=col(Endpoint.id),
        after=after,
    )
    rows = await session.scalars(query if limit is None else query.limit(limit))
    return [row for row in rows.all() if topic is None or topic in row.topics]


async def endpoint(
    *, session: AsyncSession, organisation_id: str, endpoint_id: uuid.UUID
) -> Endpoint | None:
    row = await session.get(Endpoint, endpoint_id)
    return row if row is not None and row.organisation_id == organisation_id else None


async def endpoints_to_reseal(*, session: AsyncSession, current_key: str) -> list[Endpoint]:
    """Every endpoint whose secret is clear or sealed under a key older than ``current_key``
    (all organisations: the notifier's own maintenance at start, no answer to anyone)."""
    sealed_now = f"sealed:v1:{current_key}:%"
    previous = col(Endpoint.previous_secret)
    rows = await session.scalars(
        select(Endpoint).where(
            col(Endpoint.secret).not_like(sealed_now)
            | (previous.is_not(None) & previous.not_like(sealed_now))
        )
    )
    return list(rows)


async def endpoints_by_id(*, session: AsyncSession, ids: list[uuid.UUID]) -> list[Endpoint]:
    """The endpoints of deliveries being sent (their organisation is the delivery's)."""
    if not ids:
        return []
    rows = await session.scalars(select(Endpoint).where(col(Endpoint.id).in_(set(ids))))
    return list(rows.all())


async def preference(
    *, session: AsyncSession, organisation_id: str, user_id: str
) -> Preference | None:
    return await session.get(Preference, (organisation_id, user_id))


async def preferences_of(
    *, session: AsyncSession, organisation_id: str, user_ids: list[str]
) -> dict[str, Preference]:
    if not user_ids:
        return {}
    rows = await session.scalars(
        select(Preference).where(
            col(Preference.organisation_id) == organisation_id,
            col(Preference.user_id).in_(user_ids),
        )
    )
    return {row.user_id: row for row in rows.all()}


# What the notifier's migrations migrate to (services/notifier/migrations): these tables and the
# delivery ledger's.
TABLES: tuple[Any, ...] = (
    Receipt.__table__,  # type: ignore[attr-defined]
    Contact.__table__,  # type: ignore[attr-defined]
    Endpoint.__table__,  # type: ignore[attr-defined]
    Preference.__table__,  # type: ignore[attr-defined]
    OrganisationSettings.__table__,  # type: ignore[attr-defined]
    *ledger.TABLES,
)
