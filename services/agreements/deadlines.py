"""Deadlines that passed: objection windows close, 72-hour clocks run out; each settled once."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agreements import breach_store, clocks
from services.agreements import subprocessor_store as records
from services.agreements.clocks import NoticeDecision
from shared.events import Actor
from shared.events.contracts.agreements import AuthorityDeadlinePassed, SubprocessorNoticeDecided
from shared.outbox import Outbox


async def close_windows(
    *, sessions: async_sessionmaker[AsyncSession], outbox: Outbox, service: str, now: datetime
) -> int:
    """Apply objection deadlines that passed, once each; returns how many notices it settled."""
    actor = Actor.system(service)
    async with sessions() as session, session.begin():
        due = await records.due_notices(session=session, now=now)
        for notice in due:
            notice.window_closed = True
            outcome = clocks.decision_at_deadline(
                decision=notice.decision,
                deadline=notice.objection_deadline,
                silence_is_acceptance=notice.silence_is_acceptance,
                now=now,
            )
            if outcome is NoticeDecision.accepted:
                notice.decision = outcome
                notice.decided_at = now
                notice.decided_by = actor.id
            verb = "accepted" if outcome is NoticeDecision.accepted else "expired"
            outbox.add(
                session,
                type=f"dpa.agreements.subprocessor_notice.{verb}.v1",
                tenant=str(notice.controller_id),
                actor=actor,
                subject=str(notice.agreement_id),
                data=SubprocessorNoticeDecided(
                    agreement_id=notice.agreement_id,
                    notice_id=notice.id,
                    change_id=notice.change_id,
                    decision=notice.decision,
                    deemed=outcome is NoticeDecision.accepted,
                ),
            )
    return len(due)


async def flag_overdue_breach_notices(
    *, sessions: async_sessionmaker[AsyncSession], outbox: Outbox, service: str, now: datetime
) -> int:
    """Tell each controller, once, that its 72 hours passed without a recorded decision."""
    actor = Actor.system(service)
    async with sessions() as session, session.begin():
        due = await breach_store.overdue_notices(session=session, now=now)
        for notice in due:
            notice.deadline_passed = True
            outbox.add(
                session,
                type="dpa.agreements.breach_notice.expired.v1",
                tenant=str(notice.controller_id),
                actor=actor,
                subject=str(notice.agreement_id),
                data=AuthorityDeadlinePassed(
                    agreement_id=notice.agreement_id,
                    breach_id=notice.breach_id,
                    notice_id=notice.id,
                    authority_deadline=clocks.as_utc(notice.authority_deadline),
                ),
            )
    return len(due)
