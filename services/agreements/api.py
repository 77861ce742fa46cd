"""HTTP routes of the agreements service: parse, call a use case, map domain errors to HTTP."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from services.agreements import service
from services.agreements.domain import AgreementRuleBroken
from services.agreements.schemas import AgreementCreate, AgreementList, AgreementPublic
from shared.auth import Principal, Role, require_roles
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/agreements", tags=["agreements"])

Reader = Annotated[Principal, Depends(require_roles(Role.admin, Role.member, Role.auditor))]
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AgreementPublic)
async def create_agreement(
    body: AgreementCreate, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> AgreementPublic:
    """Create a draft agreement owned by the caller's organisation."""
    try:
        agreement = await service.create_agreement(
            session=session, outbox=runtime.outbox, principal=principal, draft=body
        )
    except AgreementRuleBroken as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None
    return AgreementPublic.model_validate(agreement)


@router.get("", response_model=AgreementList)
async def list_agreements(
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AgreementList:
    """List the agreements the caller's organisation is a party to, newest first."""
    agreements = await service.list_agreements(
        session=session, outbox=runtime.outbox, principal=principal, limit=limit
    )
    return AgreementList(items=[AgreementPublic.model_validate(a) for a in agreements])


@router.get(
    "/{agreement_id}",
    response_model=AgreementPublic,
    responses={404: {"description": "No such agreement for your organisation."}},
)
async def read_agreement(
    agreement_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> AgreementPublic:
    """Read one agreement the caller's organisation is a party to; the read is audited."""
    try:
        agreement = await service.read_agreement(
            session=session, outbox=runtime.outbox, principal=principal, agreement_id=agreement_id
        )
    except service.AgreementNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Agreement not found") from None
    return AgreementPublic.model_validate(agreement)
