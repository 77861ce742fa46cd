"""HTTP routes of the processor's assistance to the controller: data subjects' requests
(DPA-15), DPIA and prior-consultation help (DPA-16), intervention in a claim (DPA-19)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.agreements.access import Admin, Reader
from services.agreements.assistance import requests, subject_requests
from services.agreements.assistance.schemas import (
    AssistanceAnswer,
    AssistanceRequestCreate,
    AssistanceRequestList,
    AssistanceRequestPublic,
    SubjectRequestAssistance,
    SubjectRequestClosure,
    SubjectRequestCreate,
    SubjectRequestList,
    SubjectRequestPublic,
)
from shared.pagination import Cursor
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/agreements/{agreement_id}", tags=["assistance"])


@router.post(
    "/subject-requests", status_code=status.HTTP_201_CREATED, response_model=SubjectRequestPublic
)
async def forward_subject_request(
    agreement_id: uuid.UUID,
    body: SubjectRequestCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> SubjectRequestPublic:
    """As processor: forward a data subject's request that reached you to the controller; your
    assistance is due within the service's working days (DPA-15)."""
    return await subject_requests.forward(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        body=body,
        working_days=getattr(runtime.settings, "subject_request_working_days", 5),
    )


@router.post("/subject-requests/{request_id}/assistance", response_model=SubjectRequestPublic)
async def assist_with_subject_request(
    agreement_id: uuid.UUID,
    request_id: uuid.UUID,
    body: SubjectRequestAssistance,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> SubjectRequestPublic:
    """As processor: record the assistance you gave with the request."""
    return await subject_requests.assist(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        request_id=request_id,
        body=body,
    )


@router.post("/subject-requests/{request_id}/closure", response_model=SubjectRequestPublic)
async def close_subject_request(
    agreement_id: uuid.UUID,
    request_id: uuid.UUID,
    body: SubjectRequestClosure,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> SubjectRequestPublic:
    """As controller: close the request (answered, refused or withdrawn)."""
    return await subject_requests.close(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        request_id=request_id,
        body=body,
    )


@router.get("/subject-requests", response_model=SubjectRequestList)
async def list_subject_requests(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> SubjectRequestList:
    """The data subjects' requests forwarded under the agreement, newest first, in pages."""
    return await subject_requests.listing(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/assistance-requests",
    status_code=status.HTTP_201_CREATED,
    response_model=AssistanceRequestPublic,
)
async def ask_for_assistance(
    agreement_id: uuid.UUID,
    body: AssistanceRequestCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AssistanceRequestPublic:
    """As controller: ask the processor's help with a DPIA or a prior consultation (DPA-16), or
    its intervention in a data subject's claim against you (DPA-19)."""
    return await requests.ask(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        body=body,
    )


@router.post("/assistance-requests/{request_id}/answer", response_model=AssistanceRequestPublic)
async def answer_assistance_request(
    agreement_id: uuid.UUID,
    request_id: uuid.UUID,
    body: AssistanceAnswer,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AssistanceRequestPublic:
    """As processor: answer the controller's request; for a claim, say whether you intervene."""
    return await requests.answer(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        request_id=request_id,
        body=body,
    )


@router.get("/assistance-requests", response_model=AssistanceRequestList)
async def list_assistance_requests(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> AssistanceRequestList:
    """The controller's requests for assistance and the processor's answers, newest first."""
    return await requests.listing(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )
