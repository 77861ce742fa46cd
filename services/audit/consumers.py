"""The audit service's durable consumer: each fetched batch of events becomes entries at once.

One transaction per batch: the inbox claims (by ``shared.broker``), the entries, the subtree nodes
and the new frontiers of the organisations concerned. Entries of an organisation get consecutive
leaf indexes in the order the stream delivered them (ARCH-2, TOM-T3a).
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.audit import merkle, sealing
from services.audit.domain import (
    agreement_of,
    canonical,
    parties_of,
    retention_period,
    split_personal,
    trace_id,
)
from services.audit.store import AgreementParties, AuditEntry, AuditNode
from services.audit.tree import trees_for
from shared.events import Envelope, EventKind

DURABLE = "audit"

_ENTRIES: Table = AuditEntry.__table__  # type: ignore[attr-defined]
_NODES: Table = AuditNode.__table__  # type: ignore[attr-defined]


async def record_entries(
    session: AsyncSession, events: Sequence[tuple[Envelope, EventKind]]
) -> None:
    """Append the events to their organisations' logs and trees."""
    recorded_at = datetime.now(UTC)
    trees = await trees_for(session, (event.tenantid for event, _ in events))
    frontiers = {org: [bytes.fromhex(h) for h in tree.frontier] for org, tree in trees.items()}
    sizes = {org: tree.size for org, tree in trees.items()}
    split = [split_personal(event.data, event.clientaddr) for event, _ in events]
    keys = await sealing.live_keys(
        session,
        (
            (event.tenantid, event.actorid, retention_period(event.time))
            for (event, _), (_, personal) in zip(events, split, strict=True)
            if personal
        ),
    )
    entries: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for (event, kind), (clear, personal) in zip(events, split, strict=True):
        org = event.tenantid
        entry = _entry(event, kind, clear, log_index=sizes[org], recorded_at=recorded_at)
        if personal:
            key = keys[(org, event.actorid, retention_period(event.time))]
            assert key.material is not None  # live keys have material
            entry["sealed"] = sealing.seal(key.material, personal, event_id=event.id)
            entry["seal_key_id"] = key.id
        leaf = merkle.leaf_hash(canonical(entry))
        entry["leaf_hash"] = leaf.hex()
        frontiers[org], completed = merkle.append(frontiers[org], sizes[org], leaf)
        sizes[org] += 1
        nodes += [
            {"organisation_id": org, "level": level, "index": index, "hash": value.hex()}
            for level, index, value in completed
        ]
        entries.append(entry)
    # Core inserts (executemany), not ORM bulk inserts: nothing needs to come back.
    await session.execute(_ENTRIES.insert(), entries)
    if nodes:
        await session.execute(_NODES.insert(), nodes)
    for org, tree in trees.items():
        tree.size = sizes[org]
        tree.frontier = [value.hex() for value in frontiers[org]]
    await _project_agreements(session, [event for event, _ in events])


def _entry(
    event: Envelope,
    kind: EventKind,
    clear: dict[str, Any],
    *,
    log_index: int,
    recorded_at: datetime,
) -> dict[str, Any]:
    return {
        "organisation_id": event.tenantid,
        "log_index": log_index,
        "event_id": event.id,
        "event_type": event.type,
        "source": event.source,
        "subject": event.subject,
        "actor_id": event.actorid,
        "actor_type": event.actortype.value,
        "actor_organisation_id": event.actororgid,
        "grant_id": event.grantid,
        "outcome": event.outcome.value,
        "supplier_intervention": event.is_supplier_intervention,
        "agreement_id": agreement_of(event.data),
        "trace_id": trace_id(event.traceparent),
        "correlation_id": event.correlationid,
        "occurred_at": event.time,
        "recorded_at": recorded_at,
        "requirements": list(kind.requirements),
        "data": clear,
        "sealed": None,
        "seal_key_id": None,
    }


async def _project_agreements(session: AsyncSession, events: list[Envelope]) -> None:
    """Remember which controller and processor an agreement binds (for the controller's view)."""
    parties: dict[str, tuple[str, str]] = {}
    for event in events:
        agreement_id, named = agreement_of(event.data), parties_of(event.data)
        if agreement_id and named:
            parties[agreement_id] = named
    if not parties:
        return
    known = set(
        (
            await session.scalars(
                select(col(AgreementParties.agreement_id)).where(
                    col(AgreementParties.agreement_id).in_(parties)
                )
            )
        ).all()
    )
    fresh = [
        {"agreement_id": agreement_id, "controller_id": controller, "processor_id": processor}
        for agreement_id, (controller, processor) in parties.items()
        if agreement_id not in known
    ]
    if fresh:
        await session.execute(insert(AgreementParties), fresh)
