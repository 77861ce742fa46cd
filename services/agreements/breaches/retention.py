"""Retention of breach reports (TOM-T1, DPA-4b): the contact point is deleted once its fixed
retention has passed (``PACTUM_AGREEMENTS_BREACH_CONTACT_RETENTION_DAYS``), and the report's free
text once the longest Annex 1 period of its categories has passed, over the agreements notified;
each with one event per controller notified of the breach.

The other personal data this service holds: the names of staff whose access ended
(commitments/retention.py) and the free text of data subjects' requests and assistance requests,
kept as long as their Annex 1 categories say (``services/agreements/retention``)."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.agreements.access import tell_controllers
from services.agreements.breaches import store as records
from services.agreements.breaches.store import Breach, BreachNotice, BreachPhase
from services.agreements.lifecycle import annex1
from services.agreements.lifecycle import store as lifecycle
from services.agreements.lifecycle.store import Agreement
from shared.event_types.agreements import AGREEMENTS_RETENTION_EXPIRED
from shared.events import Actor
from shared.events.contracts.agreements import RetentionApplied
from shared.moments import as_utc
from shared.outbox import Outbox


def _tell(
    session: AsyncSession,
    outbox: Outbox,
    actor: Actor,
    breach: Breach,
    notices: list[BreachNotice],
    *,
    touched: dict[uuid.UUID, list[str]] | None = None,
    kept_days: int | None = None,
) -> None:
    """One ``retention.expired`` event per controller notified of the breach."""
    tell_controllers(
        session,
        outbox,
        actor,
        notices,
        type=AGREEMENTS_RETENTION_EXPIRED,
        payload=lambda notice: RetentionApplied(
            agreement_id=notice.agreement_id,
            record="breach",
            record_id=breach.id,
            action="deleted",
            categories=(touched or {}).get(notice.id, []),
            kept_days=kept_days,
        ),
    )


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
            notices = await records.notices(session=session, breach_id=breach.id)
            # each controller's log shows the action on its agreement
            _tell(session, outbox, actor, breach, notices)
    return len(due)


async def delete_breach_text(
    *,
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    service: str,
    now: datetime,
    fallback_days: int,
) -> int:
    """Delete, once, a breach report's free text (nature, consequences, measures, contact point,
    phase notes) when the longest Annex 1 period of its categories has passed since the report,
    over every agreement notified; a category without a period in days counts as the fallback.
    One event per controller notified, naming its agreement's categories the breach touched."""
    actor = Actor.system(service)
    settled = 0
    async with sessions() as session, session.begin():
        found = await session.scalars(
            select(Breach)
            .where(
                col(Breach.text_deleted_at).is_(None),
                col(Breach.reported_at) <= now - timedelta(days=1),  # no period is shorter
            )
            .with_for_update(skip_locked=True)
        )
        for breach in found.all():
            notices = await records.notices(session=session, breach_id=breach.id)
            touched: dict[uuid.UUID, list[str]] = {}
            days = fallback_days if not notices else 0
            for notice in notices:
                agreement = await session.get(Agreement, notice.agreement_id)
                assert agreement is not None
                periods = annex1.periods_of(
                    await lifecycle.annex1_in_force(session=session, agreement=agreement)
                )
                touched[notice.id] = annex1.named_in(breach.data_categories, periods)
                days = max(days, annex1.kept_days(touched[notice.id], periods, fallback_days))
            if as_utc(breach.reported_at) + timedelta(days=days) > now:
                continue
            breach.nature = breach.consequences = breach.measures = ""
            breach.contact_point = None
            breach.text_deleted_at = now
            await session.execute(
                update(BreachPhase).where(col(BreachPhase.breach_id) == breach.id).values(note=None)
            )
            _tell(session, outbox, actor, breach, notices, touched=touched, kept_days=days)
            settled += 1
    return settled
