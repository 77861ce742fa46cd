"""72-hour clocks that ran out: each controller is told once that its authority decision is
overdue (art. 33(1) GDPR, TOM-O4)."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agreements.breaches import store
from shared.event_types.agreements import BREACH_NOTICE_EXPIRED
from shared.events import Actor
from shared.events.contracts.agreements import AuthorityDeadlinePassed
from shared.moments import as_utc
from shared.outbox import Outbox


async def flag_overdue_breach_notices(
    *, sessions: async_sessionmaker[AsyncSession], outbox: Outbox, service: str, now: datetime
) -> int:
    """Tell each controller, once, that its 72 hours passed without a recorded decision."""
    actor = Actor.system(service)
    async with sessions() as session, session.begin():
        due = await store.overdue_notices(session=session, now=now)
        for notice in due:
            notice.deadline_passed = True
            outbox.add(
                session,
                type=BREACH_NOTICE_EXPIRED,
                tenant=str(notice.controller_id),
                actor=actor,
                subject=str(notice.agreement_id),
                data=AuthorityDeadlinePassed(
                    agreement_id=notice.agreement_id,
                    breach_id=notice.breach_id,
                    notice_id=notice.id,
                    authority_deadline=as_utc(notice.authority_deadline),
                ),
            )
    return len(due)
