"""HTTP routes of breach reports (processor) and the authority decision (controller)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.agreements.access import Admin, Reader
from services.agreements.breaches import reads, service
from services.agreements.breaches.schemas import (
    AuthorityNotification,
    BreachCreate,
    BreachList,
    BreachNoticePublic,
    BreachPhaseCreate,
    BreachPublic,
)
from shared.pagination import Cursor
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(tags=["breaches"])


@router.post("/breaches", status_code=status.HTTP_201_CREATED, response_model=BreachPublic)
async def report_breach(
    body: BreachCreate, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> BreachPublic:
    """As processor: report a personal-data breach; each affected controller is notified."""
    return await service.report(
        session=session, outbox=runtime.outbox, principal=principal, body=body
    )


@router.get("/breaches", response_model=BreachList)
async def list_breaches(
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> BreachList:
    """Breaches you reported, or were notified of, newest first, a page at a time
    (``next_cursor``)."""
    return await reads.list_breaches(
        session=session, outbox=runtime.outbox, principal=principal, limit=limit, cursor=cursor
    )


@router.get("/breaches/{breach_id}", response_model=BreachPublic)
async def read_breach(
    breach_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> BreachPublic:
    """One breach with its phases and the notices (clocks) you may see."""
    return await reads.read(
        session=session, outbox=runtime.outbox, principal=principal, breach_id=breach_id
    )


@router.post(
    "/breaches/{breach_id}/phases",
    status_code=status.HTTP_201_CREATED,
    response_model=BreachPublic,
)
async def add_phase(
    breach_id: uuid.UUID,
    body: BreachPhaseCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> BreachPublic:
    """As processor: complete the report in a further phase (art. 33(4))."""
    return await service.add_phase(
        session=session, outbox=runtime.outbox, principal=principal, breach_id=breach_id, body=body
    )


@router.post(
    "/breach-notices/{notice_id}/authority-notification", response_model=BreachNoticePublic
)
async def record_authority_notification(
    notice_id: uuid.UUID,
    body: AuthorityNotification,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> BreachNoticePublic:
    """As controller: record whether and when you notified your supervisory authority."""
    return await service.record_authority_notification(
        session=session, outbox=runtime.outbox, principal=principal, notice_id=notice_id, body=body
    )
