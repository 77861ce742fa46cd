"""Use cases on recipients: contacts, webhook endpoints, users' preferences, receipts.

Each is one transaction: the change (or the read) and its evidence event in the outbox.
"""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import store, webhook_signatures
from services.notifier.domain import Locale, check_endpoint_url
from services.notifier.schemas import (
    ContactCreate,
    EndpointCreate,
    OrganisationSettingsBody,
    PreferenceBody,
)
from services.notifier.secret_seal import SecretSeal
from services.notifier.store import Contact, Endpoint, OrganisationSettings, Preference, Receipt
from shared import pagination
from shared.auth import Principal
from shared.event_types.notifier import (
    CONTACT_CREATED,
    CONTACT_DELETED,
    ORGANISATION_SETTINGS_UPDATED,
    PREFERENCE_UPDATED,
    RECEIPT_LISTED,
    RECIPIENT_LISTED,
)
from shared.events.contracts.notifier import (
    ContactChanged,
    EndpointChanged,
    OrganisationSettingsUpdated,
    PreferenceUpdated,
    ReceiptsListed,
    RecipientsListed,
)
from shared.outbox import Outbox

ROTATION_OVERLAP = timedelta(hours=24)  # both secrets sign for a day after a rotation


class NotFound(LookupError):
    pass


class Invalid(ValueError):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def listed(
    outbox: Outbox, session: AsyncSession, principal: Principal, record: str, n: int
) -> None:
    outbox.add(
        session,
        type=RECIPIENT_LISTED,
        tenant=principal.organisation_id,
        actor=principal.actor,
        data=RecipientsListed(record=record, count=n),
    )


async def list_receipts(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[Receipt], str | None]:
    """A page of the organisation's receipts, newest first (the read is recorded), and the
    cursor of the next."""
    before = pagination.position(cursor) if cursor else None
    async with session.begin():
        found = await store.receipts_for(
            session=session,
            organisation_id=principal.organisation_id,
            limit=limit + 1,
            before=before,
        )
        receipts, last = pagination.split(found, limit)
        outbox.add(
            session,
            type=RECEIPT_LISTED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            data=ReceiptsListed(receipts=len(receipts)),
        )
    return receipts, pagination.after_position(last.position) if last and last.position else None


async def add_contact(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, body: ContactCreate
) -> Contact:
    if not body.email and not body.user_id:
        raise Invalid("a contact needs an email address, a user_id (in-app inbox), or both")
    async with session.begin():
        contact = Contact(
            organisation_id=principal.organisation_id,
            topics=sorted({topic.value for topic in body.topics}),
            email=body.email,
            user_id=body.user_id,
            locale=body.locale,
            created_at=_now(),
        )
        session.add(contact)
        outbox.add(
            session,
            type=CONTACT_CREATED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(contact.id),
            data=ContactChanged(
                contact_id=contact.id, topics=contact.topics, has_user=bool(body.user_id)
            ),
        )
    return contact


async def list_contacts(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[Contact], str | None]:
    """A page of the organisation's contacts (the read is recorded), and the next's cursor."""
    after = pagination.moment_and_uuid(cursor) if cursor else None
    async with session.begin():
        found = await store.contacts_of(
            session=session,
            organisation_id=principal.organisation_id,
            limit=limit + 1,
            after=after,
        )
        contacts, last = pagination.split(found, limit)
        listed(outbox, session, principal, "contact", len(contacts))
    return contacts, pagination.after_moment(last.created_at, last.id) if last else None


async def remove_contact(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, contact_id: uuid.UUID
) -> None:
    async with session.begin():
        contact = await store.contact(
            session=session, organisation_id=principal.organisation_id, contact_id=contact_id
        )
        if contact is None:
            raise NotFound("No such contact")
        await session.delete(contact)
        outbox.add(
            session,
            type=CONTACT_DELETED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(contact.id),
            data=ContactChanged(
                contact_id=contact.id, topics=contact.topics, has_user=bool(contact.user_id)
            ),
        )


async def add_endpoint(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    body: EndpointCreate,
    production: bool,
    seal: SecretSeal,
) -> tuple[Endpoint, str]:
    """The new endpoint (its secret sealed) and its secret in clear, to be shown once."""
    url = check_endpoint_url(body.url, production=production)
    secret = webhook_signatures.new_secret()
    async with session.begin():
        endpoint = Endpoint(
            organisation_id=principal.organisation_id,
            url=url,
            topics=sorted({topic.value for topic in body.topics}),
            secret="",
            created_at=_now(),
        )
        endpoint.secret = seal.seal(secret, endpoint_id=endpoint.id)
        session.add(endpoint)
        _endpoint_event(outbox, session, principal, endpoint, "created", None)
    return endpoint, secret


async def seal_clear_secrets(sessions: async_sessionmaker[AsyncSession], seal: SecretSeal) -> int:
    """Seal every webhook secret still clear, and re-seal those under an older key with the
    newest one (at start, after the migrations); a second run finds nothing to do."""
    async with sessions() as session, session.begin():
        endpoints = await store.endpoints_to_reseal(session=session, current_key=seal.current)
        for endpoint in endpoints:
            endpoint.secret = _resealed(seal, endpoint.secret, endpoint.id)
            if endpoint.previous_secret is not None:
                endpoint.previous_secret = _resealed(seal, endpoint.previous_secret, endpoint.id)
    return len(endpoints)


def _resealed(seal: SecretSeal, value: str, endpoint_id: uuid.UUID) -> str:
    clear = seal.open(value, endpoint_id=endpoint_id) if seal.is_sealed(value) else value
    return seal.seal(clear, endpoint_id=endpoint_id)


def _endpoint_event(
    outbox: Outbox,
    session: AsyncSession,
    principal: Principal,
    endpoint: Endpoint,
    verb: str,
    reason: str | None,
) -> None:
    outbox.add(
        session,
        type=f"dpa.notifier.endpoint.{verb}.v1",
        tenant=principal.organisation_id,
        actor=principal.actor,
        subject=str(endpoint.id),
        data=EndpointChanged(endpoint_id=endpoint.id, topics=endpoint.topics, reason=reason),
    )


async def list_endpoints(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[Endpoint], str | None]:
    """A page of the organisation's webhook endpoints (the read is recorded), and the next's
    cursor."""
    after = pagination.moment_and_uuid(cursor) if cursor else None
    async with session.begin():
        found = await store.endpoints_of(
            session=session,
            organisation_id=principal.organisation_id,
            limit=limit + 1,
            after=after,
        )
        endpoints, last = pagination.split(found, limit)
        listed(outbox, session, principal, "endpoint", len(endpoints))
    return endpoints, pagination.after_moment(last.created_at, last.id) if last else None


async def rotate_secret(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    endpoint_id: uuid.UUID,
    seal: SecretSeal,
) -> tuple[Endpoint, str]:
    """A new secret (sealed; the old one signs too for a day), and the new one in clear."""
    secret = webhook_signatures.new_secret()
    async with session.begin():
        endpoint = await store.endpoint(
            session=session, organisation_id=principal.organisation_id, endpoint_id=endpoint_id
        )
        if endpoint is None:
            raise NotFound("No such endpoint")
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_until = _now() + ROTATION_OVERLAP
        endpoint.secret = seal.seal(secret, endpoint_id=endpoint.id)
        _endpoint_event(outbox, session, principal, endpoint, "updated", "secret rotated")
    return endpoint, secret


async def change_endpoint(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    endpoint_id: uuid.UUID,
    change: str,
) -> Endpoint:
    """``enable`` or ``delete`` an endpoint."""
    async with session.begin():
        endpoint = await store.endpoint(
            session=session, organisation_id=principal.organisation_id, endpoint_id=endpoint_id
        )
        if endpoint is None:
            raise NotFound("No such endpoint")
        if change == "enable":
            endpoint.enabled = True
            endpoint.failures = 0
            endpoint.disabled_at = None
            _endpoint_event(outbox, session, principal, endpoint, "updated", "enabled")
        else:
            await session.delete(endpoint)
            _endpoint_event(outbox, session, principal, endpoint, "deleted", None)
    return endpoint


async def my_preference(*, session: AsyncSession, principal: Principal) -> Preference:
    found = await store.preference(
        session=session, organisation_id=principal.organisation_id, user_id=principal.user_id
    )
    return found or Preference(organisation_id=principal.organisation_id, user_id=principal.user_id)


async def set_preference(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, body: PreferenceBody
) -> Preference:
    async with session.begin():
        preference = await my_preference(session=session, principal=principal)
        preference.email = body.email
        preference.locale = body.locale
        preference.muted_topics = [topic.value for topic in body.muted_topics]
        preference.muted_channels = [channel.value for channel in body.muted_channels]
        session.add(preference)
        outbox.add(
            session,
            type=PREFERENCE_UPDATED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=principal.user_id,
            data=PreferenceUpdated(
                user_id=principal.user_id,
                muted_topics=preference.muted_topics,
                muted_channels=preference.muted_channels,
            ),
        )
    return preference


async def organisation_settings(
    *, session: AsyncSession, principal: Principal
) -> OrganisationSettingsBody:
    """The organisation's notice settings (its defaults until its admin sets them)."""
    async with session.begin():
        locale = await store.organisation_locale(
            session=session, organisation_id=principal.organisation_id
        )
    return OrganisationSettingsBody(locale=locale)


async def set_organisation_settings(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, body: OrganisationSettingsBody
) -> OrganisationSettingsBody:
    """The admin sets the organisation's language; notices addressed from now on use it."""
    async with session.begin():
        settings = await store.organisation_settings(
            session=session, organisation_id=principal.organisation_id
        ) or OrganisationSettings(
            organisation_id=principal.organisation_id, locale=Locale.nl, updated_at=_now()
        )
        previous = settings.locale
        settings.locale = body.locale
        settings.updated_at = _now()
        session.add(settings)
        outbox.add(
            session,
            type=ORGANISATION_SETTINGS_UPDATED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=principal.organisation_id,
            data=OrganisationSettingsUpdated(
                locale=body.locale.value, previous_locale=previous.value
            ),
        )
    return OrganisationSettingsBody(locale=settings.locale)
