"""Use cases of the agreement's lifecycle: each commits state and its event in one transaction.

A read commits its access event (TOM-T3a) before the data is returned; if that commit fails, the
read fails, so there is no unaudited access. Events about an agreement are filed under its
controller, so the processor's acts show in the controller's log as supplier interventions.

The parties are checked against the service's directory of organisations (directory/store.py): the
creator's organisation must be of the kind of the party it states, the counterparty a known
organisation of the other party's kind.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain
from services.agreements.access import AgreementNotFound, caller_party, find, tenant_of
from services.agreements.directory import store as directory
from services.agreements.domain import AgreementStatus, Party, VersionStatus
from services.agreements.lifecycle import privacy_notices, store
from services.agreements.lifecycle.schemas import (
    AgreementCreate,
    AgreementList,
    AgreementPublic,
    Annex1,
    DraftUpdate,
    Terms,
)
from services.agreements.lifecycle.store import Agreement, AgreementVersion
from shared import pagination
from shared.auth import Principal
from shared.event_types.agreements import (
    AGREEMENT_CREATED,
    AGREEMENT_LISTED,
    AGREEMENT_UPDATED,
    AGREEMENT_VIEWED,
)
from shared.events.contracts.agreements import (
    AgreementChanged,
    AgreementCreated,
    AgreementsListed,
    AgreementStatusChanged,
    AgreementViewed,
)
from shared.outbox import Outbox

VIEWED_FIELDS = sorted(AgreementPublic.model_fields)


def apply_terms(agreement: Agreement, terms: Terms) -> None:
    agreement.authorisation = terms.authorisation
    agreement.notice_days = terms.notice_days
    agreement.silence_is_acceptance = terms.silence_is_acceptance
    agreement.breach_notice_hours = terms.breach_notice_hours


async def public(session: AsyncSession, agreement: Agreement) -> AgreementPublic:
    """The answer about an agreement after a change in the caller's transaction (flushed first):
    one query, as a read."""
    found = await store.agreement_as_shown(
        session=session, organisation_id=agreement.organisation_id, agreement_id=agreement.id
    )
    assert found is not None  # the creating organisation is always a party
    return shown(found)


def shown(found: store.AgreementShown) -> AgreementPublic:
    """The answer about an agreement, from it, its version in force, the one awaiting signature
    and its parties' names as the directory holds them now (nothing signed holds a name)."""
    agreement, current, pending, names = found
    return AgreementPublic(
        id=agreement.id,
        title=agreement.title,
        counterparty_id=agreement.counterparty_id,
        organisation_id=agreement.organisation_id,
        controller_id=agreement.controller_id,
        controller_name=names.get(agreement.controller_id) if agreement.controller_id else None,
        processor_id=agreement.processor_id,
        processor_name=names.get(agreement.processor_id) if agreement.processor_id else None,
        status=agreement.status,
        version=agreement.version,
        terms=Terms.model_validate(current.terms),
        annex1=Annex1.model_validate(current.annex1),
        awaiting_signature=pending.number if pending else None,
        created_by=agreement.created_by,
        created_at=agreement.created_at,
        activated_at=agreement.activated_at,
        terminated_at=agreement.terminated_at,
    )


async def create_agreement(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, draft: AgreementCreate
) -> AgreementPublic:
    counterparty = str(draft.counterparty_id) if draft.counterparty_id else None
    domain.check_counterparty(own_organisation=principal.organisation_id, counterparty=counterparty)
    controller, processor = domain.parties(
        own_organisation=principal.organisation_id, own_party=draft.party, counterparty=counterparty
    )
    now = datetime.now(UTC)
    agreement = Agreement(
        organisation_id=uuid.UUID(principal.organisation_id),
        counterparty_id=draft.counterparty_id,
        controller_id=uuid.UUID(controller) if controller else None,
        processor_id=uuid.UUID(processor) if processor else None,
        title=domain.normalise_title(draft.title),
        created_by=principal.user_id,
        created_at=now,
    )
    apply_terms(agreement, draft.terms)
    async with session.begin():
        # Both parties' directory entries in one read, before the first write (SQLite's write
        # lock is taken at the first flush): the kind checks find them in the session, and the
        # answer names the parties from them.
        entries = await directory.entries_of(
            session, (agreement.controller_id, agreement.processor_id)
        )
        domain.check_own_kind(
            own_party=draft.party,
            own_kind=await directory.kind_of(session, agreement.organisation_id),
        )
        await _check_counterparty_kind(session, draft.party, draft.counterparty_id)
        names = {organisation_id: entry.name for organisation_id, entry in entries.items()}
        session.add(agreement)
        await session.flush()
        version = AgreementVersion(
            agreement_id=agreement.id,
            number=1,
            status=VersionStatus.draft,
            annex1=draft.annex1.model_dump(mode="json"),
            terms=draft.terms.model_dump(mode="json"),
            proposed_by=principal.user_id,
            proposed_by_party=draft.party,
            created_at=now,
        )
        session.add(version)
        outbox.add(
            session,
            type=AGREEMENT_CREATED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=AgreementCreated(
                agreement_id=agreement.id,
                counterparty_id=draft.counterparty_id,
                controller_id=agreement.controller_id,
                processor_id=agreement.processor_id,
            ),
        )
    # The draft is in force and awaits signature.
    return shown(store.AgreementShown(agreement, version, version, names))


async def read_agreement(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, agreement_id: uuid.UUID
) -> AgreementPublic:
    async with session.begin():
        found = await store.agreement_as_shown(
            session=session,
            organisation_id=uuid.UUID(principal.organisation_id),
            agreement_id=agreement_id,
        )
        if found is None:
            raise AgreementNotFound(agreement_id, principal)
        agreement = found.agreement
        view = shown(found)
        outbox.add(
            session,
            type=AGREEMENT_VIEWED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=AgreementViewed(agreement_id=agreement.id, fields=VIEWED_FIELDS),
        )
    return view


async def list_agreements(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    limit: int,
    cursor: str | None = None,
) -> AgreementList:
    after = pagination.moment_and_uuid(cursor) if cursor else None
    async with session.begin():
        found = await store.agreements_as_shown(
            session=session,
            organisation_id=uuid.UUID(principal.organisation_id),
            limit=limit + 1,
            after=after,
        )
        page, more = found[:limit], len(found) > limit
        views = [shown(one) for one in page]
        outbox.add(
            session,
            type=AGREEMENT_LISTED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            data=AgreementsListed(agreement_ids=[one.agreement.id for one in page]),
        )
    last = page[-1].agreement if more else None
    return AgreementList(
        items=views,
        next_cursor=pagination.after_moment(last.created_at, last.id) if last else None,
    )


async def update_draft(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    change: DraftUpdate,
) -> AgreementPublic:
    changed = sorted(change.model_dump(exclude_unset=True))
    if not changed:
        raise domain.AgreementRuleBroken(
            "give at least one of title, counterparty_id, annex1, terms"
        )
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        if caller_party(agreement, principal) is None:  # pragma: no cover - scope already holds
            raise AgreementNotFound(agreement_id, principal)
        draft = await store.version(session=session, agreement_id=agreement.id, number=1)
        assert draft is not None
        signed = await store.signatures(session=session, version_ids=[draft.id])
        domain.check_can_edit_draft(status=agreement.status, signatures=len(signed))
        if change.title is not None:
            agreement.title = domain.normalise_title(change.title)
        if "counterparty_id" in changed:
            await _set_counterparty(session, agreement, principal, change.counterparty_id)
        if change.annex1 is not None:
            draft.annex1 = change.annex1.model_dump(mode="json")
        if change.terms is not None:
            draft.terms = change.terms.model_dump(mode="json")
            apply_terms(agreement, change.terms)
        await session.flush()
        outbox.add(
            session,
            type=AGREEMENT_UPDATED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=AgreementChanged(agreement_id=agreement.id, version=1, fields=changed),
        )
        return await public(session, agreement)


async def _check_counterparty_kind(
    session: AsyncSession, own_party: Party, counterparty: uuid.UUID | None
) -> None:
    if counterparty is not None:
        domain.check_counterparty_kind(
            own_party=own_party,
            counterparty_kind=await directory.party_kind_of(session, counterparty),
        )


async def _set_counterparty(
    session: AsyncSession,
    agreement: Agreement,
    principal: Principal,
    counterparty: uuid.UUID | None,
) -> None:
    if agreement.organisation_id != uuid.UUID(principal.organisation_id):
        raise domain.NotAllowed("only the creating organisation may name the counterparty")
    domain.check_counterparty(
        own_organisation=principal.organisation_id,
        counterparty=str(counterparty) if counterparty else None,
    )
    own_party = (
        Party.controller
        if agreement.controller_id == agreement.organisation_id
        else Party.processor
    )
    await _check_counterparty_kind(session, own_party, counterparty)
    agreement.counterparty_id = counterparty
    if agreement.controller_id == agreement.organisation_id:
        agreement.processor_id = counterparty
    else:
        agreement.controller_id = counterparty


async def change_status(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    action: str,
    reason: str | None = None,
) -> AgreementPublic:
    """Activate or terminate: either party's admin may, the lifecycle table decides if it can."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        agreement.status = domain.step(agreement.status, action)
        if action == "activate":  # processing starts: the privacy notice is approved (DPA-10)
            await privacy_notices.check_approved(session, agreement)
        if agreement.status is AgreementStatus.active:
            agreement.activated_at = now
        if agreement.status is AgreementStatus.terminated:
            agreement.terminated_at = now
            agreement.termination_reason = reason
        verb = {"activate": "activated", "terminate": "terminated"}[action]
        outbox.add(
            session,
            type=f"dpa.agreements.agreement.{verb}.v1",
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=AgreementStatusChanged(
                agreement_id=agreement.id,
                status=agreement.status,
                version=agreement.version,
                processor_id=agreement.processor_id,
            ),
        )
        await session.flush()
        return await public(session, agreement)
