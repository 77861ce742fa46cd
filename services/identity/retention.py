"""Retention of failed sign-ins' client addresses (TOM-T1, TOM-32a; issue 14.5).

The lockout's per-address throttle (TOM-T5) counts failed sign-ins, and self-service reset
requests, per client and window (``client_failure``; the client is named by a keyed pseudonym of
its address, ``Authority.client_key``, which is still personal data while the key lives). A count
serves only while its window runs (``client_window_minutes``, ``reset_window_minutes``: a day at
most); the record is kept ``client_address_retention_days`` (30 by default) after its window
ended, long enough to look into an attack, then deleted. A window still running is never
touched, so the throttle works as before.

Deleted at most ``batch_size`` records per transaction, each batch with one
``dpa.identity.retention.expired.v1`` (under the platform: an address belongs to no
organisation) that gives the count, never an address.
"""

import asyncio
from datetime import datetime

import structlog
from sqlalchemy import CursorResult, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.identity.store import RESET_KEY, ClientFailure
from shared.event_types.identity import IDENTITY_RETENTION_EXPIRED
from shared.events import Actor
from shared.events.contracts.identity import ClientAddressesForgotten
from shared.events.subjects import PLATFORM_TENANT
from shared.outbox import Outbox

log = structlog.get_logger("pactum.identity.retention")

SYSTEM = Actor.system("identity")


def first_window_kept(before: datetime, *, window_minutes: int) -> int:
    """The number of the first window that had not ended at ``before``: earlier ones ended."""
    return int(before.timestamp() // (window_minutes * 60))


async def forget_client_addresses(
    *,
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    before: datetime,
    login_window_minutes: int,
    reset_window_minutes: int,
    batch_size: int,
) -> int:
    """Delete the records whose window ended before ``before``; how many went."""
    is_reset = col(ClientFailure.address).startswith(RESET_KEY)
    due = or_(
        and_(
            ~is_reset,
            col(ClientFailure.window)
            < first_window_kept(before, window_minutes=login_window_minutes),
        ),
        and_(
            is_reset,
            col(ClientFailure.window)
            < first_window_kept(before, window_minutes=reset_window_minutes),
        ),
    )
    total = 0
    while True:
        async with sessions() as session, session.begin():
            result = await session.execute(
                delete(ClientFailure)
                .where(
                    col(ClientFailure.id).in_(
                        select(col(ClientFailure.id)).where(due).limit(batch_size)
                    )
                )
                .execution_options(synchronize_session=False)
            )
            deleted = result.rowcount if isinstance(result, CursorResult) else 0
            if deleted:
                outbox.add(
                    session,
                    type=IDENTITY_RETENTION_EXPIRED,
                    tenant=PLATFORM_TENANT,
                    actor=SYSTEM,
                    data=ClientAddressesForgotten(
                        record="client_failure", deleted=deleted, before=before
                    ),
                )
        total += deleted
        if deleted < batch_size:
            if total:
                log.info("identity.client_addresses_forgotten", count=total)
            return total
        await asyncio.sleep(0)  # sign-ins in between batches
