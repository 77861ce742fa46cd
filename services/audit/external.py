"""External producers: the processor's other applications record their own accesses.

A customer's log should cover every consultation of its data, not only those on this platform
(TOM-T3a, TOM-T3c). Another application sends a CloudEvents envelope of a catalogued
``dpa.external.record.<verb>.v1`` type, either to ``POST /audit/events`` (with an access token of
its organisation) or straight to NATS on ``dpa.<tenant>.external.record.<verb>`` (as a NATS user
of its own: docs/operations.md, "The bus: one user per service"). Both go through
the same validation as every event; the HTTP path stores the envelope, with its own id, in the
outbox, so a retried POST is stored once.

The HTTP path keeps a producer in its lane: who acted is stamped from the token (the actor, its
organisation, its name, any grant), whatever the body says; an entry goes into another
organisation's log only under an agreement both parties signed, with that organisation as the
controller and the producer as the processor (and, when the event names an agreement, under that
one); and the event's ``time`` must be within ``PACTUM_AUDIT_EXTERNAL_TIME_SKEW_SECONDS`` of now.

The name stamped from the token is sealed to audit's ingest key by audit's own outbox before the
envelope is stored, as every service's is (a sealed name in the body is dropped). A producer
that publishes straight to NATS seals its actor's name itself (``actorsealed``, to the public key
of ``PACTUM_INGEST_PUBLIC_KEY_FILE``, with any RFC 9180 HPKE implementation: docs/audit.md), or
sends it in clear as ``actorname``, which audit still reads (the transition).
"""

import json
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.audit.domain import agreement_of
from services.audit.store import AgreementParties
from shared.auth import Principal
from shared.events import Envelope, UnknownEventType, kind_of
from shared.outbox import Outbox, OutboxMessage

EXTERNAL_PREFIX = "dpa.external."
EXTERNAL_SOURCE = "/dpa/external"


class Refused(ValueError):
    """The envelope is not acceptable; the message says what to change."""


class NotServed(PermissionError):
    """The caller's organisation does not process this tenant's data."""


def validated(
    body: bytes, principal: Principal, *, now: datetime | None = None, skew: float = 300.0
) -> Envelope:
    """The envelope, if it is a well-formed external access event, stamped with the caller as
    its actor, and timed within ``skew`` seconds of ``now``."""
    if b"\\u0000" in body or b"\x00" in body:
        raise Refused("NUL characters are not allowed in an event")
    try:
        sent = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused("not a CloudEvents envelope: the body is not JSON") from None
    if not isinstance(sent, dict):
        raise Refused("not a CloudEvents envelope: the body is not a JSON object")
    actor = principal.actor
    stamped = sent | {
        "actorid": actor.id,
        "actortype": actor.type.value,
        "actororgid": actor.organisation_id,
        "actorname": actor.name,
        "actorsealed": None,  # the name is the token's: audit's outbox seals it like any other
        "grantid": actor.grant_id,
    }
    try:
        envelope = Envelope.model_validate(stamped)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        raise Refused(f"not a CloudEvents envelope: {where}: {first.get('msg')}") from None
    if not envelope.type.startswith(EXTERNAL_PREFIX) or envelope.source != EXTERNAL_SOURCE:
        raise Refused(f"type must be {EXTERNAL_PREFIX}record.<verb>.v1, source {EXTERNAL_SOURCE}")
    try:
        kind = kind_of(envelope.type)
    except UnknownEventType:
        raise Refused(f"unknown event type {envelope.type!r} (not in the catalogue)") from None
    try:
        kind.payload.model_validate(envelope.data)
    except ValidationError as error:
        raise Refused(f"data does not match {kind.type}: {error.error_count()} error(s)") from None
    moment = now or datetime.now(UTC)
    if abs((envelope.time - moment).total_seconds()) > skew:
        raise Refused(f"time must be within {skew:g} seconds of now (it is when the access was)")
    return envelope


async def accept(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    body: bytes,
    skew: float = 300.0,
) -> tuple[Envelope, bool]:
    """Queue the event for the log; False when the same event id was accepted before."""
    envelope = validated(body, principal, skew=skew)
    async with session.begin():
        if envelope.tenantid != principal.organisation_id:
            query = select(col(AgreementParties.agreement_id)).where(
                col(AgreementParties.controller_id) == envelope.tenantid,
                col(AgreementParties.processor_id) == principal.organisation_id,
                col(AgreementParties.signed).is_(True),
            )
            named = agreement_of(envelope.data)
            if named is not None:
                query = query.where(col(AgreementParties.agreement_id) == named)
            if await session.scalar(query.limit(1)) is None:
                raise NotServed(envelope.tenantid)
        seen = await session.scalar(
            select(col(OutboxMessage.position)).where(col(OutboxMessage.event_id) == envelope.id)
        )
        if seen is not None:
            return envelope, False
        outbox.add_envelope(session, envelope)
    return envelope, True


__all__ = ["IntegrityError", "NotServed", "Refused", "accept", "validated"]
