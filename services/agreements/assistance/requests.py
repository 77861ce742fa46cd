"""The controller's requests for the processor's help, and the processor's answers.

DPA-16 (art. 28(3)(f), 32-36 GDPR): help with a data protection impact assessment or with the
prior consultation of the supervisory authority. DPA-19 (art. 12 of the contract): when a data
subject claims damages from the controller, the processor intervenes in the proceedings on the
controller's simple request; whether it does is its answer. The question and the answer stay in
the agreement's records; the events name the kind, the number and the parties.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements.access import find, record_read, require, tenant_of
from services.agreements.assistance import categories, rules
from services.agreements.assistance import store as records
from services.agreements.assistance.rules import AssistanceKind
from services.agreements.assistance.schemas import (
    AssistanceAnswer,
    AssistanceRequestCreate,
    AssistanceRequestList,
    AssistanceRequestPublic,
)
from services.agreements.assistance.store import AssistanceRequest
from services.agreements.clocks import BRUSSELS
from services.agreements.domain import NotFound, Party
from services.agreements.lifecycle.store import Agreement
from shared import pagination
from shared.auth import Principal
from shared.events import Actor
from shared.events.contracts.agreements import AssistanceRequestStep
from shared.outbox import Outbox


def _event_type(kind: str, verb: str) -> str:
    entity = "claim_intervention" if kind == AssistanceKind.claim else "dpia_assistance"
    return f"dpa.agreements.{entity}.{verb}.v1"


def _emit(
    session: AsyncSession,
    outbox: Outbox,
    actor: Actor,
    verb: str,
    agreement: Agreement,
    row: AssistanceRequest,
) -> None:
    assert agreement.controller_id is not None
    assert agreement.processor_id is not None
    outbox.add(
        session,
        type=_event_type(row.kind, verb),
        tenant=tenant_of(agreement),
        actor=actor,
        subject=str(agreement.id),
        data=AssistanceRequestStep.model_validate(
            {
                "agreement_id": agreement.id,
                "request_id": row.id,
                "number": row.number,
                "kind": row.kind,
                "due_on": row.due_on,
                "intervenes": row.intervenes,
                "controller_id": agreement.controller_id,
                "processor_id": agreement.processor_id,
            }
        ),
    )


async def ask(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    body: AssistanceRequestCreate,
) -> AssistanceRequestPublic:
    """As controller: ask the processor's help, or its intervention in a claim."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.controller)
        rules.check_can_ask(
            status=agreement.status, due_on=body.due_on, today=now.astimezone(BRUSSELS).date()
        )
        row = AssistanceRequest(
            agreement_id=agreement.id,
            number=await records.last_assistance_number(session=session, agreement_id=agreement.id)
            + 1,
            kind=body.kind,
            question=body.question,
            due_on=body.due_on,
            data_categories=await categories.chosen(session, agreement, body.data_categories),
            asked_by=principal.user_id,
            asked_at=now,
        )
        session.add(row)
        await session.flush()
        _emit(session, outbox, principal.actor, "requested", agreement, row)
        return AssistanceRequestPublic.model_validate(row)


async def answer(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    request_id: uuid.UUID,
    body: AssistanceAnswer,
) -> AssistanceRequestPublic:
    """As processor: answer the request (for a claim, whether you intervene)."""
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        row = await records.assistance_request(
            session=session, agreement_id=agreement.id, request_id=request_id
        )
        if row is None:
            raise NotFound("Assistance request")
        rules.check_can_answer(
            kind=AssistanceKind(row.kind),
            answered=row.answered_at is not None,
            intervenes=body.intervenes,
        )
        row.answer = body.answer
        row.intervenes = body.intervenes
        row.answered_by = principal.user_id
        row.answered_at = datetime.now(UTC)
        _emit(session, outbox, principal.actor, "answered", agreement, row)
        return AssistanceRequestPublic.model_validate(row)


async def listing(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> AssistanceRequestList:
    """The agreement's requests for assistance, newest first; the read is recorded."""
    before = pagination.number_of(cursor)
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        found = await records.assistance_requests(
            session=session, agreement_id=agreement.id, limit=limit + 1, before=before
        )
        rows, last = pagination.split(found, limit)
        record_read(
            session,
            outbox,
            principal,
            agreement,
            record="assistance_request",
            record_ids=[row.id for row in rows],
        )
        return AssistanceRequestList(
            items=[AssistanceRequestPublic.model_validate(row) for row in rows],
            next_cursor=pagination.after_position(last.number) if last else None,
        )
