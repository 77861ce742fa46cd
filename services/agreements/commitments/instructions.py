"""Documented instructions (DPA-1, art. 28(3)(a)): the controller issues, the processor
acknowledges, and the history is kept: a new instruction supersedes, never overwrites."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain
from services.agreements.access import find, record_read, require, tenant_of
from services.agreements.commitments import store as records
from services.agreements.commitments.schemas import InstructionCreate, InstructionPublic
from services.agreements.commitments.store import Instruction
from services.agreements.domain import Party
from shared.auth import Principal
from shared.events.contracts.agreements import InstructionAcknowledged, InstructionIssued
from shared.outbox import Outbox


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
        instruction = Instruction(
            agreement_id=agreement.id,
            number=len(existing) + 1,
            text=body.text,
            supersedes_id=body.supersedes_id,
            issued_by=principal.user_id,
            issued_at=datetime.now(UTC),
        )
        session.add(instruction)
        await session.flush()
        outbox.add(
            session,
            type="dpa.agreements.instruction.issued.v1",
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=InstructionIssued(
                agreement_id=agreement.id,
                instruction_id=instruction.id,
                number=instruction.number,
                supersedes_id=body.supersedes_id,
            ),
        )
        return InstructionPublic.model_validate(instruction)


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
        instruction = await records.one(
            Instruction, session=session, agreement_id=agreement.id, row_id=instruction_id
        )
        if instruction is None:
            raise domain.NotFound("Instruction")
        if instruction.acknowledged_at is not None:
            raise domain.StateConflict("the instruction is already acknowledged")
        instruction.acknowledged_by = principal.user_id
        instruction.acknowledged_at = datetime.now(UTC)
        outbox.add(
            session,
            type="dpa.agreements.instruction.acknowledged.v1",
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=InstructionAcknowledged(
                agreement_id=agreement.id, instruction_id=instruction.id, number=instruction.number
            ),
        )
        return InstructionPublic.model_validate(instruction)


async def history(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, agreement_id: uuid.UUID
) -> list[InstructionPublic]:
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        rows = await records.of_agreement(
            Instruction, session=session, agreement_id=agreement.id, order=Instruction.number
        )
        record_read(
            session,
            outbox,
            principal,
            agreement,
            record="instruction",
            record_ids=[r.id for r in rows],
        )
        return [InstructionPublic.model_validate(r) for r in rows]
