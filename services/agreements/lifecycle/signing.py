"""Signing and amending: versions come into force only when both parties signed (DPA-1).

A signed version is never overwritten: an amendment is a new version, and the one in force stays
in force until both parties signed the amendment, which then supersedes it.

Version 1 lists the processor's subprocessors as they stood at the first signature (DPA-5): the
list is part of the signed text and its digest. Reading that list, and telling the controller of
changes made before the second signature, is the subprocessors part's business; signing reaches
it through :class:`SubprocessorRegister`, which the composition root provides.
"""

import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain
from services.agreements.access import AgreementNotFound, caller_party, find, tenant_of
from services.agreements.domain import Party, VersionStatus
from services.agreements.lifecycle import store
from services.agreements.lifecycle.schemas import (
    AgreementPublic,
    AmendmentCreate,
    Annex1,
    ListedSubprocessor,
    SignatureCreate,
    SignaturePublic,
    Terms,
    VersionList,
    VersionPublic,
)
from services.agreements.lifecycle.service import apply_terms, public
from services.agreements.lifecycle.store import Agreement, AgreementVersion, Signature
from shared import pagination
from shared.auth import Principal
from shared.event_types.agreements import (
    AGREEMENT_SIGNED,
    AMENDMENT_ACCEPTED,
    AMENDMENT_PROPOSED,
    AMENDMENT_WITHDRAWN,
    RECORD_LISTED,
)
from shared.events import Actor
from shared.events.contracts.agreements import (
    AgreementSigned,
    AmendmentInForce,
    AmendmentProposed,
    AmendmentWithdrawn,
    RecordsRead,
)
from shared.outbox import Outbox


class SubprocessorRegister(Protocol):
    """What signing needs of the subprocessors part (services.agreements.subprocessors)."""

    async def listed_now(
        self, session: AsyncSession, processor_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        """The processor's subprocessors as a version lists them (JSON, as hashed)."""
        ...

    async def notify_unlisted(
        self,
        session: AsyncSession,
        outbox: Outbox,
        actor: Actor,
        *,
        agreement: Agreement,
        listed_ids: set[str],
        now: datetime,
    ) -> None:
        """Tell the controller of every change the signed list does not hold, as a notice."""
        ...


async def _awaiting(
    session: AsyncSession, agreement: Agreement, party: Party
) -> tuple[AgreementVersion, list[Party]]:
    """The version this party may sign now, and who signed it already; refused otherwise."""
    pending = await store.awaiting_signature(session=session, agreement_id=agreement.id)
    if pending is None:
        raise domain.StateConflict("there is no version awaiting signature")
    existing = await store.signatures(session=session, version_ids=[pending.id])
    signed_by = [s.party for s in existing]
    domain.check_can_sign(
        status=agreement.status,
        version_status=pending.status,
        signed_by=signed_by,
        party=party,
        controller=str(agreement.controller_id) if agreement.controller_id else None,
        processor=str(agreement.processor_id) if agreement.processor_id else None,
        annex1=pending.annex1,
    )
    return pending, signed_by


async def sign(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    block: SignatureCreate,
    register: SubprocessorRegister,
) -> AgreementPublic:
    """The caller's organisation signs the version awaiting signature (draft or amendment)."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        party = caller_party(agreement, principal)
        if party is None:  # the creator's own scope always holds; a counterparty is a party
            raise AgreementNotFound(agreement_id, principal)
        pending, signed_by = await _awaiting(session, agreement, party)
        assert agreement.controller_id is not None
        assert agreement.processor_id is not None
        if pending.number == 1 and pending.subprocessors is None:
            # The first signature fixes the subprocessor list into the text (DPA-5).
            pending.subprocessors = await register.listed_now(session, agreement.processor_id)
        digest = _digest(pending)
        session.add(
            Signature(
                version_id=pending.id,
                party=party,
                organisation_id=uuid.UUID(principal.organisation_id),
                signed_by=principal.user_id,
                signed_at=now,
                version_sha256=digest,
                place=block.place,
                signer_name=block.signer_name,
                signer_role=block.signer_role,
            )
        )
        fully = domain.fully_signed([*signed_by, party])
        outbox.add(
            session,
            type=AGREEMENT_SIGNED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=AgreementSigned(
                agreement_id=agreement.id,
                version=pending.number,
                party=party.value,
                controller_id=agreement.controller_id,
                processor_id=agreement.processor_id,
                fully_signed=fully,
                version_sha256=digest,
            ),
        )
        if fully:
            await _bring_into_force(session, outbox, principal, agreement, pending, now, register)
        await session.flush()
        return await public(session, agreement)


async def _bring_into_force(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement: Agreement,
    version: AgreementVersion,
    now: datetime,
    register: SubprocessorRegister,
) -> None:
    previous = agreement.version
    if version.status is VersionStatus.proposed:
        old = await store.version(session=session, agreement_id=agreement.id, number=previous)
        assert old is not None
        old.status = VersionStatus.superseded
        outbox.add(
            session,
            type=AMENDMENT_ACCEPTED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=AmendmentInForce(
                agreement_id=agreement.id,
                version=version.number,
                superseded_version=previous,
                processor_id=agreement.processor_id,
            ),
        )
    version.status = VersionStatus.in_force
    version.in_force_at = now
    agreement.version = version.number
    agreement.status = domain.after_signature(agreement.status, fully=True)
    apply_terms(agreement, Terms.model_validate(version.terms))
    if version.number == 1:
        # Changes proposed after the list was signed reach the controller as notices (DPA-5).
        await register.notify_unlisted(
            session,
            outbox,
            principal.actor,
            agreement=agreement,
            listed_ids={str(entry["change_id"]) for entry in version.subprocessors or []},
            now=now,
        )


def _digest(version: AgreementVersion) -> str:
    return domain.version_digest(
        annex1=version.annex1, terms=version.terms, subprocessors=version.subprocessors
    )


async def propose_amendment(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    amendment: AmendmentCreate,
) -> AgreementPublic:
    """A new version both parties must sign; the signed version stays in force until then."""
    if amendment.annex1 is None and amendment.terms is None:
        raise domain.AgreementRuleBroken("an amendment changes annex1, terms or both")
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        party = caller_party(agreement, principal)
        assert party is not None
        pending = await store.awaiting_signature(session=session, agreement_id=agreement.id)
        domain.check_can_amend(status=agreement.status, open_amendment=pending is not None)
        current = await store.version(
            session=session, agreement_id=agreement.id, number=agreement.version
        )
        assert current is not None
        annex1 = amendment.annex1.model_dump(mode="json") if amendment.annex1 else current.annex1
        terms = amendment.terms.model_dump(mode="json") if amendment.terms else current.terms
        if annex1 == current.annex1 and terms == current.terms:
            raise domain.AgreementRuleBroken("the amendment changes nothing in force")
        number = agreement.version + 1
        while await store.version(session=session, agreement_id=agreement.id, number=number):
            number += 1  # skip numbers of earlier amendments that never came into force
        session.add(
            AgreementVersion(
                agreement_id=agreement.id,
                number=number,
                status=VersionStatus.proposed,
                annex1=annex1,
                terms=terms,
                reason=amendment.reason,
                proposed_by=principal.user_id,
                proposed_by_party=party,
                created_at=datetime.now(UTC),
            )
        )
        fields = [name for name in ("annex1", "terms") if getattr(amendment, name) is not None]
        outbox.add(
            session,
            type=AMENDMENT_PROPOSED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=AmendmentProposed(
                agreement_id=agreement.id,
                version=number,
                fields=fields,
                processor_id=agreement.processor_id,
            ),
        )
        await session.flush()
        return await public(session, agreement)


async def list_versions(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    register: SubprocessorRegister,
    limit: int,
    cursor: str | None = None,
) -> VersionList:
    """A page of the agreement's versions, oldest first (the read is recorded)."""
    after = pagination.number_and_uuid(cursor) if cursor else None
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        found = await store.versions(
            session=session, agreement_id=agreement.id, limit=limit + 1, after=after
        )
        rows, last = pagination.split(found, limit)
        signed = await store.signatures(session=session, version_ids=[v.id for v in rows])
        lists = {v.id: v.subprocessors for v in rows}
        draft = rows[0] if rows and rows[0].status is VersionStatus.draft else None
        if draft is not None and draft.subprocessors is None and agreement.processor_id:
            # Shown as it will be signed; the first signature fixes it into the text.
            lists[draft.id] = await register.listed_now(session, agreement.processor_id)
        outbox.add(
            session,
            type=RECORD_LISTED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=RecordsRead(
                agreement_id=agreement.id, record="version", record_ids=[v.id for v in rows]
            ),
        )
    items = [
        VersionPublic(
            number=v.number,
            status=v.status,
            annex1=Annex1.model_validate(v.annex1),
            terms=Terms.model_validate(v.terms),
            reason=v.reason,
            proposed_by_party=v.proposed_by_party,
            created_at=v.created_at,
            in_force_at=v.in_force_at,
            subprocessors=(
                [ListedSubprocessor.model_validate(e) for e in listed]
                if (listed := lists[v.id]) is not None
                else None
            ),
            sha256=domain.version_digest(annex1=v.annex1, terms=v.terms, subprocessors=lists[v.id]),
            signatures=[SignaturePublic.model_validate(s) for s in signed if s.version_id == v.id],
        )
        for v in rows
    ]
    return VersionList(
        items=items,
        next_cursor=pagination.after_number(last.number, last.id) if last else None,
    )


async def withdraw_amendment(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    number: int,
) -> AgreementPublic:
    """Either party ends an amendment awaiting signatures: the proposer withdraws it, the other
    party declines it. The version in force stays; the withdrawn one is kept, never deleted."""
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        party = caller_party(agreement, principal)
        assert party is not None
        version = await store.version(session=session, agreement_id=agreement.id, number=number)
        if version is None:
            raise domain.NotFound("Amendment")
        if version.status is not VersionStatus.proposed:
            raise domain.StateConflict(
                f"version {number} is {version.status}, not awaiting signatures"
            )
        version.status = VersionStatus.withdrawn
        outbox.add(
            session,
            type=AMENDMENT_WITHDRAWN,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=AmendmentWithdrawn(agreement_id=agreement.id, version=number, party=party.value),
        )
        await session.flush()
        return await public(session, agreement)
