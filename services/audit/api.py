"""HTTP routes of the audit service: an organisation's admins and auditors read its log."""

import re
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BeforeValidator, ValidationError

from services.audit import erasure, export, external, service
from services.audit.proof_api import SignerDep
from services.audit.schemas import (
    AuditPage,
    ErasureDone,
    ErasureRequest,
    ExternalAccepted,
    LogFilter,
)
from services.audit.search import Order
from services.audit.sentences import DEFAULT_LANGUAGE, Language, language_of
from shared.auth import Principal, Role, require_roles
from shared.events import Outcome
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])

LogReader = Annotated[Principal, Depends(require_roles(Role.admin, Role.auditor))]
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]


def _iso_8601(value: object) -> object:
    """A moment is an ISO 8601 date-time: a bare number is not taken as a Unix time."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", value.strip()):
        raise ValueError("give an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z")
    return value


Moment = Annotated[datetime, BeforeValidator(_iso_8601)]


def log_filter(
    actor: Annotated[str | None, Query(max_length=200, description="Actor id.")] = None,
    action: Annotated[
        str | None, Query(max_length=120, description="Event type prefix, e.g. `dpa.identity.`.")
    ] = None,
    resource: Annotated[str | None, Query(max_length=200, description="Entity id.")] = None,
    agreement: Annotated[str | None, Query(max_length=64, description="Agreement id.")] = None,
    since: Annotated[Moment | None, Query(description="Occurred at or after.")] = None,
    until: Annotated[Moment | None, Query(description="Occurred before.")] = None,
    supplier_only: Annotated[bool, Query(description="Supplier interventions only.")] = False,
    outcome: Annotated[Outcome | None, Query()] = None,
) -> LogFilter:
    try:
        return LogFilter(
            actor=actor,
            action=action,
            resource=resource,
            agreement=agreement,
            since=since,
            until=until,
            supplier_only=supplier_only,
            outcome=outcome,
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'filter'}: {item['msg']}"
            for item in error.errors()
        )
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=problems) from None


Filter = Annotated[LogFilter, Depends(log_filter)]

MAX_POSITION = 2**62


def language_asked(
    request: Request,
    lang: Annotated[
        Literal["nl", "fr", "en"] | None,
        Query(description="Language of the sentences; default: Accept-Language, else en."),
    ] = None,
) -> Language:
    """The language of the sentences: ``lang``, else the request's Accept-Language."""
    return language_of(lang, request.headers.get("accept-language"))


@router.get("/entries", response_model=AuditPage)
async def list_entries(
    principal: LogReader,
    where: Filter,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[
        int | None, Query(ge=0, le=MAX_POSITION, description="`next_cursor` of the previous page.")
    ] = None,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_POSITION, description="Deprecated: use cursor.")
    ] = None,
    order: Annotated[Order, Query(description="newest (default) or oldest first.")] = "newest",
    language: Annotated[Language, Depends(language_asked)] = DEFAULT_LANGUAGE,
) -> AuditPage:
    """The organisation's log (and its processors' entries on its agreements), each entry with
    its sentence in the caller's language; audited."""
    items = await service.read_log(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        where=where,
        limit=limit,
        cursor=cursor if cursor is not None else before,
        order=order,
        language=language,
    )
    next_cursor = items[-1].position if len(items) == limit else None
    return AuditPage(
        items=items,
        next_cursor=next_cursor,
        next_before=next_cursor if order == "newest" else None,
    )


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
async def export_log(
    principal: LogReader,
    where: Filter,
    runtime: RuntimeDep,
    signer: SignerDep,
    format: Annotated[export.Format, Query(description="jsonl (verifiable) or csv.")] = "jsonl",
    language: Annotated[Language, Depends(language_asked)] = DEFAULT_LANGUAGE,
) -> StreamingResponse:
    """Stream the matching entries with the signed checkpoint the verifier needs (TOM-T4)."""
    started = await export.start(
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        signer=signer,
        principal=principal,
        where=where,
        format=format,
        language=language,
    )
    return StreamingResponse(
        started.body,
        media_type=started.media_type,
        headers=started.headers,
    )


@router.post("/erasures", response_model=ErasureDone, status_code=status.HTTP_201_CREATED)
async def erase(
    principal: Admin, body: ErasureRequest, session: SessionDep, runtime: RuntimeDep
) -> ErasureDone:
    """Destroy a data subject's keys: their entries stay, verify, and show a pseudonym (TOM-T1)."""
    key_ids = await erasure.erase_subject(
        session=session,
        outbox=runtime.outbox,
        organisation_id=principal.organisation_id,
        subject_id=body.subject_id,
        actor=principal.actor,
    )
    return ErasureDone(keys_destroyed=len(key_ids))


MAX_EVENT_BYTES = 64 * 1024


@router.post(
    "/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ExternalAccepted,
    responses={422: {"description": "Not a valid external access event; the reason says why."}},
)
async def record_external_event(
    request: Request, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> ExternalAccepted:
    """Another application of the processor records an access to a customer's data (TOM-T3a):
    stamped with the caller as its actor, into a controller's log only under an agreement both
    signed, timed within the allowed skew of now."""
    body = await request.body()
    skew = request.app.state.audit_settings.external_time_skew_seconds
    if len(body) > MAX_EVENT_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail="event too large")
    try:
        envelope, fresh = await external.accept(
            session=session, outbox=runtime.outbox, principal=principal, body=body, skew=skew
        )
    except external.IntegrityError:  # the same id, posted twice at once
        again = external.validated(body, principal, skew=skew)
        return ExternalAccepted(event_id=str(again.id), duplicate=True)
    return ExternalAccepted(event_id=str(envelope.id), duplicate=not fresh)
