"""Objection windows that passed close: each notice is settled once, with its event (DPA-5)."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agreements import clocks
from services.agreements.clocks import NoticeDecision
from services.agreements.subprocessors import store as records
from shared.events import Actor
from shared.events.contracts.agreements import SubprocessorNoticeDecided
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
