"""HTTP routes for the operator: rename, disable and enable organisations, and re-announce them
all to the other services (services/identity/organisations.py). Only an admin of the operator's
organisation may call them (anyone else: 403); each act is an event in the organisation's audit
log naming the operator's user."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status

from services.identity import organisations
from services.identity.access import RecordRefused
from services.identity.api import AuthorityDep
from services.identity.domain import IdentityRuleBroken, OrganisationStatus
from services.identity.schemas import AnnouncementOut, OrganisationNameIn, OrganisationPublic
from services.identity.store import Organisation
from shared.auth import Principal, Role, require_roles
from shared.events import Actor
from shared.runtime import SessionDep

router = APIRouter(prefix="/organisations", tags=["organisations (operator)"])

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
ANSWERS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The caller is not an admin of the operator's organisation."},
    404: {"description": "No such organisation."},
}


@asynccontextmanager
async def _answers(
    principal: Principal | None = None, organisation_id: uuid.UUID | None = None
) -> AsyncIterator[None]:
    """An act on the organisation ``organisation_id`` by anyone but the operator is the same 403
    whether it exists or not; when it is another organisation, its log has the attempt
    (TOM-T3c)."""
    try:
        yield
    except organisations.NotTheOperator:
        if principal is None or organisation_id is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="Forbidden") from None
        raise RecordRefused(
            principal=principal,
            record="organisation",
            record_id=organisation_id,
            detail="Forbidden",
            status_code=403,
        ) from None
    except organisations.OrganisationNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Organisation not found") from None
    except IdentityRuleBroken as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None


def _public(organisation: Organisation) -> OrganisationPublic:
    return OrganisationPublic.model_validate(organisation)


@router.put("/{organisation_id}/name", response_model=OrganisationPublic, responses=ANSWERS)
async def rename_organisation(
    organisation_id: uuid.UUID,
    body: OrganisationNameIn,
    principal: Admin,
    session: SessionDep,
    authority: AuthorityDep,
) -> OrganisationPublic:
    """Rename an organisation; the other services learn the name from the event."""

    async def act(actor: Actor) -> Organisation:
        return await organisations.rename_organisation(
            session=session,
            authority=authority,
            organisation_id=organisation_id,
            name=body.name,
            actor=actor,
        )

    async with _answers(principal, organisation_id):
        renamed = await organisations.as_operator(session=session, principal=principal, act=act)
    return _public(renamed)


async def _set_status(
    session: SessionDep,
    authority: AuthorityDep,
    principal: Principal,
    organisation_id: uuid.UUID,
    new: OrganisationStatus,
) -> OrganisationPublic:
    async def act(actor: Actor) -> Organisation:
        return await organisations.set_organisation_status(
            session=session,
            authority=authority,
            organisation_id=organisation_id,
            status=new,
            actor=actor,
        )

    async with _answers(principal, organisation_id):
        changed = await organisations.as_operator(session=session, principal=principal, act=act)
    return _public(changed)


@router.post("/{organisation_id}/disable", response_model=OrganisationPublic, responses=ANSWERS)
async def disable_organisation(
    organisation_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> OrganisationPublic:
    """Disable an organisation whose contract ended: it cannot become a party to a new
    agreement; the agreements it is a party to stay as they are."""
    return await _set_status(
        session, authority, principal, organisation_id, OrganisationStatus.disabled
    )


@router.post("/{organisation_id}/enable", response_model=OrganisationPublic, responses=ANSWERS)
async def enable_organisation(
    organisation_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> OrganisationPublic:
    """Enable a disabled organisation again."""
    return await _set_status(
        session, authority, principal, organisation_id, OrganisationStatus.active
    )


@router.post(
    "/announcements",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AnnouncementOut,
    responses={403: ANSWERS[403]},
)
async def announce(
    principal: Admin, session: SessionDep, authority: AuthorityDep
) -> AnnouncementOut:
    """Re-announce every organisation (``organisation.announced``: id, kind, name, status), so
    that a service whose copy started empty (a new deployment, a restore, organisations older
    than the stream's retention) learns them all. Accepted: the events are published next."""

    async def act(actor: Actor) -> int:
        return await organisations.announce_organisations(
            session=session, authority=authority, actor=actor
        )

    async with _answers():
        count = await organisations.as_operator(session=session, principal=principal, act=act)
    return AnnouncementOut(announced=count)
