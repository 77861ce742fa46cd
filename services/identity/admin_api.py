"""HTTP routes for an organisation's admins: users and the security policy (TOM-T2a)."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from services.identity import organisations, users
from services.identity.access import RecordRefused
from services.identity.api import AuthorityDep
from services.identity.domain import IdentityRuleBroken, UserStatus
from services.identity.schemas import (
    InviteIn,
    PolicyPublic,
    PolicyUpdate,
    RoleIn,
    UserList,
    UserPublic,
)
from services.identity.views import policy_public, user_public
from shared.auth import Principal, Role, require_roles
from shared.pagination import Cursor
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(tags=["users"])

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Reader = Annotated[Principal, Depends(require_roles(Role.admin, Role.auditor))]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such user in your organisation."}
}


@asynccontextmanager
async def _answers(
    principal: Principal | None = None, user_id: uuid.UUID | None = None
) -> AsyncIterator[None]:
    """Map the rules' refusals to HTTP: not found is 404, a broken rule 409 or 422. A route on
    the user ``user_id`` answers another organisation's user as none at all, and that
    organisation's log has the attempt (TOM-T3c)."""
    try:
        yield
    except users.UserNotFound:
        if principal is None or user_id is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="User not found") from None
        raise RecordRefused(
            principal=principal, record="user", record_id=user_id, detail="User not found"
        ) from None
    except organisations.OrganisationNotFound:
        # A token naming an organisation identity does not know is no credential here.
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Not authenticated") from None
    except users.EmailTaken as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    except IdentityRuleBroken as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None


@router.post(
    "/users", status_code=status.HTTP_201_CREATED, response_model=UserPublic, responses={409: {}}
)
async def invite(
    body: InviteIn, principal: Admin, runtime: RuntimeDep, authority: AuthorityDep
) -> UserPublic:
    """Invite a user; the notifier e-mails them a link to choose their own password."""
    async with _answers():
        user = await users.invite(
            sessions=runtime.sessions,
            authority=authority,
            principal=principal,
            email=body.email,
            role=body.role,
            display_name=body.display_name,
        )
    return user_public(user)


@router.get("/users", response_model=UserList)
async def list_users(
    principal: Reader,
    session: SessionDep,
    authority: AuthorityDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor = None,
    offset: Annotated[
        int, Query(ge=0, le=1_000_000, deprecated=True, description="Use cursor.")
    ] = 0,
) -> UserList:
    """The organisation's users by address, a page at a time (``next_cursor``); the read is
    audited."""
    found, next_cursor = await users.list_users(
        session=session,
        authority=authority,
        principal=principal,
        limit=limit,
        offset=offset,
        cursor=cursor,
    )
    return UserList(items=[user_public(user) for user in found], next_cursor=next_cursor)


@router.get("/users/{user_id}", response_model=UserPublic, responses=NOT_FOUND)
async def view_user(
    user_id: uuid.UUID, principal: Reader, session: SessionDep, authority: AuthorityDep
) -> UserPublic:
    """One user of the organisation (the read is audited)."""
    async with _answers(principal, user_id):
        user = await users.view_user(
            session=session, authority=authority, principal=principal, user_id=user_id
        )
    return user_public(user)


async def _status(
    session: SessionDep,
    authority: AuthorityDep,
    principal: Principal,
    user_id: uuid.UUID,
    new: UserStatus,
) -> UserPublic:
    async with _answers(principal, user_id):
        user = await users.set_status(
            session=session,
            authority=authority,
            principal=principal,
            user_id=user_id,
            status=new,
        )
    return user_public(user)


@router.post("/users/{user_id}/disable", response_model=UserPublic, responses=NOT_FOUND)
async def disable_user(
    user_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> UserPublic:
    """Disable a user: their sessions end at once, in every service."""
    return await _status(session, authority, principal, user_id, UserStatus.disabled)


@router.post("/users/{user_id}/enable", response_model=UserPublic, responses=NOT_FOUND)
async def enable_user(
    user_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> UserPublic:
    """Re-enable a disabled user."""
    return await _status(session, authority, principal, user_id, UserStatus.active)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def remove_user(
    user_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> None:
    """Remove a user: sessions end, address and name are erased, the id stays for the audit."""
    await _status(session, authority, principal, user_id, UserStatus.removed)


@router.put("/users/{user_id}/role", response_model=UserPublic, responses=NOT_FOUND)
async def change_role(
    user_id: uuid.UUID, body: RoleIn, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> UserPublic:
    """Change a user's role (an organisation keeps at least one active admin); the user's
    sessions end, so no token with the old role outlives the change."""
    async with _answers(principal, user_id):
        user = await users.change_role(
            session=session,
            authority=authority,
            principal=principal,
            user_id=user_id,
            role=body.role,
        )
    return user_public(user)


@router.post(
    "/users/{user_id}/invitation", status_code=status.HTTP_202_ACCEPTED, responses=NOT_FOUND
)
async def reinvite(
    user_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> dict[str, str]:
    """Send a new invitation link (the earlier one stops working)."""
    async with _answers(principal, user_id):
        await users.reinvite(
            session=session, authority=authority, principal=principal, user_id=user_id
        )
    return {"detail": "A new invitation is on its way."}


@router.post(
    "/users/{user_id}/password-reset", status_code=status.HTTP_202_ACCEPTED, responses=NOT_FOUND
)
async def send_reset(
    user_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> dict[str, str]:
    """Send the user a reset link; the admin never sees or sets the password (TOM-T2c)."""
    async with _answers(principal, user_id):
        await users.send_reset(
            session=session, authority=authority, principal=principal, user_id=user_id
        )
    return {"detail": "A reset link is on its way to the user."}


@router.post(
    "/users/{user_id}/mfa/reset", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND
)
async def reset_mfa(
    user_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> None:
    """Remove a user's second factor (lost device) and end the user's sessions; audited."""
    async with _answers(principal, user_id):
        await users.reset_mfa(
            session=session, authority=authority, principal=principal, user_id=user_id
        )


@router.post("/users/{user_id}/unlock", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def unlock(
    user_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> None:
    """Release a locked account (temporary or permanent)."""
    async with _answers(principal, user_id):
        await users.unlock(
            session=session, authority=authority, principal=principal, user_id=user_id
        )


@router.get("/policy", response_model=PolicyPublic)
async def view_policy(
    principal: Reader, session: SessionDep, authority: AuthorityDep
) -> PolicyPublic:
    """The organisation's password, MFA and lockout policy."""
    async with _answers():
        organisation = await organisations.view_policy(
            session=session, authority=authority, principal=principal
        )
    return policy_public(organisation)


@router.patch("/policy", response_model=PolicyPublic, responses={422: {}})
async def update_policy(
    body: PolicyUpdate, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> PolicyPublic:
    """Change the organisation's policy; only the fields sent change."""
    async with _answers():
        organisation = await organisations.update_policy(
            session=session,
            authority=authority,
            principal=principal,
            changes=body.model_dump(exclude_unset=True),
        )
    return policy_public(organisation)
