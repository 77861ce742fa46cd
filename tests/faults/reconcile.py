"""Reconciliation after a run under faults: what was answered, emitted, logged and delivered.

Reads the services' databases (outboxes, audit entries, the notifier's inbox and delivery
ledger), the audit verification API and what the mail sink and the webhook receiver received,
and names every discrepancy precisely:

* **outbox**: a committed event that no relay published within the bound (stuck);
* **audit**: an emitted event with no audit entry (lost) or more than one (doubled); a call
  answered with success whose event is not in the log exactly once, or that carries no trace id;
  an audit entry that no service emitted;
* **consumers**: an emitted event the notifier's durable consumer never took in;
* **notices**: an event that calls for notices without exactly one delivery per expected
  channel; a delivery not delivered; one whose e-mail or webhook never arrived; something received
  that no delivery row names; a delivery recorded as delivered more than once (two dispatchers
  sent it). A notice sent twice under the **same** id is counted as
  ``resent_same_id``, not as a discrepancy: it is the documented window between a send and its
  record (docs/notifier.md), which receivers close by deduplicating on ``Message-ID`` /
  ``webhook-id``; two deliveries for one (cause, recipient, channel) would be a discrepancy;
* **trees**: an organisation whose audit log does not verify against its signed checkpoints;
* **order** (where a run asks for it, :func:`check_order`): an organisation whose log records
  its events in another order than the stream holds them.

``settle`` first waits (up to a bound) until the platform is quiet: nothing left to publish,
every event logged and taken in by the notifier, no delivery pending.
"""

import asyncio
import json
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from services.audit.store import AuditEntry, AuditTree
from services.notifier.ledger import Attempt, Delivery, InboxItem
from services.notifier.plans import PLANS
from shared.bus_access import STREAM
from shared.database import create_engine, session_factory
from shared.inbox import InboxReceipt
from shared.outbox import OutboxMessage
from tests.faults.load import Call
from tests.support.databases import Database

SERVICES = ("identity", "agreements", "audit", "notifier")


@dataclass(frozen=True)
class Discrepancy:
    check: str  # outbox | audit | consumers | notices | trees | order
    what: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.what}"


@dataclass(frozen=True)
class Emitted:
    service: str
    event_id: uuid.UUID
    event_type: str
    tenant: str
    trace_id: str | None
    created_at: datetime
    published_at: datetime | None
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class Logged:
    event_id: uuid.UUID
    event_type: str
    organisation_id: str
    trace_id: str | None
    log_index: int = 0


@dataclass
class Evidence:
    """Everything the databases hold that the reconciliation compares."""

    emitted: list[Emitted] = field(default_factory=list)
    logged: list[Logged] = field(default_factory=list)
    consumed_by_notifier: set[uuid.UUID] = field(default_factory=set)
    deliveries: list[Delivery] = field(default_factory=list)
    inbox_items: set[uuid.UUID] = field(default_factory=set)  # their delivery ids
    successes: Counter[uuid.UUID] = field(
        default_factory=Counter
    )  # delivered attempts per delivery
    organisations: list[str] = field(default_factory=list)  # those with an audit tree


@dataclass
class Reconciliation:
    figures: dict[str, int | float] = field(default_factory=dict)
    discrepancies: list[Discrepancy] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.discrepancies

    def by_check(self) -> dict[str, int]:
        return dict(Counter(d.check for d in self.discrepancies))

    def report(self, limit: int = 40) -> str:
        lines = [f"{name}: {value}" for name, value in self.figures.items()]
        lines += [str(d) for d in self.discrepancies[:limit]]
        if len(self.discrepancies) > limit:
            lines.append(f"... and {len(self.discrepancies) - limit} more discrepancies")
        return "\n".join(lines)


def trace_of(envelope: str) -> str | None:
    """The trace id of an envelope's W3C ``traceparent`` (``00-<trace>-<span>-<flags>``)."""
    parent = json.loads(envelope).get("traceparent")
    parts = parent.split("-") if isinstance(parent, str) else []
    return parts[1] if len(parts) == 4 else None


class Databases:
    """Read-only engines on the four services' databases (a SQLite file or a PostgreSQL schema)."""

    def __init__(self, databases: Mapping[str, Database]) -> None:
        self.engines: dict[str, AsyncEngine] = {
            service: create_engine(database.url, schema=database.schema)
            for service, database in databases.items()
        }

    async def close(self) -> None:
        for engine in self.engines.values():
            await engine.dispose()

    async def rows(self, service: str, query: Any) -> list[Any]:
        async with session_factory(self.engines[service])() as session:
            return list((await session.execute(query)).all())

    async def evidence(self) -> Evidence:
        found = Evidence()
        for service in SERVICES:
            for (row,) in await self.rows(service, select(OutboxMessage)):
                found.emitted.append(
                    Emitted(
                        service=service,
                        event_id=row.event_id,
                        event_type=row.event_type,
                        tenant=json.loads(row.envelope).get("tenantid", ""),
                        trace_id=trace_of(row.envelope),
                        created_at=row.created_at,
                        published_at=row.published_at,
                        attempts=row.attempts,
                        last_error=row.last_error,
                    )
                )
        entries = select(
            col(AuditEntry.event_id),
            col(AuditEntry.event_type),
            col(AuditEntry.organisation_id),
            col(AuditEntry.trace_id),
            col(AuditEntry.log_index),
        )
        found.logged = [Logged(*row) for row in await self.rows("audit", entries)]
        found.organisations = [
            row[0] for row in await self.rows("audit", select(col(AuditTree.organisation_id)))
        ]
        consumed = select(col(InboxReceipt.event_id)).where(
            col(InboxReceipt.consumer) == "notifier"
        )
        found.consumed_by_notifier = {row[0] for row in await self.rows("notifier", consumed)}
        found.deliveries = [row[0] for row in await self.rows("notifier", select(Delivery))]
        items = select(col(InboxItem.delivery_id))
        found.inbox_items = {row[0] for row in await self.rows("notifier", items)}
        successes = select(col(Attempt.delivery_id)).where(col(Attempt.delivered).is_(True))
        found.successes = Counter(row[0] for row in await self.rows("notifier", successes))
        return found


def unsettled(evidence: Evidence) -> list[str]:
    """Why the platform is not quiet yet (empty when it is)."""
    reasons = []
    pending = [e for e in evidence.emitted if e.published_at is None]
    if pending:
        reasons.append(f"{len(pending)} events not yet published")
    logged = {entry.event_id for entry in evidence.logged}
    missing = [e for e in evidence.emitted if e.event_id not in logged]
    if missing:
        reasons.append(f"{len(missing)} events not yet in the audit log")
    unseen = [
        e
        for e in evidence.emitted
        if _planned(e.event_type) and e.event_id not in evidence.consumed_by_notifier
    ]
    if unseen:
        reasons.append(f"{len(unseen)} events not yet taken in by the notifier")
    open_ = [d for d in evidence.deliveries if d.status.value in {"pending", "sending"}]
    if open_:
        reasons.append(f"{len(open_)} deliveries pending")
    return reasons


async def settle(databases: Databases, *, within: float) -> tuple[Evidence, list[str]]:
    """Wait until the platform is quiet or ``within`` seconds passed; the last evidence and
    what was still unsettled then."""
    deadline = time.monotonic() + within
    while True:
        evidence = await databases.evidence()
        reasons = unsettled(evidence)
        if not reasons or time.monotonic() > deadline:
            return evidence, reasons
        await asyncio.sleep(0.5)


async def stream_order(nats_url: str) -> list[uuid.UUID]:
    """The ids of the events ``DPA_EVENTS`` holds, in stream order (an ephemeral consumer that
    acknowledges nothing, so the services' durables are untouched)."""
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    connection = await nats.connect(nats_url)
    try:
        jetstream = connection.jetstream()
        last = (await jetstream.stream_info(STREAM)).state.last_seq
        reader = await jetstream.pull_subscribe(
            "dpa.>",
            stream=STREAM,
            config=ConsumerConfig(
                ack_policy=AckPolicy.NONE,
                deliver_policy=DeliverPolicy.ALL,
                inactive_threshold=30.0,
            ),
        )
        order: list[uuid.UUID] = []
        seen = 0
        while seen < last:
            for message in await reader.fetch(1000, timeout=10):
                order.append(uuid.UUID(json.loads(message.data)["id"]))
                seen = message.metadata.sequence.stream
        await reader.unsubscribe()
        return order
    finally:
        await connection.close()


async def verify_trees(
    audit_url: str, organisations: Iterable[str], headers: Callable[[str], dict[str, str]]
) -> list[Discrepancy]:
    """Ask the audit API to verify each organisation's log against its signed checkpoints."""
    found = []
    async with httpx.AsyncClient(timeout=30.0) as client:
        for organisation in organisations:
            answer = await client.get(
                f"{audit_url}/audit/verification", headers=headers(organisation)
            )
            if answer.status_code != 200:
                found.append(Discrepancy("trees", f"{organisation}: verification answered "
                                         f"{answer.status_code} {answer.text[:200]}"))  # fmt: skip
                continue
            body = answer.json()
            if not body["valid"]:
                found.append(
                    Discrepancy(
                        "trees",
                        f"{organisation}: log of {body['tree_size']} entries does not verify: "
                        f"first bad position {body['first_bad_position']}, {body['problem']}",
                    )
                )
    return found


def check_outboxes(evidence: Evidence, bound: timedelta) -> tuple[list[Discrepancy], list[float]]:
    """Every committed event published, within ``bound`` of its commit; the delays seen."""
    found, delays = [], []
    twice = Counter(e.event_id for e in evidence.emitted)
    found += [
        Discrepancy("outbox", f"event {i} is in {n} outboxes") for i, n in twice.items() if n > 1
    ]
    for e in evidence.emitted:
        name = f"{e.service} event {e.event_id} ({e.event_type})"
        if e.published_at is None:
            found.append(
                Discrepancy(
                    "outbox",
                    f"{name}, created {e.created_at:%H:%M:%S.%f}, never published: "
                    f"{e.attempts} attempts, last error {e.last_error!r}",
                )
            )
            continue
        delay = (e.published_at - e.created_at).total_seconds()
        delays.append(delay)
        if delay > bound.total_seconds():
            found.append(Discrepancy("outbox", f"{name} published only after {delay:.1f} s"))
    return found, delays


def check_audit_log(evidence: Evidence) -> list[Discrepancy]:
    """Every emitted event logged exactly once; nothing logged that no service emitted."""
    found = []
    logged = Counter(entry.event_id for entry in evidence.logged)
    emitted = {e.event_id for e in evidence.emitted}
    for e in evidence.emitted:
        count = logged.get(e.event_id, 0)
        if count != 1:
            where = "missing from" if count == 0 else f"{count} times in"
            found.append(
                Discrepancy(
                    "audit",
                    f"{e.service} event {e.event_id} ({e.event_type}, tenant {e.tenant}) "
                    f"{where} the audit log",
                )
            )
    for entry in evidence.logged:
        if entry.event_id not in emitted:
            what = f"audit entry {entry.event_id} ({entry.event_type}) was emitted by no service"
            found.append(Discrepancy("audit", what))
    return found


def check_answers(evidence: Evidence, calls: Sequence[Call]) -> tuple[list[Discrepancy], int]:
    """Every call answered with success left its event in the log exactly once (found by the
    answer's ``x-trace-id``); also how many calls answered with an error took effect anyway."""
    found = []
    by_trace: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in evidence.logged:
        if entry.trace_id:
            by_trace[entry.trace_id][entry.event_type] += 1
    took_effect = 0
    for call in calls:
        name = f"{call.kind} {call.method} {call.url} answered {call.status}"
        types = by_trace.get(call.trace_id or "", Counter())
        if not call.succeeded:
            took_effect += bool(types[call.primary])
        elif not call.trace_id:
            found.append(Discrepancy("audit", f"{name} without x-trace-id"))
        elif types[call.primary] != 1:
            found.append(
                Discrepancy(
                    "audit",
                    f"{name} (trace {call.trace_id}, resource {call.resource}): "
                    f"{types[call.primary]} audit entries of {call.primary}",
                )
            )
    return found, took_effect


def check_order(stream: Sequence[uuid.UUID], logged: Iterable[Logged]) -> list[Discrepancy]:
    """Each organisation's log holds its events in stream order (``stream``: the event ids in
    the order of ``DPA_EVENTS``), its entries read by leaf index; one discrepancy per organisation
    whose order differs, naming the first place it does. Entries the stream does not hold
    (written by audit itself) are left out of the comparison."""
    place = {event_id: n for n, event_id in enumerate(stream)}
    logs: dict[str, list[Logged]] = defaultdict(list)
    for entry in logged:
        if entry.event_id in place:
            logs[entry.organisation_id].append(entry)
    found = []
    for organisation, entries in sorted(logs.items()):
        recorded = [e.event_id for e in sorted(entries, key=lambda e: e.log_index)]
        expected = sorted(recorded, key=place.__getitem__)
        if recorded != expected:
            at = next(n for n, (a, b) in enumerate(zip(recorded, expected, strict=True)) if a != b)
            found.append(
                Discrepancy(
                    "order",
                    f"{organisation}: entry {at} of {len(recorded)} is event {recorded[at]}, "
                    f"the stream's next is {expected[at]}",
                )
            )
    return found


def check_consumers(evidence: Evidence) -> list[Discrepancy]:
    """The notifier's durable consumer took in every emitted event it plans notices for (its
    filter subjects: the other kinds never reach it)."""
    return [
        Discrepancy(
            "consumers",
            f"{e.service} event {e.event_id} ({e.event_type}) never taken in by the notifier",
        )
        for e in evidence.emitted
        if _planned(e.event_type) and e.event_id not in evidence.consumed_by_notifier
    ]


def _planned(event_type: str) -> bool:
    return event_type.removeprefix("dpa.").rsplit(".", 1)[0] in PLANS


def check_notices(
    evidence: Evidence,
    notices: Mapping[str, frozenset[str]],
    received: Mapping[str, Counter[uuid.UUID | None]],
) -> tuple[list[Discrepancy], int]:
    """One delivery per recipient and expected channel, each delivered and received; also how
    many were received again under the same id."""
    found = []
    by_cause: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in evidence.deliveries:
        by_cause[delivery.cause].append(delivery)
    for e in evidence.emitted:
        got = Counter(str(x.channel) for x in by_cause.get(str(e.event_id), []))
        for channel in sorted(notices.get(e.event_type, ())):
            if got[channel] != 1:
                found.append(
                    Discrepancy(
                        "notices",
                        f"{e.event_type} {e.event_id} (tenant {e.tenant}): "
                        f"{got[channel]} {channel} deliveries, expected 1",
                    )
                )
    keys = Counter((x.cause, x.recipient, str(x.channel)) for x in evidence.deliveries)
    for key, count in keys.items():
        if count > 1:
            found.append(Discrepancy("notices", f"{count} deliveries for {key}"))
    resent = 0
    for x in evidence.deliveries:
        name = f"{x.notice} delivery {x.id} ({x.channel} to {x.recipient}, cause {x.cause})"
        channel = str(x.channel)
        if x.status.value != "delivered":
            found.append(
                Discrepancy(
                    "notices",
                    f"{name} is {x.status.value} after {x.attempts} attempts: "
                    f"{x.last_status}, next attempt {x.next_attempt_at}",
                )
            )
        elif evidence.successes[x.id] > 1:
            found.append(
                Discrepancy(
                    "notices", f"{name} recorded as delivered {evidence.successes[x.id]} times"
                )
            )
        elif channel == "inbox":
            if x.id not in evidence.inbox_items:
                found.append(Discrepancy("notices", f"{name} has no inbox item"))
        elif received[channel].get(x.id, 0) == 0:
            found.append(Discrepancy("notices", f"{name} delivered but never received"))
        else:
            resent += received[channel][x.id] - 1
    ids = {x.id for x in evidence.deliveries}
    for channel, counter in received.items():
        for delivery_id, times in counter.items():
            if delivery_id not in ids:
                what = f"{times} {channel} messages received for {delivery_id}, no delivery's"
                found.append(Discrepancy("notices", what))
    return found, resent


def reconcile(
    evidence: Evidence,
    calls: Sequence[Call],
    *,
    notices: Mapping[str, frozenset[str]],
    mail: Counter[uuid.UUID | None],
    webhooks: Counter[uuid.UUID | None],
    publish_bound: timedelta,
    unsettled_reasons: Sequence[str] = (),
) -> Reconciliation:
    """Compare everything; ``notices`` maps an event type to the channels it must reach."""
    outboxes, delays = check_outboxes(evidence, publish_bound)
    answers, took_effect = check_answers(evidence, calls)
    deliveries, resent = check_notices(evidence, notices, {"email": mail, "webhook": webhooks})
    result = Reconciliation()
    result.discrepancies = [
        *outboxes,
        *check_audit_log(evidence),
        *answers,
        *check_consumers(evidence),
        *deliveries,
        *(Discrepancy("settle", f"still unsettled at the bound: {r}") for r in unsettled_reasons),
    ]
    answered = [call for call in calls if call.status is not None]
    result.figures = {
        "requests": len(calls),
        "succeeded": sum(call.succeeded for call in calls),
        "answered_with_error": sum(not call.succeeded for call in answered),
        "no_answer": len(calls) - len(answered),
        "errors_that_took_effect": took_effect,
        "events_emitted": len(evidence.emitted),
        "audit_entries": len(evidence.logged),
        "deliveries": len(evidence.deliveries),
        "emails_received": sum(mail.values()),
        "webhooks_received": sum(webhooks.values()),
        "resent_same_id": resent,
        "max_publish_delay_s": round(max(delays, default=0.0), 2),
    }
    return result
