"""HTTP routes: one's own organisation, and the operator's list, reads, creation and admin
invitations of organisations (services/identity/organisation_directory.py)."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from services.identity import cursors, users
from services.identity import organisation_directory as directory
from services.identity.access import RecordRefused
from services.identity.api import AuthorityDep
from services.identity.domain import (
    IdentityRuleBroken,
    MfaRequirement,
    OrganisationKind,
    OrganisationStatus,
)
from services.identity.schemas import (
    Accepted,
    AdminInviteIn,
    OrganisationCreateIn,
    OrganisationPage,
    OrganisationPublic,
    OrganisationSummary,
)
from services.identity.store import Organisation
from shared.auth import CurrentPrincipal, Principal
from shared.moments import as_utc
from shared.runtime import SessionDep

router = APIRouter(tags=["organisations (operator)"])

FORBIDDEN = HTTPException(status.HTTP_403_FORBIDDEN, detail="Not allowed")
NOT_FOUND = HTTPException(status.HTTP_404_NOT_FOUND, detail="Organisation not found")
LIST_ANSWERS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The caller is not an admin of the operator's organisation."},
    422: {"description": "A bad limit or a cursor this list did not give."},
}
ONE_ANSWERS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such organisation, or not one the caller may see."},
}


@asynccontextmanager
async def _answers(*, hidden: tuple[Principal, uuid.UUID] | None = None) -> AsyncIterator[None]:
    """``hidden``: the caller and the organisation the route is about. A caller who is not the
    operator learns nothing about it (404, as for none at all), and when it is another
    organisation, its log has the attempt (TOM-T3c)."""
    try:
        yield
    except (directory.NotTheOperator, directory.OrganisationNotFound) as refused:
        if hidden is not None:
            principal, organisation_id = hidden
            raise RecordRefused(
                principal=principal,
                record="organisation",
                record_id=organisation_id,
                detail=str(NOT_FOUND.detail),
            ) from None
        if isinstance(refused, directory.NotTheOperator):
            raise FORBIDDEN from None
        raise NOT_FOUND from None
    except users.EmailTaken as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    except cursors.CursorRefused:
        raise  # answered as every list's refused cursor (shared/problems.py)
    except IdentityRuleBroken as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None


def _public(organisation: Organisation) -> OrganisationPublic:
    created = organisation.created_at
    return OrganisationPublic(
        id=organisation.id,
        name=organisation.name,
        kind=OrganisationKind(organisation.kind).value,
        status=OrganisationStatus(organisation.status).value,
        created_at=as_utc(created),
    )


@router.get(
    "/organisation",
    response_model=OrganisationSummary,
    tags=["account"],
    responses={401: {"description": "Not signed in."}},
)
async def own_organisation(
    principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> OrganisationSummary:
    """The caller's organisation (under a supplier grant: the customer's); the read is audited."""
    try:
        organisation = await directory.view_own(
            session=session, authority=authority, principal=principal
        )
    except directory.OrganisationNotFound:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Not authenticated") from None
    return OrganisationSummary.model_validate(organisation)


@router.get("/organisations", response_model=OrganisationPage, responses=LIST_ANSWERS)
async def list_organisations(
    principal: CurrentPrincipal,
    session: SessionDep,
    authority: AuthorityDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=600)] = None,
) -> OrganisationPage:
    """Every organisation, by name, a page at a time (operator's admins only)."""
    async with _answers():
        page = await directory.list_organisations(
            session=session, authority=authority, principal=principal, limit=limit, cursor=cursor
        )
    return OrganisationPage(
        items=[_public(item) for item in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/organisations/{organisation_id}", response_model=OrganisationPublic, responses=ONE_ANSWERS
)
async def view_organisation(
    organisation_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    authority: AuthorityDep,
) -> OrganisationPublic:
    """One organisation: any for the operator's admins, one's own for anyone else (others:
    404)."""
    async with _answers(hidden=(principal, organisation_id)):
        organisation = await directory.view_organisation(
            session=session,
            authority=authority,
            principal=principal,
            organisation_id=organisation_id,
        )
    return _public(organisation)


@router.post(
    "/organisations",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationPublic,
    responses={403: LIST_ANSWERS[403], 422: {"description": "A name or kind to correct."}},
)
async def create_organisation(
    body: OrganisationCreateIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    authority: AuthorityDep,
) -> OrganisationPublic:
    """Create a controller or processor organisation (as ``pactum create-organisation``)."""
    async with _answers():
        organisation = await directory.create(
            session=session,
            authority=authority,
            principal=principal,
            name=body.name,
            kind=OrganisationKind(body.kind),
            mfa=MfaRequirement(body.mfa),
        )
    return _public(organisation)


@router.post(
    "/organisations/{organisation_id}/admins",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={
        **ONE_ANSWERS,
        409: {"description": "The address cannot be invited (it may have an account)."},
        422: {"description": "A field to correct, or the organisation is disabled."},
    },
)
async def invite_admin(
    organisation_id: uuid.UUID,
    body: AdminInviteIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    authority: AuthorityDep,
) -> Accepted:
    """Invite an admin of the organisation; the notifier mails them the link (not answered)."""
    async with _answers(hidden=(principal, organisation_id)):
        await directory.invite_admin(
            session=session,
            authority=authority,
            principal=principal,
            organisation_id=organisation_id,
            email=body.email,
            display_name=body.display_name,
        )
    return Accepted(detail="An invitation is on its way to the new admin.")
