"""HTTP route: the maintenance notices of the caller's organisation (see notices.py)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from services.identity import notices
from services.identity.access import RecordRefused
from services.identity.api import AuthorityDep
from services.identity.domain import IdentityRuleBroken
from services.identity.organisations import OrganisationNotFound
from services.identity.schemas import NoticePage, NoticePublic, ObjectionIn, ObjectionOut
from shared.auth import Principal, Role, require_roles
from shared.moments import as_utc
from shared.runtime import SessionDep

router = APIRouter(tags=["supplier access"])

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]


def _public(shown: notices.NoticeShown) -> NoticePublic:
    notice = shown.notice
    return NoticePublic(
        id=notice.id,
        organisation_id=notice.organisation_id,
        operator_organisation_id=shown.operator_organisation_id,
        starts_at=as_utc(notice.starts_at),
        ends_at=as_utc(notice.ends_at),
        reason=notice.reason,
        created_at=as_utc(notice.sent_at),
        grant_ids=shown.grant_ids,
        objected_at=as_utc(notice.objected_at) if notice.objected_at else None,
        objection=notice.objection,
    )


@router.get(
    "/maintenance-notices",
    response_model=NoticePage,
    responses={
        403: {"description": "The caller is not an admin."},
        422: {"description": "A bad limit or a cursor this list did not give."},
    },
)
async def list_notices(
    principal: Admin,
    session: SessionDep,
    authority: AuthorityDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=600)] = None,
) -> NoticePage:
    """Notices sent to the caller's organisation (a customer) or by it (the operator), newest
    first; the read is audited."""
    try:
        page = await notices.list_notices(
            session=session, authority=authority, principal=principal, limit=limit, cursor=cursor
        )
    except OrganisationNotFound:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Not authenticated") from None
    return NoticePage(items=[_public(shown) for shown in page.items], next_cursor=page.next_cursor)


@router.post(
    "/maintenance-notices/{notice_id}/objection",
    response_model=ObjectionOut,
    responses={
        403: {"description": "The caller is not an admin."},
        404: {"description": "No such notice sent to the caller's organisation."},
        422: {"description": "A missing or short reason, or the notice was objected to already."},
    },
)
async def object_to_notice(
    notice_id: uuid.UUID,
    body: ObjectionIn,
    principal: Admin,
    session: SessionDep,
    authority: AuthorityDep,
) -> ObjectionOut:
    """The customer's admin objects to a maintenance notice: it covers nothing from now on, and
    the grants it covered end now (their tokens are refused everywhere)."""
    try:
        notice, ended = await notices.object_to_notice(
            session=session,
            authority=authority,
            principal=principal,
            notice_id=notice_id,
            reason=body.reason,
        )
    except notices.NoticeNotFound:  # another organisation's? its log says so (TOM-T3c)
        raise RecordRefused(
            principal=principal, record="maintenance_notice", record_id=notice_id
        ) from None
    except IdentityRuleBroken as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None
    return ObjectionOut(
        notice_id=notice.id,
        organisation_id=notice.organisation_id,
        objected_at=as_utc(notice.objected_at or notice.sent_at),
        reason=notice.objection or "",
        ended_grant_ids=ended,
    )
