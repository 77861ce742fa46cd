"""The ``agreements`` durable consumer of identity's user events: the staff with access follow
identity (DPA-8).

When identity disables or removes a user, every staff entry of that user's organisation (the
processor) that names the user ends, each with the ``staff_member.removed`` event a manual removal
emits, in the transaction that also stores the consumer's inbox row: a redelivered event ends
nothing twice. A re-enabled user is not listed again by itself; the processor adds them anew.
Entries without a ``user_id`` (departments, people without an account) stay manual.
"""

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain
from services.agreements.commitments import store as records
from services.agreements.commitments.staff import end_access
from shared.broker import Handler
from shared.events import Actor, Envelope, EventKind
from shared.events.contracts.identity import UserStatusChanged
from shared.outbox import Outbox

log = structlog.get_logger("pactum.agreements.consumer")

DURABLE = "agreements"
SUBJECTS = "dpa.*.identity.user.>"


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
