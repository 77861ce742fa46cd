"""Use cases of subprocessor changes (DPA-5, art. 28(2) and 28(4) GDPR).

The processor proposes; every live agreement it is the processor of gets a notice. Under general
authorisation the controller may object until the notice period ends; silence then counts as
acceptance only where the agreement says so. Under specific authorisation nothing takes effect
without an explicit approval. An objection blocks the change for that agreement until it is
lifted (the controller approves after all), the change is withdrawn, or the agreement ends.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import clocks, domain
from services.agreements.access import find, require, tenant_of
from services.agreements.clocks import AGREED, NoticeDecision
from services.agreements.domain import LIVE, Party
from services.agreements.lifecycle import store
from services.agreements.subprocessors import store as records
from services.agreements.subprocessors.schemas import (
    ChangePublic,
    ChangeWithNotices,
    NoticePublic,
    SubprocessorChangeCreate,
)
from services.agreements.subprocessors.store import SubprocessorChange, SubprocessorNotice
from shared.auth import Principal
from shared.events.contracts.agreements import (
    SubprocessorChangeProposed,
    SubprocessorChangeWithdrawn,
    SubprocessorNoticeDecided,
    SubprocessorNoticeIssued,
)
from shared.outbox import Outbox


def notice_view(
    notice: SubprocessorNotice, change: SubprocessorChange, now: datetime
) -> NoticePublic:
    return NoticePublic(
        id=notice.id,
        agreement_id=notice.agreement_id,
        controller_id=notice.controller_id,
        authorisation=notice.authorisation,
        silence_is_acceptance=notice.silence_is_acceptance,
        notified_at=clocks.as_utc(notice.notified_at),
        objection_deadline=(
            clocks.as_utc(notice.objection_deadline) if notice.objection_deadline else None
        ),
        window_open=notice.decision is NoticeDecision.pending
        and clocks.window_open(deadline=notice.objection_deadline, now=now),
        decision=notice.decision,
        reason=notice.reason,
        decided_by=notice.decided_by,
        decided_at=notice.decided_at,
        change=ChangePublic.model_validate(change),
    )


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
        notices = []
        for agreement in agreements:
            assert agreement.controller_id is not None
            notice = SubprocessorNotice(
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
            notices.append(notice)
        await session.flush()
        outbox.add(
            session,
            type="dpa.agreements.subprocessor_change.proposed.v1",
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
        for notice in notices:
            outbox.add(
                session,
                type="dpa.agreements.subprocessor_notice.issued.v1",
                tenant=str(notice.controller_id),
                actor=principal.actor,
                subject=str(notice.agreement_id),
                data=SubprocessorNoticeIssued(
                    agreement_id=notice.agreement_id,
                    notice_id=notice.id,
                    change_id=change.id,
                    processor_id=processor_id,
                    controller_id=notice.controller_id,
                    kind=body.kind,
                    authorisation=notice.authorisation.value,
                    subprocessor=change.name,
                    service=change.service,
                    location=change.location,
                    transfer_mechanism=change.transfer_mechanism,
                    effective_date=body.effective_date,
                    data_categories=body.data_categories,
                    objection_deadline=notice.objection_deadline,
                    silence_is_acceptance=notice.silence_is_acceptance,
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
            notice.decision = NoticeDecision.withdrawn
            notice.decided_at = now
            notice.decided_by = principal.user_id
            outbox.add(
                session,
                type="dpa.agreements.subprocessor_notice.withdrawn.v1",
                tenant=str(notice.controller_id),
                actor=principal.actor,
                subject=str(notice.agreement_id),
                data=SubprocessorNoticeDecided(
                    agreement_id=notice.agreement_id,
                    notice_id=notice.id,
                    change_id=change.id,
                    decision=NoticeDecision.withdrawn,
                ),
            )
        outbox.add(
            session,
            type="dpa.agreements.subprocessor_change.withdrawn.v1",
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
