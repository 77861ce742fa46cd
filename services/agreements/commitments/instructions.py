"""Documented instructions (DPA-1, art. 28(3)(a)): the controller issues, the processor
acknowledges, and the history is kept: a new instruction supersedes, never overwrites.

DPA-14 (art. 28(3), last subparagraph): the processor tells the controller at once when it
believes an instruction infringes the GDPR. The instruction is then on hold until the controller
confirms it, amends it (a new instruction replaces it) or withdraws it.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.agreements import domain
from services.agreements.access import find, require, tenant_of
from services.agreements.commitments import store as records
from services.agreements.commitments.pages import read_page
from services.agreements.commitments.schemas import (
    Concern,
    ConcernReply,
    InstructionCreate,
    InstructionList,
    InstructionPublic,
)
from services.agreements.commitments.store import Instruction
from services.agreements.domain import ConcernAnswer, Party
from services.agreements.lifecycle.store import Agreement
from shared import pagination
from shared.auth import Principal
from shared.event_types.agreements import (
    INSTRUCTION_ACKNOWLEDGED,
    INSTRUCTION_CONCERN_CLOSED,
    INSTRUCTION_CONCERN_REPORTED,
    INSTRUCTION_ISSUED,
)
from shared.events import Actor
from shared.events.contracts.agreements import (
    InstructionAcknowledged,
    InstructionConcernAnswered,
    InstructionConcernRaised,
    InstructionIssued,
)
from shared.outbox import Outbox


def _answer(row: Instruction) -> ConcernAnswer | None:
    return ConcernAnswer(row.concern_answer) if row.concern_answer else None


def view(row: Instruction) -> InstructionPublic:
    answer = _answer(row)
    return InstructionPublic.model_validate(row).model_copy(
        update={
            "standing": domain.instruction_standing(
                concern_raised=row.concern_raised_at is not None, answer=answer
            ),
            "concern_answer": answer,
        }
    )


def _issued(
    session: AsyncSession,
    outbox: Outbox,
    actor: Actor,
    agreement: Agreement,
    instruction: Instruction,
) -> None:
    outbox.add(
        session,
        type=INSTRUCTION_ISSUED,
        tenant=tenant_of(agreement),
        actor=actor,
        subject=str(agreement.id),
        data=InstructionIssued(
            agreement_id=agreement.id,
            instruction_id=instruction.id,
            number=instruction.number,
            supersedes_id=instruction.supersedes_id,
            processor_id=agreement.processor_id,
        ),
    )


async def _add_instruction(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement: Agreement,
    *,
    number: int,
    text: str,
    supersedes_id: uuid.UUID | None,
    at: datetime,
) -> Instruction:
    """Store the agreement's instruction ``number`` as the controller issues it, and say so."""
    instruction = Instruction(
        agreement_id=agreement.id,
        number=number,
        text=text,
        supersedes_id=supersedes_id,
        issued_by=principal.user_id,
        issued_at=at,
    )
    session.add(instruction)
    await session.flush()
    _issued(session, outbox, principal.actor, agreement, instruction)
    return instruction


async def issue(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    body: InstructionCreate,
) -> InstructionPublic:
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.controller)
        domain.check_live(agreement.status, action="issue instructions")
        existing = await records.of_agreement(
            Instruction, session=session, agreement_id=agreement.id
        )
        if body.supersedes_id is not None and body.supersedes_id not in {i.id for i in existing}:
            raise domain.AgreementRuleBroken(
                "supersedes_id is not an instruction of this agreement"
            )
        instruction = await _add_instruction(
            session,
            outbox,
            principal,
            agreement,
            number=len(existing) + 1,
            text=body.text,
            supersedes_id=body.supersedes_id,
            at=datetime.now(UTC),
        )
        return view(instruction)


async def acknowledge(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    instruction_id: uuid.UUID,
) -> InstructionPublic:
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        domain.check_not_ended(agreement.status, action="acknowledge instructions")
        instruction = await _instruction(session, agreement, instruction_id)
        if instruction.acknowledged_at is not None:
            raise domain.StateConflict("the instruction is already acknowledged")
        instruction.acknowledged_by = principal.user_id
        instruction.acknowledged_at = datetime.now(UTC)
        outbox.add(
            session,
            type=INSTRUCTION_ACKNOWLEDGED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=InstructionAcknowledged(
                agreement_id=agreement.id, instruction_id=instruction.id, number=instruction.number
            ),
        )
        return view(instruction)


async def history(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> InstructionList:
    """A page of the agreement's instructions by number (the read is recorded)."""
    rows, last = await read_page(
        Instruction,
        session=session,
        outbox=outbox,
        principal=principal,
        agreement_id=agreement_id,
        record="instruction",
        sort=col(Instruction.number),
        limit=limit,
        after=pagination.number_and_uuid(cursor) if cursor else None,
    )
    return InstructionList(
        items=[view(r) for r in rows],
        next_cursor=pagination.after_number(last.number, last.id) if last else None,
    )


async def _instruction(
    session: AsyncSession, agreement: Agreement, instruction_id: uuid.UUID
) -> Instruction:
    instruction = await records.one(
        Instruction, session=session, agreement_id=agreement.id, row_id=instruction_id
    )
    if instruction is None:
        raise domain.NotFound("Instruction")
    return instruction


async def raise_concern(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    instruction_id: uuid.UUID,
    body: Concern,
) -> InstructionPublic:
    """As processor: flag the instruction as infringing the GDPR; it is on hold from now."""
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        instruction = await _instruction(session, agreement, instruction_id)
        domain.check_can_raise_concern(
            status=agreement.status,
            concern_raised=instruction.concern_raised_at is not None,
            answer=_answer(instruction),
        )
        instruction.concern = body.reason
        instruction.concern_raised_by = principal.user_id
        instruction.concern_raised_at = datetime.now(UTC)
        assert agreement.processor_id is not None
        assert agreement.controller_id is not None
        outbox.add(
            session,
            type=INSTRUCTION_CONCERN_REPORTED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=InstructionConcernRaised(
                agreement_id=agreement.id,
                instruction_id=instruction.id,
                number=instruction.number,
                controller_id=agreement.controller_id,
                processor_id=agreement.processor_id,
            ),
        )
        return view(instruction)


async def answer_concern(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    instruction_id: uuid.UUID,
    body: ConcernReply,
) -> InstructionPublic:
    """As controller: confirm, amend (a new instruction replaces it) or withdraw the flagged
    instruction; the processor is told (the notifier reads the event)."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.controller)
        domain.check_not_ended(agreement.status, action="answer a concern")
        instruction = await _instruction(session, agreement, instruction_id)
        domain.check_can_answer_concern(
            concern_raised=instruction.concern_raised_at is not None,
            answer=_answer(instruction),
            outcome=body.outcome,
            new_text=body.text,
        )
        _record_answer(instruction, body, by=principal.user_id, at=now)
        replacement = None
        if body.outcome is ConcernAnswer.amended:
            assert body.text is not None
            existing = await records.of_agreement(
                Instruction, session=session, agreement_id=agreement.id
            )
            replacement = await _add_instruction(
                session,
                outbox,
                principal,
                agreement,
                number=len(existing) + 1,
                text=body.text,
                supersedes_id=instruction.id,
                at=now,
            )
        _concern_closed(
            session, outbox, principal.actor, agreement, instruction, body.outcome, replacement
        )
        return view(instruction)


def _record_answer(instruction: Instruction, body: ConcernReply, *, by: str, at: datetime) -> None:
    """The controller's answer to the concern, on the flagged instruction."""
    instruction.concern_answer = body.outcome
    instruction.concern_answer_note = body.note
    instruction.concern_answered_by = by
    instruction.concern_answered_at = at


def _concern_closed(
    session: AsyncSession,
    outbox: Outbox,
    actor: Actor,
    agreement: Agreement,
    instruction: Instruction,
    outcome: ConcernAnswer,
    replacement: Instruction | None,
) -> None:
    """Tell the processor how its concern was answered (the notifier reads the event)."""
    assert agreement.processor_id is not None
    assert agreement.controller_id is not None
    outbox.add(
        session,
        type=INSTRUCTION_CONCERN_CLOSED,
        tenant=tenant_of(agreement),
        actor=actor,
        subject=str(agreement.id),
        data=InstructionConcernAnswered(
            agreement_id=agreement.id,
            instruction_id=instruction.id,
            number=instruction.number,
            outcome=outcome.value,
            replacement_id=replacement.id if replacement else None,
            controller_id=agreement.controller_id,
            processor_id=agreement.processor_id,
        ),
    )
