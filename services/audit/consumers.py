"""The audit service's durable consumer: each fetched batch of events becomes entries at once.

One transaction per batch: the inbox claims (by ``shared.broker``), the entries, the subtree nodes
and the new frontiers of the organisations concerned. Entries of an organisation get consecutive
leaf indexes in the order the stream delivered them (ARCH-2, TOM-T3a).
"""

import hashlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pactum_verify import merkle
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.audit import sealing
from services.audit.append import Appender, Row
from services.audit.domain import (
    LEAF_FIELDS,
    agreement_of,
    entry_id_in,
    is_platform_maintenance,
    leaf_bytes,
    organisation_named,
    parties_of,
    retention_period,
    signed_by_both,
    split_personal,
    trace_id,
    utc_text,
)
from services.audit.store import (
    AgreementParties,
    AuditEntry,
    AuditNode,
    AuditTree,
    OrganisationName,
)
from services.audit.tree import lock_frontiers, save_frontiers
from shared.broker import Admit
from shared.events import Envelope, EventKind
from shared.ingest_keys import NameOpener
from shared.sealed_names import Unopened

DURABLE = "audit"


def names_opened(opener: NameOpener) -> Admit:
    """The consumer's check before an event is stored: the actor's name sealed for audit
    (``actorsealed``, shared/sealed_names.py) is opened with the ingest key it names, and the
    event goes on with the name as ``actorname``, which the entry seals under the organisation's
    key for its month as before; the clear name lives only in this process's memory. A sealed
    name that does not open (altered, moved from another event, or sealed to a key audit does
    not hold) makes the event one that can never be processed: it is rejected, and logged with
    the reason, never with what it held. An event with a clear ``actorname`` (published before
    names were sealed, or by an external producer) is taken as it is."""

    def admit(event: Envelope) -> tuple[Envelope | None, str]:
        sealed = event.actorsealed
        if sealed is None:
            return event, ""
        try:
            name = opener.open(
                sealed, event_id=str(event.id), tenant=event.tenantid, actor_id=event.actorid
            )
        except Unopened as error:
            return None, f"actorsealed: {error.reason}"
        return event.model_copy(update={"actorname": name, "actorsealed": None}), ""

    return admit


# An entry row holds the leaf fields, in LEAF_FIELDS order, then its leaf hash.
_ENTRIES = Appender(AuditEntry.__table__, (*LEAF_FIELDS, "leaf_hash"))  # type: ignore[attr-defined]
_NODES = Appender(AuditNode.__table__, ("organisation_id", "level", "index", "hash"))  # type: ignore[attr-defined]


async def record_entries(
    session: AsyncSession, events: Sequence[tuple[Envelope, EventKind]]
) -> None:
    """Append the events to their organisations' logs and trees.

    Each entry is built once as its leaf (the JSON the hash covers) and as its row; the rows go
    to the database in one insert per table, without ORM objects.
    """
    events = await _fanned_out(session, events)
    if not events:
        return
    recorded_at = datetime.now(UTC)
    recorded_text = utc_text(recorded_at)
    trees = await lock_frontiers(session, (event.tenantid for event, _ in events))
    frontiers = {
        org: [bytes.fromhex(h) for h in tree[1]] if tree else [] for org, tree in trees.items()
    }
    sizes = {org: tree[0] if tree else 0 for org, tree in trees.items()}
    # What repeats across a batch is worked out once per distinct value: whether an actor
    # intervenes in a tenant, a kind's requirements, the cipher of a key.
    interventions: dict[tuple[str, str, str | None], bool] = {}
    requirements: dict[str, list[str]] = {}
    seals = await _Seals.of(session, [event for event, _ in events])
    sha256 = hashlib.sha256
    push = merkle.push
    entries: list[Row] = []
    nodes: list[tuple[int, int, bytes]] = []
    node_rows: list[Row] = []
    for (event, kind), (clear, sealed, seal_key_id) in zip(events, seals.parts(), strict=True):
        org = event.tenantid
        size = sizes[org]
        actor = (org, event.actortype.value, event.actororgid)
        intervention = interventions.get(actor)
        if intervention is None:
            intervention = interventions[actor] = event.is_supplier_intervention
        required = requirements.get(kind.type)
        if required is None:
            required = requirements[kind.type] = list(kind.requirements)
        values = _entry(event, size, intervention, recorded_at, required, clear)
        values += (sealed, seal_key_id)
        leaf = dict(zip(LEAF_FIELDS, values, strict=True))
        leaf["event_id"] = str(event.id)
        leaf["occurred_at"] = utc_text(event.time)
        leaf["recorded_at"] = recorded_text
        hashed = sha256(b"\x00" + leaf_bytes(leaf)).digest()
        push(frontiers[org], size, hashed, nodes)
        if nodes:
            node_rows += [(org, level, index, value.hex()) for level, index, value in nodes]
            nodes.clear()
        sizes[org] = size + 1
        entries.append((*values, hashed.hex()))
    await _ENTRIES.insert(session, entries)
    await _NODES.insert(session, node_rows)
    await save_frontiers(
        session,
        {org: (sizes[org], [value.hex() for value in frontiers[org]]) for org in trees},
        existing=(org for org, tree in trees.items() if tree is not None),
    )
    await _project_agreements(session, [event for event, _ in events])


def _entry(
    event: Envelope,
    size: int,
    intervention: bool,
    recorded_at: datetime,
    required: list[str],
    clear: dict[str, Any],
) -> tuple[Any, ...]:
    """An entry's values in LEAF_FIELDS order, up to its sealed part."""
    return (
        event.tenantid,
        size,
        event.id,
        event.type,
        event.source,
        event.subject,
        event.actorid,
        event.actortype.value,
        event.actororgid,
        event.grantid,
        event.outcome.value,
        intervention,
        agreement_of(event.data),
        trace_id(event.traceparent),
        event.correlationid,
        event.time,
        recorded_at,
        required,
        clear,
    )


class _Seals:
    """The personal data of a batch, split from each event and sealed under its organisation's
    key for the event's month (TOM-32a): what erasure destroys. Keys and ciphers are looked up
    once per batch."""

    def __init__(
        self,
        events: list[Envelope],
        split: list[tuple[dict[str, Any], dict[str, Any]]],
        refs: list[sealing.KeyRef | None],
        keys: dict[sealing.KeyRef, sealing.LiveKey],
    ) -> None:
        self.events, self.split, self.refs, self.keys = events, split, refs, keys

    @classmethod
    async def of(cls, session: AsyncSession, events: list[Envelope]) -> "_Seals":
        names = await _organisation_names(session, events)
        split = [
            split_personal(
                event.data,
                event.clientaddr,
                actor_name=event.actorname,
                actor_organisation_name=names.get(event.actororgid or ""),
            )
            for event in events
        ]
        periods: dict[tuple[int, int], str] = {}
        refs: list[sealing.KeyRef | None] = []
        for event, (_, personal) in zip(events, split, strict=True):
            if not personal:
                refs.append(None)
                continue
            moment = event.time
            if moment.utcoffset():  # envelopes hold UTC times; any other is worked out on its own
                period = retention_period(moment)
            else:
                month = (moment.year, moment.month)
                period = periods.get(month) or periods.setdefault(month, retention_period(moment))
            refs.append((event.tenantid, event.actorid, period))
        keys = await sealing.live_keys(session, (ref for ref in refs if ref is not None))
        return cls(events, split, refs, keys)

    def parts(self) -> Iterator[tuple[dict[str, Any], str | None, str | None]]:
        """Each event's clear part, and its sealed personal part with the key's id (or none)."""
        ciphers: dict[str, AESGCM] = {}
        for event, (clear, personal), ref in zip(self.events, self.split, self.refs, strict=True):
            if ref is None:
                yield clear, None, None
                continue
            key = self.keys[ref]
            cipher = ciphers.get(key.id)
            if cipher is None:
                cipher = ciphers[key.id] = AESGCM(key.material)
            yield clear, sealing.seal_with(cipher, personal, event_id=event.id), key.id


async def _fanned_out(
    session: AsyncSession, events: Sequence[tuple[Envelope, EventKind]]
) -> Sequence[tuple[Envelope, EventKind]]:
    """Each platform maintenance event as one event per organisation the log knows (TOM-T3c):
    those whose names identity stated and those that have a tree. The copies keep everything
    but the tenant and the id (:func:`entry_id_in`)."""
    if not any(is_platform_maintenance(event.type, event.tenantid) for event, _ in events):
        return events
    names = OrganisationName.__table__  # type: ignore[attr-defined]
    trees = AuditTree.__table__  # type: ignore[attr-defined]
    known = set((await session.scalars(select(names.c.organisation_id))).all())
    known |= set((await session.scalars(select(trees.c.organisation_id))).all())
    organisations = sorted(known - {"platform"})
    fanned: list[tuple[Envelope, EventKind]] = []
    for event, kind in events:
        if not is_platform_maintenance(event.type, event.tenantid):
            fanned.append((event, kind))
            continue
        fanned += [
            (event.model_copy(update={"tenantid": org, "id": entry_id_in(event.id, org)}), kind)
            for org in organisations
        ]
    return fanned


async def _organisation_names(session: AsyncSession, events: list[Envelope]) -> dict[str, str]:
    """The names of the actors' organisations, as known now: those this batch states (stored
    for the next batches) and those stored before."""
    stated: dict[str, str] = {}
    for event in events:
        named = organisation_named(event.type, event.data)
        if named:
            stated[named[0]] = named[1]
    wanted = {event.actororgid for event in events if event.actororgid} | set(stated)
    if not wanted:
        return {}
    table = OrganisationName.__table__  # type: ignore[attr-defined]
    known: dict[str, str] = dict(
        (
            await session.execute(
                select(table.c.organisation_id, table.c.name).where(
                    table.c.organisation_id.in_(wanted)
                )
            )
        ).all()
    )
    fresh = [
        {"organisation_id": org, "name": name} for org, name in stated.items() if org not in known
    ]
    if fresh:
        await session.execute(insert(table), fresh)
    for org, name in stated.items():
        if org in known and known[org] != name:
            await session.execute(
                update(table).where(table.c.organisation_id == org).values(name=name)
            )
    return known | stated


async def _project_agreements(session: AsyncSession, events: list[Envelope]) -> None:
    """Remember which controller and processor an agreement binds (for the controller's view),
    and whether both signed it (for the processor's other applications)."""
    parties: dict[str, tuple[str, str]] = {}
    signed: set[str] = set()
    for event in events:
        agreement_id, named = agreement_of(event.data), parties_of(event.data)
        if agreement_id and named:
            parties[agreement_id] = named
            if signed_by_both(event.type, event.data):
                signed.add(agreement_id)
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
        {
            "agreement_id": agreement_id,
            "controller_id": controller,
            "processor_id": processor,
            "signed": agreement_id in signed,
        }
        for agreement_id, (controller, processor) in parties.items()
        if agreement_id not in known
    ]
    if fresh:
        await session.execute(insert(AgreementParties), fresh)
    if signed & known:
        await session.execute(
            update(AgreementParties)
            .where(col(AgreementParties.agreement_id).in_(signed & known))
            .values(signed=True)
        )
