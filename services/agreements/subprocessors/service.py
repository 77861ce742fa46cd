"""Use cases of subprocessor changes (DPA-5, art. 28(2) and 28(4) GDPR).

The processor proposes; every live agreement it is the processor of gets a notice. Under general
authorisation the controller may object until the notice period ends; silence then counts as
acceptance only where the agreement says so. Under specific authorisation nothing takes effect
without an explicit approval. An objection blocks the change for that agreement until it is
lifted (the controller approves after all), the change is withdrawn, or the agreement ends.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import clocks, domain
from services.agreements.access import find, require, tell_controllers, tenant_of
from services.agreements.clocks import AGREED, NoticeDecision
from services.agreements.domain import LIVE, ObjectionOutcome, Party
from services.agreements.lifecycle import store
from services.agreements.lifecycle.schemas import ListedSubprocessor
from services.agreements.lifecycle.store import Agreement
from services.agreements.subprocessors import store as records
from services.agreements.subprocessors.schemas import (
    ChangePublic,
    ChangeWithNotices,
    FlowDownCreate,
    FlowDownPublic,
    NoticePublic,
    Resolution,
    SubprocessorChangeCreate,
)
from services.agreements.subprocessors.store import (
    FlowDownAgreement,
    SubprocessorChange,
    SubprocessorNotice,
)
from shared.auth import Principal
from shared.event_types.agreements import (
    SUBPROCESSOR_CHANGE_PROPOSED,
    SUBPROCESSOR_CHANGE_WITHDRAWN,
    SUBPROCESSOR_FLOW_DOWN_CREATED,
    SUBPROCESSOR_NOTICE_ISSUED,
    SUBPROCESSOR_NOTICE_WITHDRAWN,
    SUBPROCESSOR_OBJECTION_CLOSED,
)
from shared.events import Actor
from shared.events.contracts.agreements import (
    SubprocessorChangeProposed,
    SubprocessorChangeWithdrawn,
    SubprocessorFlowDownRecorded,
    SubprocessorNoticeDecided,
    SubprocessorNoticeIssued,
    SubprocessorObjectionResolved,
)
from shared.moments import as_utc
from shared.outbox import Outbox


def change_view(change: SubprocessorChange, flow_down: FlowDownAgreement | None) -> ChangePublic:
    view = ChangePublic.model_validate(change)
    if flow_down is not None:
        view.flow_down = FlowDownPublic.model_validate(flow_down)
    return view


def notice_view(
    notice: SubprocessorNotice,
    change: SubprocessorChange,
    now: datetime,
    flow_down: FlowDownAgreement | None = None,
) -> NoticePublic:
    return NoticePublic(
        id=notice.id,
        agreement_id=notice.agreement_id,
        controller_id=notice.controller_id,
        authorisation=notice.authorisation,
        silence_is_acceptance=notice.silence_is_acceptance,
        notified_at=as_utc(notice.notified_at),
        objection_deadline=(
            as_utc(notice.objection_deadline) if notice.objection_deadline else None
        ),
        window_open=notice.decision is NoticeDecision.pending
        and clocks.window_open(deadline=notice.objection_deadline, now=now),
        decision=notice.decision,
        reason=notice.reason,
        decided_by=notice.decided_by,
        decided_at=notice.decided_at,
        resolution=ObjectionOutcome(notice.resolution) if notice.resolution else None,
        resolution_note=notice.resolution_note,
        resolved_by=notice.resolved_by,
        resolved_at=notice.resolved_at,
        change=change_view(change, flow_down),
    )


def issue_notice(
    session: AsyncSession,
    outbox: Outbox,
    actor: Actor,
    *,
    change: SubprocessorChange,
    agreement: Agreement,
    now: datetime,
) -> SubprocessorNotice:
    """Tell one agreement's controller of a change, with its window, and record that it was told."""
    assert agreement.controller_id is not None
    notice = SubprocessorNotice(
        id=uuid.uuid4(),
        change_id=change.id,
        agreement_id=agreement.id,
        controller_id=agreement.controller_id,
        authorisation=agreement.authorisation,
        silence_is_acceptance=agreement.silence_is_acceptance,
        notified_at=now,
        objection_deadline=clocks.objection_deadline(
            notified_at=now,
            authorisation=agreement.authorisation,
            notice_days=agreement.notice_days,
        ),
    )
    session.add(notice)
    tell_controllers(
        session,
        outbox,
        actor,
        [notice],
        type=SUBPROCESSOR_NOTICE_ISSUED,
        payload=lambda notice: SubprocessorNoticeIssued(
            agreement_id=notice.agreement_id,
            notice_id=notice.id,
            change_id=change.id,
            processor_id=change.processor_id,
            controller_id=notice.controller_id,
            kind="replace" if change.kind == "replace" else "add",
            authorisation=notice.authorisation.value,
            subprocessor=change.name,
            service=change.service,
            location=change.location,
            transfer_mechanism=change.transfer_mechanism,
            effective_date=change.effective_date,
            data_categories=change.data_categories,
            objection_deadline=notice.objection_deadline,
            silence_is_acceptance=notice.silence_is_acceptance,
        ),
    )
    return notice


def listed(change: SubprocessorChange) -> dict[str, Any]:
    """A change as a signed version lists it (JSON, as stored and hashed)."""
    return ListedSubprocessor(
        change_id=change.id,
        name=change.name,
        service=change.service,
        location=change.location,
        transfer_mechanism=change.transfer_mechanism,
        data_categories=change.data_categories,
        effective_date=change.effective_date,
    ).model_dump(mode="json")


async def registered_list(
    session: AsyncSession, processor_id: uuid.UUID
) -> list[SubprocessorChange]:
    """The processor's subprocessors as it states them: every change not withdrawn, less those a
    standing replacement replaces. What a controller signing now is shown and signs (DPA-5)."""
    changes = [
        c
        for c in await records.changes_of_processor(session=session, processor_id=processor_id)
        if c.withdrawn_at is None
    ]
    replaced = {c.replaces_id for c in changes if c.replaces_id is not None}
    return [c for c in changes if c.id not in replaced]


class Register:
    """The subprocessor list as signing sees it (lifecycle.signing.SubprocessorRegister)."""

    async def listed_now(
        self, session: AsyncSession, processor_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        return [listed(change) for change in await registered_list(session, processor_id)]

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
        """When an agreement comes into force, the changes proposed after its list was signed
        (while it awaited the second signature) reach its controller as notices."""
        assert agreement.processor_id is not None
        for change in await registered_list(session, agreement.processor_id):
            if str(change.id) not in listed_ids:
                issue_notice(session, outbox, actor, change=change, agreement=agreement, now=now)


async def propose_change(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, body: SubprocessorChangeCreate
) -> ChangeWithNotices:
    now = datetime.now(UTC)
    processor_id = uuid.UUID(principal.organisation_id)
    if body.effective_date < now.date():
        raise domain.AgreementRuleBroken("effective_date lies in the past")
    if (body.kind == "replace") != (body.replaces_id is not None):
        raise domain.AgreementRuleBroken("a replacement names replaces_id; an addition does not")
    async with session.begin():
        if body.replaces_id is not None:
            replaced = await records.change(
                session=session, processor_id=processor_id, change_id=body.replaces_id
            )
            if replaced is None:
                raise domain.AgreementRuleBroken("replaces_id is not one of your subprocessors")
        change = SubprocessorChange(
            processor_id=processor_id,
            proposed_by=principal.user_id,
            proposed_at=now,
            **body.model_dump(),
        )
        session.add(change)
        await session.flush()
        agreements = await store.agreements_of_processor(
            session=session, processor_id=processor_id, statuses=LIVE
        )
        notices = [
            issue_notice(
                session, outbox, principal.actor, change=change, agreement=agreement, now=now
            )
            for agreement in agreements
        ]
        await session.flush()
        outbox.add(
            session,
            type=SUBPROCESSOR_CHANGE_PROPOSED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(change.id),
            data=SubprocessorChangeProposed(
                change_id=change.id,
                processor_id=processor_id,
                kind=body.kind,
                replaces_id=body.replaces_id,
                effective_date=body.effective_date,
                data_categories=body.data_categories,
                agreement_ids=[n.agreement_id for n in notices],
            ),
        )
    return ChangeWithNotices(
        **ChangePublic.model_validate(change).model_dump(),
        notices=[notice_view(n, change, now) for n in notices],
    )


async def withdraw_change(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, change_id: uuid.UUID
) -> ChangePublic:
    now = datetime.now(UTC)
    async with session.begin():
        change = await records.change(
            session=session, processor_id=uuid.UUID(principal.organisation_id), change_id=change_id
        )
        if change is None:
            raise domain.NotFound("Subprocessor change")
        if change.withdrawn_at is not None:
            raise domain.StateConflict("the change is already withdrawn")
        open_notices = [
            n
            for n in await records.notices_of_change(session=session, change_id=change.id)
            if n.decision not in AGREED
        ]
        if not open_notices and await records.notices_of_change(
            session=session, change_id=change.id
        ):
            raise domain.StateConflict("every controller already agreed: propose a replacement")
        change.withdrawn_at = now
        for notice in open_notices:
            if notice.decision is NoticeDecision.objected and notice.resolution is None:
                notice.resolution = ObjectionOutcome.change_withdrawn
                notice.resolved_by = principal.user_id
                notice.resolved_at = now
            notice.decision = NoticeDecision.withdrawn
            notice.decided_at = now
            notice.decided_by = principal.user_id
        tell_controllers(
            session,
            outbox,
            principal.actor,
            open_notices,
            type=SUBPROCESSOR_NOTICE_WITHDRAWN,
            payload=lambda notice: SubprocessorNoticeDecided(
                agreement_id=notice.agreement_id,
                notice_id=notice.id,
                change_id=change.id,
                decision=NoticeDecision.withdrawn,
            ),
        )
        outbox.add(
            session,
            type=SUBPROCESSOR_CHANGE_WITHDRAWN,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(change.id),
            data=SubprocessorChangeWithdrawn(
                change_id=change.id,
                processor_id=change.processor_id,
                agreement_ids=[n.agreement_id for n in open_notices],
            ),
        )
    return ChangePublic.model_validate(change)


async def decide(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    notice_id: uuid.UUID,
    objection: str | None,
) -> NoticePublic:
    """The controller approves (or lifts its objection), or objects with a reason."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.controller)
        domain.check_live(agreement.status, action="decide on a subprocessor change")
        notice = await records.notice(
            session=session, agreement_id=agreement.id, notice_id=notice_id
        )
        if notice is None:
            raise domain.NotFound("Subprocessor notice")
        if objection is None:
            clocks.check_can_approve(decision=notice.decision)
            notice.decision = NoticeDecision.approved
        else:
            clocks.check_can_object(
                decision=notice.decision, deadline=notice.objection_deadline, now=now
            )
            notice.decision = NoticeDecision.objected
        notice.reason = objection
        notice.decided_by = principal.user_id
        notice.decided_at = now
        verb = "objected" if objection is not None else "approved"
        outbox.add(
            session,
            type=f"dpa.agreements.subprocessor_notice.{verb}.v1",
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=SubprocessorNoticeDecided(
                agreement_id=agreement.id,
                notice_id=notice.id,
                change_id=notice.change_id,
                decision=notice.decision,
            ),
        )
        changes = await records.changes_by_id(session=session, change_ids=[notice.change_id])
    return notice_view(notice, changes[notice.change_id], now)


async def resolve_objection(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    notice_id: uuid.UUID,
    body: Resolution,
) -> NoticePublic:
    """As processor: record how a controller's objection was closed (DPA-5). The change stays
    out of force for that agreement; the record says why the processor may go on without it."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        notice = await records.notice(
            session=session, agreement_id=agreement.id, notice_id=notice_id
        )
        if notice is None:
            raise domain.NotFound("Subprocessor notice")
        domain.check_can_resolve_objection(
            status=agreement.status,
            objected=notice.decision is NoticeDecision.objected,
            resolved=notice.resolution is not None,
            outcome=body.outcome,
        )
        notice.resolution = body.outcome
        notice.resolution_note = body.note
        notice.resolved_by = principal.user_id
        notice.resolved_at = now
        outbox.add(
            session,
            type=SUBPROCESSOR_OBJECTION_CLOSED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=SubprocessorObjectionResolved(
                agreement_id=agreement.id,
                notice_id=notice.id,
                change_id=notice.change_id,
                outcome=body.outcome.value,
            ),
        )
        changes = await records.changes_by_id(session=session, change_ids=[notice.change_id])
        flow_downs = await records.flow_downs(session=session, change_ids=[notice.change_id])
    return notice_view(notice, changes[notice.change_id], now, flow_downs.get(notice.change_id))


async def record_flow_down(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    change_id: uuid.UUID,
    body: FlowDownCreate,
) -> ChangePublic:
    """As processor: record its agreement with a subprocessor (art. 5, DPA-17); the latest holds."""
    now = datetime.now(UTC)
    domain.check_flow_down(
        signed_on=body.signed_on,
        today=now.date(),
        outside_eea=body.transfers_outside_eea,
        countries=body.transfer_countries,
        basis=body.transfer_basis,
    )
    processor_id = uuid.UUID(principal.organisation_id)
    async with session.begin():
        change = await records.change(
            session=session, processor_id=processor_id, change_id=change_id
        )
        if change is None:
            raise domain.NotFound("Subprocessor change")
        if change.withdrawn_at is not None:
            raise domain.StateConflict("the change is withdrawn")
        flow_down = FlowDownAgreement(
            change_id=change.id,
            processor_id=processor_id,
            recorded_by=principal.user_id,
            recorded_at=now,
            **body.model_dump(),
        )
        session.add(flow_down)
        outbox.add(
            session,
            type=SUBPROCESSOR_FLOW_DOWN_CREATED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(change.id),
            data=SubprocessorFlowDownRecorded(
                change_id=change.id,
                processor_id=processor_id,
                flow_down_id=flow_down.id,
                signed_on=body.signed_on,
                transfers_outside_eea=body.transfers_outside_eea,
            ),
        )
        await session.flush()
    return change_view(change, flow_down)
