"""The return-or-destruction deadline, run by the sweep (DPA-13, DPA-4b): once before it, both
parties are reminded (``closure_deadline.announced``); once it passed with the end still open,
the agreement is raised as overdue (``closure_deadline.expired``), which reminds both parties
again and counts in the operator's status. Each step is marked with its event, so it goes once.
The period is the agreement's own (its terms' ``closure_days``) or else the service's default."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agreements.access import tenant_of
from services.agreements.closure import rules
from services.agreements.closure import store as ends
from services.agreements.closure.store import ClosureDeadline
from services.agreements.domain import AgreementStatus
from shared.events import Actor
from shared.events.contracts.agreements import ClosureDeadlineStep
from shared.moments import as_utc
from shared.outbox import Outbox

VERBS = {rules.DeadlineStep.approaching: "announced", rules.DeadlineStep.passed: "expired"}


async def announce_closure_deadlines(
    *,
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    service: str,
    now: datetime,
    days: int,
    remind_days: int,
) -> int:
    """Take every deadline step due at ``now``; returns how many were taken. ``days`` is the
    default period, for agreements whose terms set none."""
    actor = Actor.system(service)
    taken = 0
    async with sessions() as session, session.begin():
        for agreement, marks, attested, terms in await ends.open_ends(session=session):
            assert agreement.terminated_at is not None
            if marks is None:
                period = rules.period_days(terms=terms, default=days)
                marks = ClosureDeadline(
                    agreement_id=agreement.id,
                    due_at=rules.closure_deadline(
                        terminated_at=agreement.terminated_at, days=period
                    ),
                )
                session.add(marks)
            step = rules.due_step(
                deadline=marks.due_at,
                remind_days=remind_days,
                now=now,
                announced=marks.announced_at is not None,
                passed=marks.passed_at is not None,
            )
            if step is None:
                continue
            if step is rules.DeadlineStep.passed:
                marks.passed_at = now
            marks.announced_at = marks.announced_at or now
            waiting = rules.outstanding(
                closed=agreement.status == AgreementStatus.closed, attested=attested
            )
            assert agreement.controller_id is not None
            assert agreement.processor_id is not None
            outbox.add(
                session,
                type=f"dpa.agreements.closure_deadline.{VERBS[step]}.v1",
                tenant=tenant_of(agreement),
                actor=actor,
                subject=str(agreement.id),
                data=ClosureDeadlineStep(
                    agreement_id=agreement.id,
                    controller_id=agreement.controller_id,
                    processor_id=agreement.processor_id,
                    terminated_at=as_utc(agreement.terminated_at),
                    due_at=as_utc(marks.due_at),
                    outstanding=[str(item) for item in waiting],
                ),
            )
            taken += 1
    return taken


async def overdue_ends(sessions: async_sessionmaker[AsyncSession]) -> dict[str, object]:
    """The operator's status section: how many agreements are overdue (a count only)."""
    async with sessions() as session:
        return {"overdue": await ends.overdue_count(session=session)}
