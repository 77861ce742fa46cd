"""The ``agreements-organisations`` durable consumer of identity's organisation events.

The directory of known organisations (store.py) takes in each organisation identity creates,
announces, renames, disables or enables, in the transaction that stores the inbox row: a
redelivered event is not taken in twice, and an event older than what the directory holds changes
nothing (later facts win by event time). A consumer of its own, so that the ``agreements``
consumer (commitments/consumers.py: staff follow identity) keeps its own filter and its position.
Both run on the shared consumer engine (shared/broker.py), one event at a time.
"""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain
from services.agreements.directory import store as directory
from shared.broker import Handler
from shared.event_types.identity import (
    ORGANISATION_ANNOUNCED,
    ORGANISATION_CREATED,
    ORGANISATION_DISABLED,
    ORGANISATION_ENABLED,
    ORGANISATION_UPDATED,
)
from shared.events import Envelope, EventKind
from shared.events.contracts.identity import (
    OrganisationAnnounced,
    OrganisationCreated,
    OrganisationRenamed,
    OrganisationStatusChanged,
)

log = structlog.get_logger("pactum.agreements.consumer")

ORGANISATIONS_DURABLE = "agreements-organisations"
ORGANISATIONS_SUBJECTS = "dpa.*.identity.organisation.>"
STATUS_EVENTS = {
    ORGANISATION_DISABLED: directory.OrganisationStatus.disabled,
    ORGANISATION_ENABLED: directory.OrganisationStatus.active,
}


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
    if event.type == ORGANISATION_UPDATED:
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
