"""The notifier's durable consumer: one receipt per event, and the notices the event calls for.

Everything an event causes (receipt, delivery rows, inbox items, clocks, evidence events) commits
in one transaction with the consumer's inbox row, so a redelivered event adds nothing. Sending
happens after commit, from the ledger (``dispatch``).
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier import ledger, store
from services.notifier.addressing import address
from services.notifier.notices import ContactCheck, Notice
from services.notifier.plans import plan_for
from services.notifier.reminders import close_clock, open_clock
from services.notifier.settings import NotifierSettings
from services.notifier.store import Receipt
from shared.broker import BatchHandler
from shared.events import Envelope, EventKind
from shared.outbox import Outbox

DURABLE = "notifier"
RECEIPTS = Receipt.__table__  # type: ignore[attr-defined]


def notice_handler(*, outbox: Outbox, settings: NotifierSettings, wake: object) -> BatchHandler:
    """Handle each fetched batch in one transaction (the broker retries a failed batch event by
    event, so one event that cannot be handled is retried alone).

    The batch's receipts are one multi-row INSERT, in stream order; most events (reads, for
    one) call for no notice, and for them the receipt is all there is to store.
    """
    issuer = _Issuer(outbox=outbox, base_url=settings.public_base_url, wake=wake)

    async def handle(session: AsyncSession, events: Sequence[tuple[Envelope, EventKind]]) -> None:
        now = datetime.now(UTC)
        await _file_receipts(session, [event for event, _kind in events], now)
        for event, _kind in events:
            await _follow_plan(session, event, issuer, now)

    return handle


@dataclass(frozen=True)
class _Issuer:
    """Issues a notice in the event's transaction: its deliveries written, the dispatcher woken
    once the transaction commits."""

    outbox: Outbox
    base_url: str
    wake: object

    async def issue(self, session: AsyncSession, notice: Notice, now: datetime) -> None:
        await address(session, outbox=self.outbox, notice=notice, base_url=self.base_url, now=now)
        session.info["pactum_notifier_wake"] = self.wake


async def _file_receipts(session: AsyncSession, events: list[Envelope], now: datetime) -> None:
    """One receipt per event, in stream order, in one INSERT."""
    await session.execute(
        insert(RECEIPTS),
        [
            {
                "event_id": event.id,
                "organisation_id": event.tenantid,
                "event_type": event.type,
                "occurred_at": event.time,
                "received_at": now,
            }
            for event in events
        ],
    )


async def _follow_plan(
    session: AsyncSession, event: Envelope, issuer: _Issuer, now: datetime
) -> None:
    """What the event calls for: the clocks it opens and closes, its notices (an outcome also to
    the processor), and a warning to every party when one has no contact for the topic."""
    plan = plan_for(event)
    for opening in plan.opens:
        facts = opening.facts | {"event_id": str(event.id)}
        await open_clock(session, replace(opening, facts=facts))
    for kind, thread, reason in plan.closes:
        await close_clock(
            session,
            kind=kind,
            thread_id=thread,
            reason=reason,
            now=now,
            organisation_id=event.tenantid,
        )
    for notice in plan.notices:
        for addressed in await _with_processor_copy(session, notice):
            await issuer.issue(session, addressed, now)
    for check in plan.checks:
        for warning in await _contact_warnings(session, check):
            await issuer.issue(session, warning, now)


async def _contact_warnings(session: AsyncSession, check: ContactCheck) -> list[Notice]:
    """The check's warning for every party, when one of them has no contact for its topic
    (a contact with an address or an inbox, or an enabled webhook endpoint)."""
    missing = [
        party
        for party, organisation in check.parties.items()
        if not await store.contacts_of(
            session=session, organisation_id=organisation, topic=check.topic.value
        )
        and not [
            endpoint
            for endpoint in await store.endpoints_of(
                session=session, organisation_id=organisation, topic=check.topic.value
            )
            if endpoint.enabled
        ]
    ]
    if not missing:
        return []
    facts = check.warning.facts | {"missing": missing}
    return [
        replace(
            check.warning,
            organisation_id=organisation,
            cause=f"{check.warning.cause}/{party}",
            facts=facts,
        )
        for party, organisation in check.parties.items()
    ]


async def _with_processor_copy(session: AsyncSession, notice: Notice) -> list[Notice]:
    """An outcome is confirmed to both parties: the processor is remembered by the clock."""
    if not notice.copy_to_processor or notice.thread_id is None:
        return [notice]
    clock = await ledger.clock(session=session, kind="objection", thread_id=notice.thread_id)
    processor = str(clock.facts.get("processor_id", "")) if clock else ""
    if not processor or processor == notice.organisation_id:
        return [notice]
    return [notice, replace(notice, organisation_id=processor, cause=f"{notice.cause}/processor")]
