"""External producers: the processor's other applications record their own accesses.

A customer's log should cover every consultation of its data, not only those on this platform
(TOM-T3a, TOM-T3c). Another application sends a CloudEvents envelope of a catalogued
``dpa.external.record.<verb>.v1`` type, either to ``POST /audit/events`` (with an access token of
its organisation) or straight to NATS on ``dpa.<tenant>.external.record.<verb>``. Both go through
the same validation as every event; the HTTP path stores the envelope, unchanged and with its own
id, in the outbox, so a retried POST is stored once.
"""

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

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


def validated(body: bytes, principal: Principal) -> Envelope:
    """The envelope, if it is a well-formed external access event sent in the caller's name."""
    if b"\\u0000" in body or b"\x00" in body:
        raise Refused("NUL characters are not allowed in an event")
    try:
        envelope = Envelope.model_validate_json(body)
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
    if envelope.actororgid != principal.organisation_id:
        raise Refused("actororgid must be the organisation of the sending application")
    return envelope


async def accept(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, body: bytes
) -> tuple[Envelope, bool]:
    """Queue the event for the log; False when the same event id was accepted before."""
    envelope = validated(body, principal)
    async with session.begin():
        if envelope.tenantid != principal.organisation_id:
            serves = await session.scalar(
                select(col(AgreementParties.agreement_id))
                .where(
                    col(AgreementParties.controller_id) == envelope.tenantid,
                    col(AgreementParties.processor_id) == principal.organisation_id,
                )
                .limit(1)
            )
            if serves is None:
                raise NotServed(envelope.tenantid)
        seen = await session.scalar(
            select(col(OutboxMessage.position)).where(col(OutboxMessage.event_id) == envelope.id)
        )
        if seen is not None:
            return envelope, False
        session.add(
            OutboxMessage(
                event_id=envelope.id,
                subject=envelope.nats_subject,
                event_type=envelope.type,
                envelope=envelope.to_json().decode(),
                created_at=envelope.time,
            )
        )
        session.info["pactum_outbox"] = outbox  # wake the relay after the commit
    return envelope, True


__all__ = ["IntegrityError", "NotServed", "Refused", "accept", "validated"]
