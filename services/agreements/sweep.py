"""The background sweep: applies every deadline that has passed, idempotently, with its events.

Each rule lives in a pure function of ``now`` (``clocks``); this module only finds what is due and
runs it on a timer. Running it twice, or in two replicas, settles each item once: the rows are
locked (``SKIP LOCKED`` on PostgreSQL) and marked in the same transaction as their event.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog

from services.agreements.assistance import subject_requests
from services.agreements.breaches import deadlines as breach_deadlines
from services.agreements.breaches import retention as breach_retention
from services.agreements.closure import deadlines as closure_deadlines
from services.agreements.commitments import retention as staff_retention
from services.agreements.retention import schedule as annex1_retention
from services.agreements.subprocessors import deadlines as objection_windows
from shared.runtime import ServiceRuntime

log = structlog.get_logger("pactum.agreements.sweep")

Step = Callable[[ServiceRuntime, datetime], Awaitable[int]]


async def _objection_windows(runtime: ServiceRuntime, now: datetime) -> int:
    return await objection_windows.close_windows(
        sessions=runtime.sessions, outbox=runtime.outbox, service=runtime.settings.service, now=now
    )


async def _breach_clocks(runtime: ServiceRuntime, now: datetime) -> int:
    return await breach_deadlines.flag_overdue_breach_notices(
        sessions=runtime.sessions, outbox=runtime.outbox, service=runtime.settings.service, now=now
    )


async def _staff_retention(runtime: ServiceRuntime, now: datetime) -> int:
    return await staff_retention.pseudonymise_staff(
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        service=runtime.settings.service,
        now=now,
        days=getattr(runtime.settings, "staff_retention_days", 365),
    )


async def _breach_contact_retention(runtime: ServiceRuntime, now: datetime) -> int:
    return await breach_retention.pseudonymise_breach_contacts(
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        service=runtime.settings.service,
        now=now,
        days=getattr(runtime.settings, "breach_contact_retention_days", 1825),
    )


async def _annex1_retention(runtime: ServiceRuntime, now: datetime) -> int:
    return await annex1_retention.delete_expired_text(
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        service=runtime.settings.service,
        now=now,
        fallback_days=getattr(runtime.settings, "record_retention_days", 1825),
    )


async def _breach_text_retention(runtime: ServiceRuntime, now: datetime) -> int:
    return await breach_retention.delete_breach_text(
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        service=runtime.settings.service,
        now=now,
        fallback_days=getattr(runtime.settings, "breach_contact_retention_days", 1825),
    )


async def _subject_requests(runtime: ServiceRuntime, now: datetime) -> int:
    return await subject_requests.flag_overdue(
        sessions=runtime.sessions, outbox=runtime.outbox, service=runtime.settings.service, now=now
    )


async def _closure_deadlines(runtime: ServiceRuntime, now: datetime) -> int:
    return await closure_deadlines.announce_closure_deadlines(
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        service=runtime.settings.service,
        now=now,
        days=getattr(runtime.settings, "closure_days", 30),
        remind_days=getattr(runtime.settings, "closure_reminder_days", 7),
    )


STEPS: dict[str, Step] = {
    "objection_windows": _objection_windows,
    "breach_clocks": _breach_clocks,
    "staff_retention": _staff_retention,
    "breach_contact_retention": _breach_contact_retention,
    "annex1_retention": _annex1_retention,
    "breach_text_retention": _breach_text_retention,
    "subject_requests": _subject_requests,
    "closure_deadlines": _closure_deadlines,
}


async def apply_due(runtime: ServiceRuntime, *, now: datetime | None = None) -> dict[str, int]:
    """Run every step once; returns how many items each settled."""
    moment = now or datetime.now(UTC)
    return {name: await step(runtime, moment) for name, step in STEPS.items()}


async def run(runtime: ServiceRuntime, *, every: float) -> None:
    """Sweep forever, a round every ``every`` seconds (the first after one interval, so a start
    does not race its own requests); a failing round is logged and the next one tries again."""
    while True:
        await asyncio.sleep(every)
        try:
            settled = await apply_due(runtime)
            if any(settled.values()):
                log.info("sweep.settled", **settled)
        except Exception:  # a sweep round must never kill the service
            log.exception("sweep.failed")
