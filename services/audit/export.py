"""Export (TOM-T4): the matching entries, streamed, with what the offline verifier needs.

JSON Lines: a header line (the export's filter, the organisation's signed checkpoints up to a
fresh one, the public checkpoint key), then one line per entry with every field its leaf covers
and its leaf hash. An unfiltered export is the complete tree and verifies as a whole; a filtered
one carries an inclusion proof per entry. CSV is for people and spreadsheets: flat columns (time
in Brussels, actor, organisation, action, record, the entry's sentence in the caller's language,
supplier intervention, trace id), no JSON in a cell, with the checkpoint in the response headers;
the JSON Lines export is the one that verifies. The access event commits before the first byte is
sent.
"""

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import orjson
from pactum_verify.leaves import EXPORT_FORMAT
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.audit import search, tree
from services.audit.checkpoints import (
    CheckpointSigner,
    checkpoint,
    latest_checkpoint,
    public_checkpoint,
)
from services.audit.domain import (
    ACTOR_NAME,
    ACTOR_ORGANISATION_NAME,
    LEAF_FIELDS,
    leaf_fields,
)
from services.audit.schemas import LogFilter
from services.audit.sentences import DEFAULT_LANGUAGE, Language
from services.audit.service import present
from services.audit.store import AuditCheckpoint, AuditEntry
from shared.auth import Principal
from shared.event_types.audit import LOG_EXPORTED
from shared.events.contracts.audit import AuditLogExported
from shared.outbox import Outbox

Format = Literal["jsonl", "csv"]
CSV_COLUMNS = (
    "time",
    "actor",
    "organisation",
    "action",
    "record",
    "sentence",
    "supplier intervention",
    "trace id",
)

BRUSSELS = ZoneInfo("Europe/Brussels")

__all__ = ["CheckpointSigner", "Format", "Started", "start"]


@dataclass
class Started:
    body: AsyncIterator[bytes]
    media_type: str
    headers: dict[str, str]


async def start(
    *,
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    signer: CheckpointSigner,
    principal: Principal,
    where: LogFilter,
    format: Format,
    language: Language = DEFAULT_LANGUAGE,
) -> Started:
    """Sign a checkpoint, record the export, and return the stream of its lines."""
    organisation_id = principal.organisation_id
    async with sessions() as session, session.begin():
        signed = await checkpoint(session, signer, organisation_id=organisation_id)
        size = signed.size if signed else 0
        points = (
            await session.scalars(
                select(AuditCheckpoint)
                .where(
                    col(AuditCheckpoint.organisation_id) == organisation_id,
                    col(AuditCheckpoint.size) <= size,
                )
                .order_by(col(AuditCheckpoint.size))
            )
        ).all()
        outbox.add(
            session,
            type=LOG_EXPORTED,
            tenant=organisation_id,
            actor=principal.actor,
            data=AuditLogExported(filters=where.described(), format=format, tree_size=size),
        )
    header: dict[str, Any] = {
        "record": "header",
        "format": EXPORT_FORMAT,
        "organisation_id": organisation_id,
        "filters": where.described(),
        "complete": where == LogFilter(),
        "checkpoint": public_checkpoint(signed) if signed else None,
        "checkpoints": [public_checkpoint(point) for point in points],
        "key_id": signer.key_id,
        "public_key": signer.public_key,
        # The keys that signed these checkpoints (with their validity), for a key set pin.
        "keys": [
            key.published()
            for key in signer.key_ring()
            if key.key_id in {point.key_id for point in points} or key.key_id == signer.key_id
        ],
    }
    lines = _lines(sessions, organisation_id, where, size, header, language)
    name = f"audit-{organisation_id}.{format}"
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        if signed:
            headers["x-audit-checkpoint"] = json.dumps(public_checkpoint(signed))
        headers["x-audit-public-key"] = signer.public_key
        return Started(_csv(lines), "text/csv", headers)
    return Started(_jsonl(lines), "application/x-ndjson", headers)


async def _lines(
    sessions: async_sessionmaker[AsyncSession],
    organisation_id: str,
    where: LogFilter,
    size: int,
    header: dict[str, Any],
    language: Language,
) -> AsyncIterator[dict[str, Any]]:
    yield header
    processors: dict[str, AuditCheckpoint | None] = {}  # each processor's latest checkpoint
    async with sessions() as session, session.begin():
        async for chunk in search.stream(
            session=session, organisation_id=organisation_id, where=where, up_to_index=size
        ):
            shown = await present(session, chunk, language)
            for entry, public in zip(chunk, shown, strict=True):
                line = _line(entry) | {
                    "personal_data": public.personal_data,
                    "pseudonym": public.pseudonym,
                    "sentence": public.sentence,
                }
                if entry.organisation_id != organisation_id:
                    line |= await _processor_proof(session, processors, entry)
                elif not header["complete"]:
                    try:
                        path = await tree.inclusion_proof(
                            session,
                            organisation_id=organisation_id,
                            index=entry.log_index,
                            size=size,
                        )
                    except tree.NotInTree:  # a stored subtree is gone: the verifier names it
                        path = []
                    line["proof"] = [step.hex() for step in path]
                yield line


async def _processor_proof(
    session: AsyncSession, processors: dict[str, AuditCheckpoint | None], entry: AuditEntry
) -> dict[str, Any]:
    """A processor's entry in its controller's export belongs to the processor's own tree: it
    carries its inclusion proof to that tree's latest signed checkpoint, so the controller checks
    it with the same pinned keys (none yet when the entry is newer than that checkpoint)."""
    tree_of = entry.organisation_id
    if tree_of not in processors:
        processors[tree_of] = await latest_checkpoint(session, organisation_id=tree_of)
    signed = processors[tree_of]
    if signed is None or entry.log_index >= signed.size:
        return {"tree": tree_of}
    try:
        path = await tree.inclusion_proof(
            session, organisation_id=tree_of, index=entry.log_index, size=signed.size
        )
    except tree.NotInTree:
        path = []  # a stored subtree is gone: the verifier names the entry
    return {
        "tree": tree_of,
        "checkpoint": public_checkpoint(signed),
        "proof": [step.hex() for step in path],
    }


def _line(entry: AuditEntry) -> dict[str, Any]:
    """An entry line: what its leaf covers (``leaf``), its leaf hash, and its position."""
    return {
        "record": "entry",
        "position": entry.position,
        "leaf": leaf_fields({name: getattr(entry, name) for name in LEAF_FIELDS}),
        "leaf_hash": entry.leaf_hash,
    }


async def _jsonl(lines: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    batch: list[bytes] = []
    async for line in lines:
        batch.append(orjson.dumps(line))
        if len(batch) >= 500:
            yield b"\n".join(batch) + b"\n"
            batch.clear()
    if batch:
        yield b"\n".join(batch) + b"\n"


async def _csv(lines: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    async for line in lines:
        if line["record"] != "entry":
            continue
        writer.writerow([_cell(value) for value in _row(line)])
        if buffer.tell() > 64_000:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _row(line: dict[str, Any]) -> tuple[str | None, ...]:
    """An entry line as the CSV's columns (:data:`CSV_COLUMNS`)."""
    leaf, opened = line["leaf"], line.get("personal_data") or {}
    moment = datetime.fromisoformat(leaf["occurred_at"].replace("Z", "+00:00"))
    actor = opened.get(ACTOR_NAME) or line.get("pseudonym") or leaf["actor_id"]
    return (
        moment.astimezone(BRUSSELS).isoformat(timespec="seconds"),
        actor,
        opened.get(ACTOR_ORGANISATION_NAME) or leaf["actor_organisation_id"],
        leaf["event_type"],
        leaf["subject"] or leaf["agreement_id"],
        line["sentence"],
        "yes" if leaf["supplier_intervention"] else "no",
        leaf["trace_id"],
    )


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted (CWE-1236)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
