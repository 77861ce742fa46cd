"""The audit service's durable consumer: one entry per event, whatever the redeliveries."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.store import AuditEntry
from shared.events import Envelope, EventKind
from shared.telemetry import trace_id_of

DURABLE = "audit"


async def record_entry(session: AsyncSession, event: Envelope, kind: EventKind) -> None:
    """Append the event to its organisation's log, with the trace id of the request behind it."""
    session.add(
        AuditEntry(
            event_id=event.id,
            organisation_id=event.tenantid,
            event_type=event.type,
            source=event.source,
            subject=event.subject,
            actor_id=event.actorid,
            actor_type=event.actortype.value,
            actor_organisation_id=event.actororgid,
            occurred_at=event.time,
            recorded_at=datetime.now(UTC),
            trace_id=trace_id_of(event.traceparent),
            requirements=list(kind.requirements),
            data=event.data,
        )
    )
