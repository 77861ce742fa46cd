"""HTTP routes on recipients: contacts, webhook endpoints, preferences, receipts, and the
organisation's notice settings (its language)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status

from services.notifier import service
from services.notifier.schemas import (
    ContactCreate,
    ContactList,
    ContactPublic,
    EndpointCreate,
    EndpointList,
    EndpointPublic,
    EndpointWithSecret,
    OrganisationSettingsBody,
    PreferenceBody,
    ReceiptList,
    ReceiptPublic,
)
from services.notifier.store import Endpoint
from shared.auth import CurrentPrincipal, Principal, Role, require_roles
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/notifier", tags=["notifier"])

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Reader = Annotated[Principal, Depends(require_roles(Role.admin, Role.auditor))]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such item in the caller's organisation."}
}


@router.get("/receipts", response_model=ReceiptList)
async def list_receipts(
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ReceiptList:
    """The events the notifier received for the caller's organisation (the kinds it plans
    notices for; reads never reach it), newest first, a page at a time (``next_cursor``)."""
    receipts, next_cursor = await service.list_receipts(
        session=session, outbox=runtime.outbox, principal=principal, limit=limit, cursor=cursor
    )
    return ReceiptList(
        items=[ReceiptPublic.model_validate(r) for r in receipts], next_cursor=next_cursor
    )


@router.post("/contacts", status_code=status.HTTP_201_CREATED, response_model=ContactPublic)
async def add_contact(
    body: ContactCreate, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> ContactPublic:
    """Register who is told of which topics (an address, a user's inbox, or both)."""
    contact = await service.add_contact(
        session=session, outbox=runtime.outbox, principal=principal, body=body
    )
    return ContactPublic.model_validate(contact)


@router.get("/contacts", response_model=ContactList)
async def list_contacts(
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ContactList:
    """The organisation's contacts per topic, in the order they were added, a page at a time
    (``next_cursor``)."""
    contacts, next_cursor = await service.list_contacts(
        session=session, outbox=runtime.outbox, principal=principal, limit=limit, cursor=cursor
    )
    return ContactList(
        items=[ContactPublic.model_validate(c) for c in contacts], next_cursor=next_cursor
    )


@router.delete("/contacts/{contact_id}", status_code=204, responses=NOT_FOUND)
async def remove_contact(
    contact_id: uuid.UUID, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Remove a contact."""
    await service.remove_contact(
        session=session, outbox=runtime.outbox, principal=principal, contact_id=contact_id
    )
    return Response(status_code=204)


@router.post("/endpoints", status_code=status.HTTP_201_CREATED, response_model=EndpointWithSecret)
async def add_endpoint(
    request: Request,
    body: EndpointCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> EndpointWithSecret:
    """Register a webhook endpoint; its signing secret is shown in this answer only."""
    endpoint, secret = await service.add_endpoint(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        body=body,
        production=runtime.settings.environment == "production",
        seal=request.app.state.secret_seal,
    )
    return _with_secret(endpoint, secret)


@router.get("/endpoints", response_model=EndpointList)
async def list_endpoints(
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> EndpointList:
    """The organisation's webhook endpoints (without secrets), in the order they were added, a
    page at a time (``next_cursor``)."""
    endpoints, next_cursor = await service.list_endpoints(
        session=session, outbox=runtime.outbox, principal=principal, limit=limit, cursor=cursor
    )
    return EndpointList(
        items=[EndpointPublic.model_validate(e) for e in endpoints], next_cursor=next_cursor
    )


@router.post(
    "/endpoints/{endpoint_id}/rotate", response_model=EndpointWithSecret, responses=NOT_FOUND
)
async def rotate_secret(
    request: Request,
    endpoint_id: uuid.UUID,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> EndpointWithSecret:
    """A new signing secret; the previous one keeps signing alongside it for 24 hours."""
    endpoint, secret = await service.rotate_secret(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        endpoint_id=endpoint_id,
        seal=request.app.state.secret_seal,
    )
    return _with_secret(endpoint, secret)


def _with_secret(endpoint: Endpoint, secret: str) -> EndpointWithSecret:
    """The endpoint with its secret in clear: in the answer that created it, nowhere else."""
    shown = EndpointPublic.model_validate(endpoint, from_attributes=True).model_dump()
    return EndpointWithSecret(**shown, secret=secret)


@router.post("/endpoints/{endpoint_id}/enable", response_model=EndpointPublic, responses=NOT_FOUND)
async def enable_endpoint(
    endpoint_id: uuid.UUID, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> EndpointPublic:
    """Re-enable an endpoint that was disabled after repeated failures."""
    endpoint = await service.change_endpoint(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        endpoint_id=endpoint_id,
        change="enable",
    )
    return EndpointPublic.model_validate(endpoint)


@router.delete("/endpoints/{endpoint_id}", status_code=204, responses=NOT_FOUND)
async def remove_endpoint(
    endpoint_id: uuid.UUID, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Remove a webhook endpoint."""
    await service.change_endpoint(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        endpoint_id=endpoint_id,
        change="delete",
    )
    return Response(status_code=204)


@router.get("/preferences", response_model=PreferenceBody)
async def my_preferences(
    principal: CurrentPrincipal, session: SessionDep, runtime: RuntimeDep
) -> PreferenceBody:
    """The caller's own address, language and muted (non-critical) topics and channels."""
    async with session.begin():
        preference = await service.my_preference(session=session, principal=principal)
        service.listed(runtime.outbox, session, principal, "preference", 1)
    return PreferenceBody.model_validate(preference)


@router.put("/preferences", response_model=PreferenceBody)
async def set_preferences(
    body: PreferenceBody, principal: CurrentPrincipal, session: SessionDep, runtime: RuntimeDep
) -> PreferenceBody:
    """Set them; breach notices and one's own lockout are delivered whatever is muted."""
    preference = await service.set_preference(
        session=session, outbox=runtime.outbox, principal=principal, body=body
    )
    return PreferenceBody.model_validate(preference)


@router.get("/settings", response_model=OrganisationSettingsBody)
async def organisation_settings(principal: Reader, session: SessionDep) -> OrganisationSettingsBody:
    """The organisation's notice settings: the language of its admins' notices and the default
    of its contacts and users who chose none."""
    return await service.organisation_settings(session=session, principal=principal)


@router.put("/settings", response_model=OrganisationSettingsBody)
async def set_organisation_settings(
    body: OrganisationSettingsBody, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> OrganisationSettingsBody:
    """Set them (the organisation's admin); notices addressed from now on follow them."""
    return await service.set_organisation_settings(
        session=session, outbox=runtime.outbox, principal=principal, body=body
    )
