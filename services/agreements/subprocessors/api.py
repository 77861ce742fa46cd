"""HTTP routes of subprocessor changes, the controllers' notices and the processor's list."""

import uuid

from fastapi import APIRouter, status

from services.agreements.access import Admin, Reader
from services.agreements.subprocessors import reads, service
from services.agreements.subprocessors.schemas import (
    AgreementSubprocessors,
    ChangePublic,
    ChangeWithNotices,
    FlowDownCreate,
    NoticeList,
    NoticePublic,
    Objection,
    Resolution,
    SubprocessorChangeCreate,
    SubprocessorList,
)
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(tags=["subprocessors"])


@router.post(
    "/subprocessor-changes", status_code=status.HTTP_201_CREATED, response_model=ChangeWithNotices
)
async def propose_change(
    body: SubprocessorChangeCreate, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> ChangeWithNotices:
    """As processor: announce adding or replacing a subprocessor to every controller (DPA-5)."""
    return await service.propose_change(
        session=session, outbox=runtime.outbox, principal=principal, body=body
    )


@router.post("/subprocessor-changes/{change_id}/withdrawal", response_model=ChangePublic)
async def withdraw_change(
    change_id: uuid.UUID, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> ChangePublic:
    """As processor: withdraw a change not yet agreed everywhere; its objections are resolved."""
    return await service.withdraw_change(
        session=session, outbox=runtime.outbox, principal=principal, change_id=change_id
    )


@router.post(
    "/subprocessor-changes/{change_id}/flow-down",
    status_code=status.HTTP_201_CREATED,
    response_model=ChangePublic,
)
async def record_flow_down(
    change_id: uuid.UUID,
    body: FlowDownCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ChangePublic:
    """As processor: record the flow-down agreement with this subprocessor (DPA-17, art. 5).

    The latest recording holds and is shown to every controller with the subprocessor.
    """
    return await service.record_flow_down(
        session=session, outbox=runtime.outbox, principal=principal, change_id=change_id, body=body
    )


@router.get("/agreements/{agreement_id}/subprocessors", response_model=AgreementSubprocessors)
async def agreement_subprocessors(
    agreement_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> AgreementSubprocessors:
    """The subprocessors in force for this agreement, from its own controller's decisions, and
    the list signed with it (DPA-5)."""
    return await reads.agreement_subprocessors(
        session=session, outbox=runtime.outbox, principal=principal, agreement_id=agreement_id
    )


@router.get("/agreements/{agreement_id}/subprocessor-notices", response_model=NoticeList)
async def list_notices(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> NoticeList:
    """The subprocessor changes notified under this agreement, with windows and decisions,
    oldest first, a page at a time (``next_cursor``)."""
    return await reads.agreement_notices(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/agreements/{agreement_id}/subprocessor-notices/{notice_id}/approval",
    response_model=NoticePublic,
)
async def approve(
    agreement_id: uuid.UUID,
    notice_id: uuid.UUID,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> NoticePublic:
    """As controller: approve the change for this agreement (also lifts an objection)."""
    return await service.decide(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        notice_id=notice_id,
        objection=None,
    )


@router.post(
    "/agreements/{agreement_id}/subprocessor-notices/{notice_id}/objection",
    response_model=NoticePublic,
)
async def object_to(
    agreement_id: uuid.UUID,
    notice_id: uuid.UUID,
    body: Objection,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> NoticePublic:
    """As controller: object, with a reason, before the window closes; the change is blocked."""
    return await service.decide(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        notice_id=notice_id,
        objection=body.reason,
    )


@router.post(
    "/agreements/{agreement_id}/subprocessor-notices/{notice_id}/resolution",
    response_model=NoticePublic,
)
async def resolve_objection(
    agreement_id: uuid.UUID,
    notice_id: uuid.UUID,
    body: Resolution,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> NoticePublic:
    """As processor: record how the controller's objection was closed (the agreement ended, or
    its processing moved where the subprocessor plays no part); a withdrawal records itself."""
    return await service.resolve_objection(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        notice_id=notice_id,
        body=body,
    )


@router.get("/processors/{processor_id}/subprocessors", response_model=SubprocessorList)
async def processor_list(
    processor_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> SubprocessorList:
    """A processor's current subprocessors and their history, for it and its controllers; the
    history a page at a time (``next_cursor``), what is in force whole on every page."""
    return await reads.processor_list(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        processor_id=processor_id,
        limit=limit,
        cursor=cursor,
    )
