"""HTTP routes of the audit service: an organisation's admins and auditors read its log."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.audit import service
from services.audit.schemas import AuditEntryPublic, AuditPage
from shared.auth import Principal, Role, require_roles
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])

LogReader = Annotated[Principal, Depends(require_roles(Role.admin, Role.auditor))]


@router.get("/entries", response_model=AuditPage)
async def list_entries(
    principal: LogReader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[
        int | None, Query(ge=1, description="Cursor: entries before this position.")
    ] = None,
) -> AuditPage:
    """The caller's organisation's audit entries, newest first; the read is itself audited."""
    entries = await service.read_log(
        session=session, outbox=runtime.outbox, principal=principal, limit=limit, before=before
    )
    items = [AuditEntryPublic.model_validate(entry) for entry in entries]
    next_before = items[-1].position if len(items) == limit else None
    return AuditPage(items=items, next_before=next_before)
