"""The notifier's durable consumer: records each event once; notices are built on these receipts."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier.store import Receipt
from shared.events import Envelope, EventKind

DURABLE = "notifier"


async def record_receipt(session: AsyncSession, event: Envelope, _kind: EventKind) -> None:
    session.add(
        Receipt(
            event_id=event.id,
            organisation_id=event.tenantid,
            event_type=event.type,
            occurred_at=event.time,
            received_at=datetime.now(UTC),
        )
    )
