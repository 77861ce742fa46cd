"""Erasure that keeps integrity: destroy the keys, keep the entries (TOM-T1, TOM-32a).

On a verified erasure request (an organisation's admin names one of its data subjects), or when a
month's personal data passes the retention period, the keys are destroyed. The entries they sealed
stay, show a pseudonym, and every hash still verifies. Each destruction is itself an audited event
that names key ids and months, never the person.
"""

import asyncio
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.audit import sealing
from services.audit.domain import periods_past_retention
from shared.event_types.audit import PERSONAL_DATA_DESTROYED
from shared.events import Actor
from shared.events.contracts.audit import PersonalDataDestroyed
from shared.outbox import Outbox

log = structlog.get_logger("pactum.audit")


async def erase_subject(
    *,
    session: AsyncSession,
    outbox: Outbox,
    organisation_id: str,
    subject_id: str,
    actor: Actor,
) -> list[str]:
    """Destroy one data subject's keys in the organisation's log; the key ids destroyed."""
    async with session.begin():
        key_ids = await sealing.destroy_subject(
            session, organisation_id=organisation_id, subject_id=subject_id
        )
        outbox.add(
            session,
            type=PERSONAL_DATA_DESTROYED,
            tenant=organisation_id,
            actor=actor,
            data=PersonalDataDestroyed(reason="erasure_request", key_ids=sorted(key_ids)),
        )
    return key_ids


async def expire_personal_data(
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    *,
    retention_days: int,
    now: datetime | None = None,
) -> int:
    """Destroy the keys of every month past retention, one audited event per organisation."""
    moment = now or datetime.now(UTC)
    async with sessions() as session:
        live = await sealing.live_periods(session)
    destroyed = 0
    for organisation_id, periods in live.items():
        expired = periods_past_retention(periods, now=moment, retention_days=retention_days)
        if not expired:
            continue
        async with sessions() as session, session.begin():
            key_ids = await sealing.destroy_periods(
                session, organisation_id=organisation_id, periods=expired
            )
            outbox.add(
                session,
                type=PERSONAL_DATA_DESTROYED,
                tenant=organisation_id,
                actor=Actor.system("audit"),
                data=PersonalDataDestroyed(
                    reason="retention", key_ids=sorted(key_ids), periods=sorted(expired)
                ),
            )
        destroyed += len(key_ids)
    return destroyed


async def run_retention(
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    *,
    retention_days: int,
    every: float,
) -> None:
    """Expire personal data every ``every`` seconds until cancelled."""
    while True:
        try:
            destroyed = await expire_personal_data(sessions, outbox, retention_days=retention_days)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("audit.retention_failed")
        else:
            if destroyed:
                log.info("audit.personal_data_expired", keys=destroyed)
        await asyncio.sleep(every)
