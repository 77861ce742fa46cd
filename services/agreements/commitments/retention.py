"""Retention of staff names (TOM-T1): the name of a staff member whose access ended (DPA-8) is
pseudonymised once its retention has passed, one event per record.

These names are the platform users' data, kept for a fixed setting
(``PACTUM_AGREEMENTS_STAFF_RETENTION_DAYS``). The data subjects' data the service holds follows
the agreement's Annex 1 instead: the free text of data subjects' requests and of assistance
requests is deleted once the longest period of the Annex 1 categories they concern has passed
(``services/agreements/retention``); breach contact points have their own setting
(breaches/retention.py)."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.agreements import clocks
from services.agreements.commitments.store import StaffMember
from services.agreements.lifecycle.store import Agreement
from shared.event_types.agreements import AGREEMENTS_RETENTION_EXPIRED
from shared.events import Actor
from shared.events.contracts.agreements import RetentionApplied
from shared.outbox import Outbox


async def pseudonymise_staff(
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
                    select(StaffMember)
                    .where(
                        col(StaffMember.removed_at).is_not(None),
                        col(StaffMember.pseudonymised_at).is_(None),
                        col(StaffMember.removed_at) <= now - timedelta(days=days),
                    )
                    .with_for_update(skip_locked=True)
                )
            ).all()
        )
        for member in due:
            member.name = clocks.pseudonym(member.id)
            member.user_id = None
            member.pseudonymised_at = now
            outbox.add(
                session,
                type=AGREEMENTS_RETENTION_EXPIRED,
                tenant=await _tenant(session, member.agreement_id),
                actor=actor,
                subject=str(member.agreement_id),
                data=RetentionApplied(
                    agreement_id=member.agreement_id,
                    record="staff_member",
                    record_id=member.id,
                    action="pseudonymised",
                ),
            )
    return len(due)


async def _tenant(session: AsyncSession, agreement_id: object) -> str:
    agreement = await session.get(Agreement, agreement_id)
    assert agreement is not None
    return str(agreement.controller_id or agreement.organisation_id)
