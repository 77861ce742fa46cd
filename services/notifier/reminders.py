"""Deadline clocks: a controller's 72-hour breach clock and an objection window, with reminders.

Opened and closed by events; reminders are decided by ``domain`` from ``now`` and sent through
the same delivery ledger, keyed by the clock and the reminder point, so a second run sends nothing.

The closing event may reach the stream before the opening one (replicas of agreements publish
their own outboxes): a close finds no clock and leaves a closed one, which the opening then fills
in without reopening it, so no reminder goes out for a deadline already met.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier import ledger
from services.notifier.addressing import address
from services.notifier.domain import Topic, breach_reminders, due_reminder, objection_reminders
from services.notifier.ledger import Clock
from services.notifier.notices import ClockOpening, Notice
from services.notifier.settings import NotifierSettings
from shared.moments import as_utc
from shared.outbox import Outbox


async def open_clock(session: AsyncSession, opening: ClockOpening) -> None:
    found = await ledger.clock(session=session, kind=opening.kind, thread_id=opening.thread_id)
    if found is not None:
        if not found.facts:  # closed before it opened: keep it closed, with what it was about
            found.organisation_id = opening.organisation_id
            found.deadline = opening.deadline
            found.facts = _jsonable(opening.facts)
        return
    session.add(
        Clock(
            organisation_id=opening.organisation_id,
            kind=opening.kind,
            thread_id=opening.thread_id,
            deadline=opening.deadline,
            facts=_jsonable(opening.facts),
        )
    )
    await session.flush()


async def close_clock(
    session: AsyncSession,
    *,
    kind: str,
    thread_id: str,
    reason: str,
    now: datetime,
    organisation_id: str,
) -> Clock:
    found = await ledger.clock(session=session, kind=kind, thread_id=thread_id)
    if found is None:  # the opening event is still on its way: it finds the clock closed
        found = Clock(
            organisation_id=organisation_id,
            kind=kind,
            thread_id=thread_id,
            deadline=now,
            facts={},
        )
        session.add(found)
    if found.closed_at is None:
        found.closed_at = now
        found.closed_because = reason
    await session.flush()
    return found


def reminder_for(clock: Clock, *, settings: NotifierSettings, now: datetime) -> Notice | None:
    """The reminder ``clock`` calls for at ``now``, if any (pure apart from reading the clock)."""
    deadline = as_utc(clock.deadline)
    if clock.kind == "breach":
        reminders = breach_reminders(
            authority_deadline=deadline, points=settings.breach_reminder_hours
        )
    elif clock.facts.get("objection_deadline"):
        reminders = objection_reminders(deadline=deadline, points=settings.objection_reminder_hours)
    else:
        return None
    due = due_reminder(reminders, sent=clock.sent_points, now=now, until=deadline)
    if due is None:
        return None
    hours_left = max(0, int((deadline - now) / timedelta(hours=1)))
    facts = dict(clock.facts) | {"hours_left": hours_left}
    link = str(facts.pop("link", ""))
    breach = clock.kind == "breach"
    return Notice(
        notice="breach_reminder" if breach else "subprocessor_reminder",
        topic=Topic.breach if breach else Topic.subprocessor,
        organisation_id=clock.organisation_id,
        cause=f"{clock.kind}:{clock.thread_id}/reminder/{due.point}",
        event_id=str(facts.get("event_id", clock.thread_id)),
        facts=facts,
        link=link or f"/breaches/{facts.get('breach_id')}",
        thread_id=clock.thread_id,
    )


async def remind(
    session: AsyncSession, *, outbox: Outbox, settings: NotifierSettings, now: datetime
) -> int:
    """Send every reminder due at ``now`` (idempotent: each point goes once per clock)."""
    sent = 0
    for clock in await ledger.open_clocks(session=session):
        if now >= as_utc(clock.deadline):  # nothing more to remind of; the event that closes
            clock.closed_at = now  # it (decision, expiry) may still come and finds it closed
            clock.closed_because = "deadline_reached"
            continue
        notice = reminder_for(clock, settings=settings, now=now)
        if notice is None:
            continue
        await address(
            session, outbox=outbox, notice=notice, base_url=settings.public_base_url, now=now
        )
        point = int(notice.cause.rsplit("/", 1)[1])
        clock.sent_points = [*clock.sent_points, point]
        sent += 1
    return sent


def _jsonable(facts: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in facts.items()
    }
