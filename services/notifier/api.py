"""HTTP routes of the notifier service."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.notifier import service
from services.notifier.schemas import ReceiptList, ReceiptPublic
from shared.auth import Principal, Role, require_roles
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/notifier", tags=["notifier"])

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]


@router.get("/receipts", response_model=ReceiptList)
async def list_receipts(
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReceiptList:
    """The events the notifier received for the caller's organisation, newest first."""
    receipts = await service.list_receipts(
        session=session, outbox=runtime.outbox, principal=principal, limit=limit
    )
    return ReceiptList(items=[ReceiptPublic.model_validate(r) for r in receipts])
