"""Retention of breach contact points (TOM-T1): the contact point in a breach report is deleted
once its retention has passed, with one event per controller notified of the breach.

The other personal data this service holds: the names of staff whose access ended
(commitments/retention.py) and the free text of data subjects' requests and assistance requests,
kept as long as their Annex 1 categories say (``services/agreements/retention``)."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.agreements.breaches.store import Breach, BreachNotice
from shared.events import Actor
from shared.events.contracts.agreements import RetentionApplied
from shared.outbox import Outbox


async def pseudonymise_breach_contacts(
    *,
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    service: str,
    now: datetime,
    days: int,
) -> int:
    actor = Actor.system(service)
    async with sessions() as session, session.begin():
        due = list(
            (
                await session.scalars(
                    select(Breach)
                    .where(
                        col(Breach.contact_point).is_not(None),
                        col(Breach.reported_at) <= now - timedelta(days=days),
                    )
                    .with_for_update(skip_locked=True)
                )
            ).all()
        )
        for breach in due:
            breach.contact_point = None
            notices = (
                await session.scalars(
                    select(BreachNotice).where(col(BreachNotice.breach_id) == breach.id)
                )
            ).all()
            for notice in notices:  # each controller's log shows the action on its agreement
                outbox.add(
                    session,
                    type="dpa.agreements.retention.expired.v1",
                    tenant=str(notice.controller_id),
                    actor=actor,
                    subject=str(notice.agreement_id),
                    data=RetentionApplied(
                        agreement_id=notice.agreement_id,
                        record="breach",
                        record_id=breach.id,
                        action="deleted",
                    ),
                )
    return len(due)
