"""The agreements service's durable consumers of identity's events.

``agreements`` (user events): the staff with access follow identity (DPA-8).

When identity disables or removes a user, every staff entry of that user's organisation (the
processor) that names the user ends, each with the ``staff_member.removed`` event a manual removal
emits, in the transaction that also stores the consumer's inbox row: a redelivered event ends
nothing twice. A re-enabled user is not listed again by itself; the processor adds them anew.
Entries without a ``user_id`` (departments, people without an account) stay manual.

``agreements-organisations`` (organisation events): the directory of known organisations
(directory.py) takes in each organisation identity creates, announces, renames, disables or
enables, in the transaction that stores the inbox row: a redelivered event is not taken in twice,
and an event older than what the directory holds changes nothing (later facts win by event time).
A consumer of its own, so that the existing ``agreements`` consumer keeps its filter (JetStream
does not change a durable consumer's filter in place) and its position.
"""

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import commitment_store as records
from services.agreements import directory, domain
from services.agreements.staff import end_access
from shared.broker import Handler
from shared.events import Actor, Envelope, EventKind
from shared.events.contracts.identity import (
    OrganisationAnnounced,
    OrganisationCreated,
    OrganisationRenamed,
    OrganisationStatusChanged,
    UserStatusChanged,
)
from shared.outbox import Outbox

log = structlog.get_logger("pactum.agreements.consumer")

DURABLE = "agreements"
SUBJECTS = "dpa.*.identity.user.>"
ORGANISATIONS_DURABLE = "agreements-organisations"
ORGANISATIONS_SUBJECTS = "dpa.*.identity.organisation.>"
ORGANISATION_CREATED = "dpa.identity.organisation.created.v1"
ORGANISATION_ANNOUNCED = "dpa.identity.organisation.announced.v1"
ORGANISATION_RENAMED = "dpa.identity.organisation.updated.v1"
STATUS_EVENTS = {
    "dpa.identity.organisation.disabled.v1": directory.OrganisationStatus.disabled,
    "dpa.identity.organisation.enabled.v1": directory.OrganisationStatus.active,
}


def staff_follow_identity(*, outbox: Outbox, service: str) -> Handler:
    """The handler of identity's user events; all but disabled and removed are ignored."""
    actor = Actor.system(service)

    async def handle(session: AsyncSession, event: Envelope, _kind: EventKind) -> None:
        processor_id = domain.processor_losing_access(
            event_type=event.type, source=event.source, tenant=event.tenantid
        )
        if processor_id is None:
            return
        user_id = str(UserStatusChanged.model_validate(event.data).user_id)
        now = datetime.now(UTC)
        ended = await records.active_staff_of_user(
            session=session, processor_id=processor_id, user_id=user_id
        )
        for member, agreement in ended:
            end_access(
                session,
                outbox,
                member=member,
                agreement=agreement,
                actor=actor,
                now=now,
                correlation_id=str(event.id),
            )
        if ended:
            log.info("staff.access_ended", user_id=user_id, entries=len(ended))

    return handle


def organisation_fact(event: Envelope) -> directory.OrganisationFact | None:
    """What an identity organisation event says, or None for one the directory does not use."""
    if event.source != domain.IDENTITY_SOURCE:
        return None
    if event.type == ORGANISATION_CREATED:
        created = OrganisationCreated.model_validate(event.data)
        return directory.OrganisationFact(
            organisation_id=created.organisation_id,
            kind=domain.OrganisationKind(created.kind),
            name=created.name,
            at=event.time,
            event_id=event.id,
        )
    if event.type == ORGANISATION_ANNOUNCED:
        announced = OrganisationAnnounced.model_validate(event.data)
        return directory.OrganisationFact(
            organisation_id=announced.organisation_id,
            kind=domain.OrganisationKind(announced.kind),
            name=announced.name,
            status=directory.OrganisationStatus(announced.status),
            at=event.time,
            event_id=event.id,
        )
    if event.type == ORGANISATION_RENAMED:
        renamed = OrganisationRenamed.model_validate(event.data)
        return directory.OrganisationFact(
            organisation_id=renamed.organisation_id,
            name=renamed.name,
            at=event.time,
            event_id=event.id,
        )
    if event.type in STATUS_EVENTS:
        changed = OrganisationStatusChanged.model_validate(event.data)
        return directory.OrganisationFact(
            organisation_id=changed.organisation_id,
            status=STATUS_EVENTS[event.type],
            at=event.time,
            event_id=event.id,
        )
    return None


def directory_follows_identity() -> Handler:
    """The handler of identity's organisation events: the directory takes in what each says."""

    async def handle(session: AsyncSession, event: Envelope, _kind: EventKind) -> None:
        fact = organisation_fact(event)
        if fact is None:
            return
        changed = await directory.take_in(session, fact)
        log.info(
            "directory.organisation_changed" if changed else "directory.organisation_unchanged",
            organisation_id=str(fact.organisation_id),
            event_type=event.type,
        )

    return handle
