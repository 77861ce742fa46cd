"""Refused requests, filed as access attempts in the log of the organisation whose data was asked
for (TOM-T3c): the answer to the caller stays generic, the customer still sees who tried.

Each attempt is one event whose id is made of its kind, the actor, the record and the minute, so
someone who asks again and again (a scanner, a script with an ended grant) adds one entry a minute
at most: the outbox, the stream and audit's inbox each keep an id once.

Filed here: a token under a grant that ended, refused by whichever service it reached (identity
files the same when an operator asks for a token under a grant that is no longer approved).
Agreements files the refused reads and changes of another organisation's agreement itself
(services/agreements/access.py), with :func:`file_once`; identity files those of another
organisation's users, organisations, grants, notices, passkeys and sessions
(services/identity/access.py), with :func:`file_once`.
"""

import uuid
from datetime import UTC, datetime
from typing import Literal

import structlog
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.event_types.agreements import AGREEMENTS_GRANT_USE_DENIED
from shared.event_types.audit import AUDIT_GRANT_USE_DENIED
from shared.event_types.identity import IDENTITY_GRANT_USE_DENIED
from shared.event_types.notifier import NOTIFIER_GRANT_USE_DENIED
from shared.events import Actor, Outcome
from shared.events.contracts.identity import GrantUseRefused
from shared.outbox import Outbox

log = structlog.get_logger("pactum.access")

GRANT_USE_DENIED = {
    "identity": IDENTITY_GRANT_USE_DENIED,
    "agreements": AGREEMENTS_GRANT_USE_DENIED,
    "audit": AUDIT_GRANT_USE_DENIED,
    "notifier": NOTIFIER_GRANT_USE_DENIED,
}
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})
GrantEnd = Literal["revoked", "expired", "not_approved"]


def refusal_id(event_type: str, actor_id: str, record: uuid.UUID, moment: datetime) -> uuid.UUID:
    """The id of a refused access event: one per kind, actor, record and minute."""
    minute = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    seen = f"pactum:{event_type}:{actor_id}:{record}:{minute}"
    return uuid.uuid5(uuid.NAMESPACE_URL, seen)


async def file_once(
    session: AsyncSession,
    outbox: Outbox,
    *,
    event_type: str,
    tenant: str,
    actor: Actor,
    record: uuid.UUID,
    data: BaseModel,
    moment: datetime,
) -> bool:
    """Add the access attempt ``event_type`` on ``record`` to ``session``'s transaction, filed
    under ``tenant`` with outcome ``denied`` and the id of its kind, actor, record and minute.
    False, and the transaction rolled back, when one was filed already this minute."""
    envelope = outbox.event(
        type=event_type,
        tenant=tenant,
        actor=actor,
        subject=str(record),
        data=data,
        outcome=Outcome.denied,
    )
    envelope = envelope.model_copy(update={"id": refusal_id(event_type, actor.id, record, moment)})
    outbox.add_envelope(session, envelope)
    try:
        await session.flush()
    except IntegrityError:  # already recorded this minute
        await session.rollback()
        return False
    return True


async def record_grant_refusal(
    *,
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    service: str,
    actor: Actor,
    customer_id: str,
    grant_id: str,
    reason: GrantEnd,
    method: str,
    now: datetime | None = None,
) -> bool:
    """File in the customer's log that ``actor`` was refused under the ended grant ``grant_id``,
    in a transaction of its own. True when recorded, False when already recorded this minute."""
    grant = uuid.UUID(grant_id)
    async with sessions() as session, session.begin():
        filed = await file_once(
            session,
            outbox,
            event_type=GRANT_USE_DENIED[service],
            tenant=customer_id,
            actor=actor,
            record=grant,
            data=GrantUseRefused(
                grant_id=grant, reason=reason, method=method if method in METHODS else "POST"
            ),
            moment=now or datetime.now(UTC),
        )
    if filed:
        log.info("access.grant_refusal_recorded", grant_id=grant_id, reason=reason)
    return filed
