"""The agreements service's durable consumers of identity's events.

``agreements`` (user events): the staff with access follow identity (DPA-8).

When identity disables or removes a user, every staff entry of that user's organisation (the
processor) that names the user ends, each with the ``staff_member.removed`` event a manual removal
emits, in the transaction that also stores the consumer's inbox row: a redelivered event ends
nothing twice. A re-enabled user is not listed again by itself; the processor adds them anew.
Entries without a ``user_id`` (departments, people without an account) stay manual.

``agreements-organisations`` (organisation events): the directory of known organisations
(directory.py) learns each organisation identity creates, with its kind, in the transaction that
stores the inbox row: a redelivered event is not learnt twice. A consumer of its own, so that the
existing ``agreements`` consumer keeps its filter (JetStream does not change a durable consumer's
filter in place) and its position.
"""

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import commitment_store as records
from services.agreements import directory, domain
from services.agreements.staff import end_access
from shared.broker import Handler
from shared.events import Actor, Envelope, EventKind
from shared.events.contracts.identity import OrganisationCreated, UserStatusChanged
from shared.outbox import Outbox

log = structlog.get_logger("pactum.agreements.consumer")

DURABLE = "agreements"
SUBJECTS = "dpa.*.identity.user.>"
ORGANISATIONS_DURABLE = "agreements-organisations"
ORGANISATIONS_SUBJECTS = "dpa.*.identity.organisation.>"
ORGANISATION_CREATED = "dpa.identity.organisation.created.v1"


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


def directory_follows_identity() -> Handler:
    """The handler of identity's organisation events: a created organisation becomes known."""

    async def handle(session: AsyncSession, event: Envelope, _kind: EventKind) -> None:
        if event.type != ORGANISATION_CREATED or event.source != domain.IDENTITY_SOURCE:
            return
        created = OrganisationCreated.model_validate(event.data)
        learnt = await directory.learn(
            session,
            organisation_id=created.organisation_id,
            kind=domain.OrganisationKind(created.kind),
            learnt_from=directory.LearntFrom.event,
            event_id=event.id,
        )
        log.info(
            "directory.organisation_known" if learnt else "directory.organisation_already_known",
            organisation_id=str(created.organisation_id),
            kind=created.kind,
        )

    return handle
