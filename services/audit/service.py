"""Use cases of the audit service. Every read of the log is itself an audited access (TOM-T3a).

Each use case is one transaction: what it reads, and the access event that records the read.
"""

import uuid
from typing import Any

from pactum_verify.log import LogVerifier, Report
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.audit import sealing, search, tree
from services.audit.checkpoints import (
    CheckpointSigner,
    checkpoint,
    latest_checkpoint,
    signed_note,
)
from services.audit.domain import ACTOR_NAME, ACTOR_ORGANISATION_NAME, leaf_fields, pseudonym
from services.audit.schemas import AuditEntryPublic, LogFilter
from services.audit.sentences import DEFAULT_LANGUAGE, Language, Told, sentence
from services.audit.store import AuditCheckpoint, AuditEntry
from shared.auth import Principal
from shared.event_types.audit import LOG_VERIFIED, LOG_VIEWED, PROOF_VIEWED
from shared.events.contracts.audit import AuditLogVerified, AuditLogViewed, AuditProofViewed
from shared.outbox import Outbox


class NotFound(LookupError):
    """Not in the caller's organisation's log (or not at all: the caller cannot tell)."""


async def read_log(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    where: LogFilter,
    limit: int,
    cursor: int | None,
    order: search.Order,
    language: Language = DEFAULT_LANGUAGE,
) -> list[AuditEntryPublic]:
    async with session.begin():
        entries = await search.page(
            session=session,
            organisation_id=principal.organisation_id,
            where=where,
            limit=limit,
            cursor=cursor,
            order=order,
        )
        filters = where.described() | {"limit": str(limit), "order": order}
        if cursor is not None:
            filters["cursor"] = str(cursor)
        positions = [entry.position or 0 for entry in entries]
        outbox.add(
            session,
            type=LOG_VIEWED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            data=AuditLogViewed(
                filters=filters,
                entries=len(entries),
                first_position=min(positions) if positions else None,
                last_position=max(positions) if positions else None,
            ),
        )
        return await present(session, entries, language)


async def present(
    session: AsyncSession, entries: list[AuditEntry], language: Language = DEFAULT_LANGUAGE
) -> list[AuditEntryPublic]:
    """Entries as the organisation sees them: personal data opened, or a pseudonym once erased,
    and what each says as a sentence in ``language``."""
    keys = await sealing.materials(session, {e.seal_key_id for e in entries if e.seal_key_id})
    shown: list[AuditEntryPublic] = []
    for entry in entries:
        public = AuditEntryPublic.model_validate(entry)
        if entry.sealed and entry.seal_key_id:
            material = keys.get(entry.seal_key_id)
            opened = (
                sealing.unseal(material, entry.sealed, event_id=entry.event_id)
                if material
                else None
            )
            if opened is None:
                public.pseudonym = pseudonym(entry.seal_key_id)
            else:
                public.personal_data = opened
        public.sentence = sentence(told_of(public), language)
        shown.append(public)
    return shown


def told_of(public: AuditEntryPublic) -> Told:
    """What the sentence of a presented entry is built from."""
    opened = public.personal_data or {}
    return Told(
        event_type=public.event_type,
        actor_id=public.actor_id,
        actor_type=public.actor_type,
        outcome=public.outcome,
        actor_name=_text(opened.get(ACTOR_NAME)),
        actor_organisation_name=_text(opened.get(ACTOR_ORGANISATION_NAME)),
        supplier_intervention=public.supplier_intervention,
        grant_id=public.grant_id,
        record=public.subject or public.agreement_id,
        pseudonym=public.pseudonym,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


async def sign_checkpoint(
    *, session: AsyncSession, signer: CheckpointSigner, principal: Principal
) -> AuditCheckpoint:
    async with session.begin():
        signed = await checkpoint(session, signer, organisation_id=principal.organisation_id)
        if signed is None:
            raise NotFound("the log is empty")
        return signed


async def latest_note(
    *,
    session: AsyncSession,
    signer: CheckpointSigner,
    principal: Principal,
    organisation_id: str,
) -> str:
    """The latest checkpoint of an organisation's log as a signed note (signed now if the log
    grew since): the caller's own, or that of the other party of one of its agreements (the
    controller follows its processors)."""
    try:
        wanted = str(uuid.UUID(organisation_id))
    except ValueError:
        raise NotFound(organisation_id) from None
    own = principal.organisation_id
    async with session.begin():
        if wanted != own and not await search.parties(session, own, wanted):
            raise NotFound(organisation_id)
        signed = await checkpoint(session, signer, organisation_id=wanted)
        if signed is None:
            raise NotFound(organisation_id)
        return signed_note(signed, signer)


async def inclusion(
    *,
    session: AsyncSession,
    outbox: Outbox,
    signer: CheckpointSigner,
    principal: Principal,
    log_index: int,
) -> tuple[AuditEntry, AuditCheckpoint, list[bytes]]:
    """Proof that an entry is in the organisation's latest signed tree (signed now if needed)."""
    organisation_id = principal.organisation_id
    async with session.begin():
        signed = await checkpoint(session, signer, organisation_id=organisation_id)
        entry = await session.scalar(
            select(AuditEntry).where(
                col(AuditEntry.organisation_id) == organisation_id,
                col(AuditEntry.log_index) == log_index,
            )
        )
        if signed is None or entry is None or log_index >= signed.size:
            raise NotFound(f"no entry {log_index}")
        path = await tree.inclusion_proof(
            session, organisation_id=organisation_id, index=log_index, size=signed.size
        )
        _proof_viewed(
            session, outbox, principal, "inclusion", tree_size=signed.size, log_index=log_index
        )
    return entry, signed, path


async def consistency(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    first: int,
    second: int,
) -> tuple[AuditCheckpoint, AuditCheckpoint, list[bytes]]:
    """Proof that the signed tree of ``first`` entries is a prefix of the one of ``second``."""
    organisation_id = principal.organisation_id
    async with session.begin():
        older = await latest_checkpoint(session, organisation_id=organisation_id, size=first)
        newer = await latest_checkpoint(session, organisation_id=organisation_id, size=second)
        if older is None or newer is None or first > second:
            raise NotFound("no signed checkpoints of those sizes")
        path = await tree.consistency_proof(
            session, organisation_id=organisation_id, first=first, second=second
        )
        _proof_viewed(session, outbox, principal, "consistency", tree_size=second, first_size=first)
    return older, newer, path


async def verify(
    *,
    session: AsyncSession,
    outbox: Outbox,
    signer: CheckpointSigner,
    principal: Principal,
) -> tuple[Report, AuditCheckpoint | None]:
    """Check the organisation's whole stored log against all its signed checkpoints (DPA-11)."""
    organisation_id = principal.organisation_id
    async with session.begin():
        signed = await checkpoint(session, signer, organisation_id=organisation_id)
    async with session.begin():
        points = (
            await session.scalars(
                select(AuditCheckpoint).where(
                    col(AuditCheckpoint.organisation_id) == organisation_id
                )
            )
        ).all()
        verifier = LogVerifier([_point(p) for p in points], signer.key_set(), signed_only=False)
        everything = LogFilter()
        async for chunk in search.stream(
            session=session,
            organisation_id=organisation_id,
            where=everything,
            up_to_index=None,
            own_only=True,
        ):
            if not all(verifier.add(leaf_fields(row_of(e)), e.leaf_hash) for e in chunk):
                break
        # Entries appended while we read are legitimate; a row behind the tree never is.
        stored = await tree.tree_of(session, organisation_id=organisation_id, fresh=True)
        report = verifier.finish(stored_size=stored.size)
        outbox.add(
            session,
            type=LOG_VERIFIED,
            tenant=organisation_id,
            actor=principal.actor,
            data=AuditLogVerified(
                tree_size=report.tree_size,
                valid=report.valid,
                first_bad_position=report.first_bad_position,
            ),
        )
    return report, signed


def row_of(entry: AuditEntry) -> dict[str, Any]:
    return entry.model_dump()


def _point(row: AuditCheckpoint) -> dict[str, Any]:
    return row.model_dump(exclude={"id"})


def _proof_viewed(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    proof: str,
    **numbers: int,
) -> None:
    outbox.add(
        session,
        type=PROOF_VIEWED,
        tenant=principal.organisation_id,
        actor=principal.actor,
        data=AuditProofViewed.model_validate({"proof": proof, **numbers}),
    )
