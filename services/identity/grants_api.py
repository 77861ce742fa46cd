"""HTTP routes for supplier access (TOM-O3): grants and maintenance notices."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from services.identity import grants
from services.identity.access import RecordRefused
from services.identity.api import AuthorityDep
from services.identity.domain import GrantStatus, IdentityRuleBroken
from services.identity.schemas import (
    GrantIn,
    GrantList,
    GrantPublic,
    GrantTokenOut,
    NoticeIn,
    NoticeOut,
)
from shared.access_attempts import record_grant_refusal
from shared.auth import CurrentPrincipal, Principal, Role, require_roles
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(tags=["supplier access"])

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Staff = Annotated[Principal, Depends(require_roles(Role.admin, Role.member))]


@asynccontextmanager
async def _answers(
    principal: Principal | None = None, grant_id: uuid.UUID | None = None
) -> AsyncIterator[None]:
    """A decision on the grant ``grant_id`` answers another organisation's grant as none at
    all, and the customer's log has the attempt (TOM-T3c)."""
    try:
        yield
    except grants.GrantNotFound:
        if principal is None or grant_id is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Not found") from None
        raise RecordRefused(principal=principal, record="grant", record_id=grant_id) from None
    except (grants.NotAnOperator, grants.SecondFactorNeeded) as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(error)) from None
    except IdentityRuleBroken as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None


@router.post("/grants", status_code=status.HTTP_201_CREATED, response_model=GrantPublic)
async def request_grant(
    body: GrantIn, principal: Staff, session: SessionDep, authority: AuthorityDep
) -> GrantPublic:
    """An operator asks a customer for time-boxed access, with a reason."""
    async with _answers():
        grant = await grants.request_grant(
            session=session,
            authority=authority,
            principal=principal,
            organisation_id=body.organisation_id,
            reason=body.reason,
            minutes=body.minutes,
            access=body.access,
        )
    return GrantPublic.model_validate(grant)


@router.get("/grants", response_model=GrantList)
async def list_grants(
    principal: CurrentPrincipal,
    session: SessionDep,
    authority: AuthorityDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> GrantList:
    """Grants on the caller's organisation (customer) or asked by it (operator), newest request
    first, a page at a time (``next_cursor``)."""
    found, next_cursor = await grants.list_grants(
        session=session, authority=authority, principal=principal, limit=limit, cursor=cursor
    )
    return GrantList(
        items=[GrantPublic.model_validate(grant) for grant in found], next_cursor=next_cursor
    )


async def _decide(
    grant_id: uuid.UUID,
    principal: Principal,
    session: SessionDep,
    authority: AuthorityDep,
    decision: GrantStatus,
) -> GrantPublic:
    async with _answers(principal, grant_id):
        grant = await grants.decide(
            session=session,
            authority=authority,
            principal=principal,
            grant_id=grant_id,
            decision=decision,
        )
    return GrantPublic.model_validate(grant)


@router.post("/grants/{grant_id}/approve", response_model=GrantPublic)
async def approve(
    grant_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> GrantPublic:
    """The customer's admin approves; the window starts now."""
    return await _decide(grant_id, principal, session, authority, GrantStatus.approved)


@router.post("/grants/{grant_id}/deny", response_model=GrantPublic)
async def deny(
    grant_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> GrantPublic:
    """The customer's admin denies."""
    return await _decide(grant_id, principal, session, authority, GrantStatus.denied)


@router.post("/grants/{grant_id}/revoke", response_model=GrantPublic)
async def revoke(
    grant_id: uuid.UUID, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> GrantPublic:
    """The customer's admin ends an approved grant; its tokens are refused everywhere."""
    return await _decide(grant_id, principal, session, authority, GrantStatus.revoked)


@router.post(
    "/grants/{grant_id}/token",
    response_model=GrantTokenOut,
    responses={403: {"description": "Not an operator, or a session without a second factor."}},
)
async def grant_token(
    grant_id: uuid.UUID,
    principal: Staff,
    session: SessionDep,
    authority: AuthorityDep,
    runtime: RuntimeDep,
) -> GrantTokenOut:
    """The operator's access token in the customer's organisation, under the grant; asked for
    under a grant that ended (or was never approved), the refusal is in the customer's log."""
    async with _answers():
        try:
            token, grant = await grants.grant_token(
                session=session, authority=authority, principal=principal, grant_id=grant_id
            )
        except grants.GrantNoLongerValid as refused:
            await record_grant_refusal(
                sessions=runtime.sessions,
                outbox=runtime.outbox,
                service="identity",
                actor=principal.actor,
                customer_id=refused.customer_id,
                grant_id=refused.grant_id,
                reason=refused.reason,
                method="POST",
            )
            raise
    return GrantTokenOut(access_token=token, grant=GrantPublic.model_validate(grant))


@router.post("/maintenance-notices", status_code=status.HTTP_201_CREATED, response_model=NoticeOut)
async def send_notice(
    body: NoticeIn, principal: Admin, session: SessionDep, authority: AuthorityDep
) -> NoticeOut:
    """The operator announces a maintenance window to a customer (delivered by the notifier)."""
    async with _answers():
        notice = await grants.send_notice(
            session=session,
            authority=authority,
            principal=principal,
            organisation_id=body.organisation_id,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            reason=body.reason,
        )
    return NoticeOut(
        id=notice.id,
        organisation_id=notice.organisation_id,
        starts_at=notice.starts_at,
        ends_at=notice.ends_at,
    )
