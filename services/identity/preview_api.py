"""HTTP routes that preview a one-time link before it is used (services/identity/previews.py)."""

from typing import Any

from fastapi import APIRouter

from services.identity import previews
from services.identity.account_api import LINK_REFUSED
from services.identity.accounts import LinkRefused
from services.identity.api import AuthorityDep
from services.identity.schemas import (
    InvitationPolicy,
    InvitationPreview,
    LinkInspectIn,
    ResetPolicy,
    ResetPreview,
)
from shared.runtime import SessionDep

router = APIRouter(tags=["account"])

REFUSED: dict[int | str, dict[str, Any]] = {
    400: {"description": "The link is invalid, used or expired (one answer for each)."}
}


@router.post("/invitations/inspect", response_model=InvitationPreview, responses=REFUSED)
async def inspect_invitation(
    body: LinkInspectIn, session: SessionDep, authority: AuthorityDep
) -> InvitationPreview:
    """Whose account an invitation opens and the password rules, without using the link."""
    try:
        shown = await previews.inspect_invitation(
            session=session, authority=authority, secret=body.token
        )
    except LinkRefused:
        raise LINK_REFUSED from None
    return InvitationPreview(
        email=shown.email,
        display_name=shown.display_name,
        organisation_name=shown.organisation_name,
        organisation_kind=shown.organisation_kind.value,
        invited_by_name=shown.invited_by_name,
        expires_at=shown.expires_at,
        policy=InvitationPolicy(min_length=shown.min_length, mfa=shown.mfa),
    )


@router.post("/password-reset/inspect", response_model=ResetPreview, responses=REFUSED)
async def inspect_reset(
    body: LinkInspectIn, session: SessionDep, authority: AuthorityDep
) -> ResetPreview:
    """Whose password a reset link changes and the rules, without using the link."""
    try:
        shown = await previews.inspect_reset(
            session=session, authority=authority, secret=body.token
        )
    except LinkRefused:
        raise LINK_REFUSED from None
    return ResetPreview(email=shown.email, policy=ResetPolicy(min_length=shown.min_length))
