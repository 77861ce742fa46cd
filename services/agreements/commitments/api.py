"""HTTP routes of what the parties record under an agreement: instructions, Annex 2 measures,
staff with access and disclosure demands."""

import uuid

from fastapi import APIRouter, status

from services.agreements.access import Admin, Reader
from services.agreements.commitments import disclosures, instructions, measures, staff
from services.agreements.commitments.schemas import (
    Concern,
    ConcernReply,
    DisclosureCreate,
    DisclosureList,
    DisclosureOutcomeUpdate,
    DisclosurePublic,
    InstructionCreate,
    InstructionList,
    InstructionPublic,
    MeasureList,
    MeasurePublic,
    MeasureUpdate,
    StaffList,
    StaffMemberCreate,
    StaffMemberPublic,
)
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/agreements/{agreement_id}", tags=["commitments"])
CREATED = status.HTTP_201_CREATED


@router.post("/instructions", status_code=CREATED, response_model=InstructionPublic)
async def issue_instruction(
    agreement_id: uuid.UUID,
    body: InstructionCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> InstructionPublic:
    """As controller: issue a documented instruction (DPA-1)."""
    return await instructions.issue(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        body=body,
    )


@router.post("/instructions/{instruction_id}/acknowledgement", response_model=InstructionPublic)
async def acknowledge_instruction(
    agreement_id: uuid.UUID,
    instruction_id: uuid.UUID,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> InstructionPublic:
    """As processor: acknowledge an instruction."""
    return await instructions.acknowledge(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        instruction_id=instruction_id,
    )


@router.post("/instructions/{instruction_id}/concern", response_model=InstructionPublic)
async def raise_concern(
    agreement_id: uuid.UUID,
    instruction_id: uuid.UUID,
    body: Concern,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> InstructionPublic:
    """As processor: flag an instruction you believe infringes the GDPR (DPA-14). It is on hold
    until the controller confirms, amends or withdraws it; the controller is told."""
    return await instructions.raise_concern(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        instruction_id=instruction_id,
        body=body,
    )


@router.post("/instructions/{instruction_id}/concern-answer", response_model=InstructionPublic)
async def answer_concern(
    agreement_id: uuid.UUID,
    instruction_id: uuid.UUID,
    body: ConcernReply,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> InstructionPublic:
    """As controller: answer the processor's concern: confirm the instruction, amend it (``text``
    becomes a new instruction replacing it) or withdraw it; the processor is told (DPA-14)."""
    return await instructions.answer_concern(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        instruction_id=instruction_id,
        body=body,
    )


@router.get("/instructions", response_model=InstructionList)
async def list_instructions(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> InstructionList:
    """Every instruction, oldest first, with who acknowledged it and when, a page at a time
    (``next_cursor``)."""
    return await instructions.history(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )


@router.get("/measures", response_model=MeasureList)
async def list_measures(
    agreement_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> MeasureList:
    """Annex 2: every measure of the catalogue with its status, evidence and history (DPA-6)."""
    items = await measures.list_measures(
        session=session, outbox=runtime.outbox, principal=principal, agreement_id=agreement_id
    )
    return MeasureList(items=items)


@router.put("/measures/{measure_id}", response_model=MeasurePublic)
async def state_measure(
    agreement_id: uuid.UUID,
    measure_id: str,
    body: MeasureUpdate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> MeasurePublic:
    """As processor: state a measure's status and evidence; earlier statements are kept."""
    return await measures.state(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        measure_id=measure_id,
        body=body,
    )


@router.post("/staff", status_code=CREATED, response_model=StaffMemberPublic)
async def add_staff_member(
    agreement_id: uuid.UUID,
    body: StaffMemberCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> StaffMemberPublic:
    """As processor: list a person or department with access and its confidentiality commitment."""
    return await staff.add(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        body=body,
    )


@router.post("/staff/{member_id}/removal", response_model=StaffMemberPublic)
async def remove_staff_member(
    agreement_id: uuid.UUID,
    member_id: uuid.UUID,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> StaffMemberPublic:
    """As processor: end a staff member's access; the list keeps when it ended."""
    return await staff.remove(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        member_id=member_id,
    )


@router.get("/staff", response_model=StaffList)
async def list_staff(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> StaffList:
    """The staff or departments with access (DPA-8), readable by the controller at any time,
    in the order they were added, a page at a time (``next_cursor``)."""
    return await staff.list_staff(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )


@router.post("/disclosures", status_code=CREATED, response_model=DisclosurePublic)
async def record_disclosure(
    agreement_id: uuid.UUID,
    body: DisclosureCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> DisclosurePublic:
    """As processor: record a legally required disclosure demand (DPA-4a)."""
    return await disclosures.record(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        body=body,
    )


@router.post("/disclosures/{disclosure_id}/outcome", response_model=DisclosurePublic)
async def settle_disclosure(
    agreement_id: uuid.UUID,
    disclosure_id: uuid.UUID,
    body: DisclosureOutcomeUpdate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> DisclosurePublic:
    """As processor: record what became of the demand."""
    return await disclosures.settle(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        disclosure_id=disclosure_id,
        body=body,
    )


@router.get("/disclosures", response_model=DisclosureList)
async def list_disclosures(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> DisclosureList:
    """Disclosure demands, oldest first, a page at a time (``next_cursor``); the controller sees
    those the law does not keep from it."""
    return await disclosures.list_disclosures(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )
