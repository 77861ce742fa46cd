"""Routes for the notifier only, authenticated with its delivery key: one-time links to deliver
and the addresses to deliver notices to. Each answer is audited like any read (TOM-T3a)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, status
from pydantic import BaseModel, Field

from services.identity import contacts, email_changes, links
from services.identity.api import AuthorityDep
from services.identity.schemas import DeliveryOut
from services.identity.store import UserAccount
from shared.events import Actor, ActorType
from shared.runtime import SessionDep

NOTIFIER = Actor(id="system:notifier", type=ActorType.system)


async def notifier_only(
    authority: AuthorityDep,
    x_pactum_delivery_key: Annotated[str | None, Header()] = None,
) -> None:
    if not authority.is_delivery_key(x_pactum_delivery_key):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Not authenticated")


router = APIRouter(
    prefix="/internal",
    tags=["internal"],
    dependencies=[Depends(notifier_only)],
    responses={401: {"description": "Without the notifier's delivery key."}},
)


class Contact(BaseModel):
    user_id: uuid.UUID = Field(description="The user's id.")
    organisation_id: uuid.UUID = Field(description="The user's organisation.")
    email: str = Field(description="The user's address.")
    display_name: str = Field(description="The user's name.")
    role: str = Field(description="admin, member or auditor.")


class Contacts(BaseModel):
    items: list[Contact] = Field(description="The users asked for.")


def _contact(user: UserAccount) -> Contact:
    return Contact(
        user_id=user.id,
        organisation_id=user.organisation_id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
    )


@router.post("/links/{link_id}", response_model=DeliveryOut, responses={401: {}, 404: {}})
async def fetch_link(
    link_id: uuid.UUID, session: SessionDep, authority: AuthorityDep
) -> DeliveryOut:
    """The one-time link to deliver (a fresh secret on every fetch; the earlier one stops)."""
    try:
        delivery = await contacts.deliver_link(
            session=session, authority=authority, link_id=link_id
        )
    except links.LinkUnavailable:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such deliverable link") from None
    return DeliveryOut(**delivery.__dict__)


@router.get("/users/{user_id}/contact", response_model=Contact, responses={401: {}, 404: {}})
async def contact(user_id: uuid.UUID, session: SessionDep, authority: AuthorityDep) -> Contact:
    """Where to reach one user (lock notices, reset confirmations)."""
    try:
        user = await contacts.contact(
            session=session, authority=authority, user_id=user_id, actor=NOTIFIER
        )
    except contacts.ContactNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="User not found") from None
    return _contact(user)


class FormerAddress(BaseModel):
    user_id: uuid.UUID = Field(description="The user who changed their sign-in address.")
    organisation_id: uuid.UUID = Field(description="The user's organisation.")
    email: str = Field(description="The address they signed in with before the change.")


@router.get(
    "/email-changes/{change_id}/former-address",
    response_model=FormerAddress,
    responses={401: {}, 404: {}},
)
async def former_address(
    change_id: uuid.UUID, session: SessionDep, authority: AuthorityDep
) -> FormerAddress:
    """The address a user signed in with before a change they made, for the notice that tells
    it of the change (so a stranger who moved the account is found out)."""
    try:
        change = await contacts.former_address(
            session=session, authority=authority, change_id=change_id, actor=NOTIFIER
        )
    except email_changes.ChangeNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Change not found") from None
    return FormerAddress(
        user_id=change.user_id, organisation_id=change.organisation_id, email=change.former_email
    )


@router.get("/organisations/{organisation_id}/admins", response_model=Contacts)
async def admins(
    organisation_id: uuid.UUID, session: SessionDep, authority: AuthorityDep
) -> Contacts:
    """Where to reach an organisation's active admins (grant requests, lock notices)."""
    found = await contacts.organisation_admins(
        session=session, authority=authority, organisation_id=organisation_id, actor=NOTIFIER
    )
    return Contacts(items=[_contact(user) for user in found])
