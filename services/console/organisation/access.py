"""Supplier access (TOM-O3, TOM-T3c): the platform operator looks at the organisation's data only
when its admins agree, or after a maintenance notice.

The admins see the requests waiting (approve or refuse), the access in force (end it now), what
happened before, and the maintenance notices the operator sent them. Everything is identity's
``/grants`` and ``/maintenance-notices``; a grant of another organisation is not in the list and
its pages are answered like missing ones.
"""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.apis import ApiRefused
from services.console.language import parse_time
from services.console.render import render
from services.console.web import Admin, NotYours, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

NOTICES_LIMIT = 50


def sort_grants(items: list[dict[str, Any]], now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Waiting (oldest first), in force (ending soonest first) and history (newest first)."""
    waiting, in_force, history = [], [], []
    for grant in items:
        ends = parse_time(grant.get("expires_at"))
        if grant["status"] == "requested":
            waiting.append(grant)
        elif grant["status"] == "approved" and ends is not None and ends > now:
            in_force.append(grant)
        else:
            history.append(grant | {"ended": grant["status"] == "approved"})
    waiting.sort(key=lambda g: str(g["requested_at"]))
    in_force.sort(key=lambda g: str(g["expires_at"]))
    history.sort(key=lambda g: str(g.get("decided_at") or g["requested_at"]), reverse=True)
    return {"waiting": waiting, "in_force": in_force, "history": history}


async def _grants(request: Request, person: Admin) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await apis_of(request).every(
        "identity", "/grants", token=person.access_token, page_size=500
    )
    return found


async def _grant(request: Request, person: Admin, grant_id: str) -> dict[str, Any]:
    """One grant on this organisation, or a page that does not exist."""
    try:
        wanted = str(uuid.UUID(grant_id))
    except ValueError:
        raise NotYours from None
    for grant in await _grants(request, person):
        if grant["id"] == wanted:
            return grant
    raise NotYours


async def _access_page(
    request: Request,
    person: Admin,
    *,
    cursor: str = "",
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> Response:
    apis = apis_of(request)
    grants, notices = await asyncio.gather(
        _grants(request, person),
        apis.json(
            "identity",
            "GET",
            "/maintenance-notices",
            token=person.access_token,
            params={"limit": NOTICES_LIMIT, "cursor": cursor or None},
        ),
    )
    context = sort_grants(grants, datetime.now(UTC)) | {
        "notices": notices["items"],
        "next_cursor": notices.get("next_cursor"),
        "cursor": cursor,
        "errors": errors or [],
    }
    return render(request, "organisation/decide_supplier_access.html", context, status=status)


@router.get("/organisation/access")
async def access_page(request: Request, person: Admin, cursor: str = "") -> Response:
    if len(cursor) > 600:
        raise NotYours
    return await _access_page(request, person, cursor=cursor)


@router.get("/organisation/access/{grant_id}/approve")
async def confirm_approval(request: Request, person: Admin, grant_id: str) -> Response:
    """Check before agreeing: who asks, why, what they may do, and for how long."""
    grant = await _grant(request, person, grant_id)
    if grant["status"] != "requested":
        return go("/organisation/access")
    return render(request, "organisation/confirm_approval.html", {"grant": grant})


async def _decide(request: Request, person: Admin, grant_id: str, act: str, done: str) -> Response:
    grant = await _grant(request, person, grant_id)
    try:
        await apis_of(request).call(
            "identity", "POST", f"/grants/{grant['id']}/{act}", token=person.access_token
        )
    except ApiRefused as refused:
        if refused.status not in (400, 409, 422):
            raise
        message = t(
            request,
            "This request has changed in the meantime (decided, ended or expired). "
            "The page now shows it as it is.",
        )
        return await _access_page(request, person, errors=[("", message)], status=400)
    return go(f"/organisation/access?done={done}")


@router.post("/organisation/access/{grant_id}/approve")
async def approve(request: Request, person: Admin, grant_id: str) -> Response:
    return await _decide(request, person, grant_id, "approve", "access_approved")


@router.post("/organisation/access/{grant_id}/deny")
async def deny(request: Request, person: Admin, grant_id: str) -> Response:
    return await _decide(request, person, grant_id, "deny", "access_refused")


@router.post("/organisation/access/{grant_id}/revoke")
async def revoke(request: Request, person: Admin, grant_id: str) -> Response:
    return await _decide(request, person, grant_id, "revoke", "access_ended")


# -- objecting to a maintenance notice (issue 13, item 1) -------------------------------------

NOTICE_PAGES = 20  # of 100 notices: how far back a notice can be found to object to
OBJECTION_MIN, OBJECTION_MAX = 10, 500


async def _notice(request: Request, person: Admin, notice_id: str) -> dict[str, Any]:
    """One maintenance notice sent to this organisation, or a page that does not exist."""
    try:
        wanted = str(uuid.UUID(notice_id))
    except ValueError:
        raise NotYours from None
    cursor: str | None = None
    for _ in range(NOTICE_PAGES):
        page = await apis_of(request).json(
            "identity",
            "GET",
            "/maintenance-notices",
            token=person.access_token,
            params={"limit": 100, "cursor": cursor},
        )
        for notice in page["items"]:
            if notice["id"] == wanted and notice["organisation_id"] == person.organisation_id:
                return dict(notice)
        cursor = page.get("next_cursor")
        if not cursor:
            break
    raise NotYours


def _objection_page(
    request: Request,
    notice: dict[str, Any],
    *,
    errors: list[tuple[str, str]] | None = None,
    reason: str = "",
    status: int = 200,
) -> Response:
    context = {"notice": notice, "errors": errors or [], "values": {"reason": reason}}
    return render(request, "organisation/object_to_maintenance_notice.html", context, status=status)


@router.get("/organisation/access/notices/{notice_id}/object")
async def confirm_objection(request: Request, person: Admin, notice_id: str) -> Response:
    """Before objecting: what the notice announced, what an objection ends, and why."""
    notice = await _notice(request, person, notice_id)
    if notice.get("objected_at"):
        return go("/organisation/access#notices-heading")
    return _objection_page(request, notice)


@router.post("/organisation/access/notices/{notice_id}/object")
async def object_to_notice(request: Request, person: Admin, notice_id: str) -> Response:
    """Object: the notice approves nothing more and the access it approved ends at once."""
    notice = await _notice(request, person, notice_id)
    form = await request.form()
    given = form.get("reason")
    reason = " ".join(given.split())[: OBJECTION_MAX + 1] if isinstance(given, str) else ""
    problem = ""
    if len(reason) < OBJECTION_MIN:
        problem = t(request, "Give the reason in at least 10 characters.")
    elif len(reason) > OBJECTION_MAX:
        problem = t(request, "Keep the reason to 500 characters at most.")
    if not problem:
        try:
            await apis_of(request).call(
                "identity",
                "POST",
                f"/maintenance-notices/{notice['id']}/objection",
                token=person.access_token,
                json={"reason": reason},
            )
        except ApiRefused as refused:
            if refused.status == 404:
                raise NotYours from None
            if refused.status not in (400, 422):
                raise
            problem = t(request, "The objection cannot be recorded: %(reason)s") % {
                "reason": refused.detail
            }
    if problem:
        return _objection_page(
            request, notice, errors=[("reason", problem)], reason=reason, status=400
        )
    return go("/organisation/access?done=notice_objected#notices-heading")
