"""Retention (TOM-T1): the personal data this service itself holds is pseudonymised once its
retention has passed, one event per record. That data is the names of staff whose access ended
(DPA-8) and the contact points in breach reports. The agreements' Annex 1 holds categories, not
data subjects' data, so it has nothing to pseudonymise."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.agreements import clocks
from services.agreements.breach_store import Breach, BreachNotice
from services.agreements.commitment_store import StaffMember
from services.agreements.store import Agreement
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
                type="dpa.agreements.retention.expired.v1",
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


async def _tenant(session: AsyncSession, agreement_id: object) -> str:
    agreement = await session.get(Agreement, agreement_id)
    assert agreement is not None
    return str(agreement.controller_id or agreement.organisation_id)
