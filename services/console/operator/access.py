"""Supplier access from the operator's side (TOM-O3, TOM-T3c): ask a customer for time-boxed
access, follow the requests, and announce maintenance windows.

Everything is identity's ``/grants`` and ``/maintenance-notices`` with the operator admin's own
token. The console never takes a grant token (``POST /grants/{id}/token``): looking at a
customer's data under a grant is done with the operator's own tools, and audited as such.

A maintenance notice approves, without the customer's decision, access asked for inside its
window; it cannot be withdrawn, so it is sent only after a page that shows what will be sent.
Identity judges the window (not in the past, the customer's notice period ahead, at most 24
hours); when it refuses, its answer is shown on the form.
"""

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from services.console.apis import ApiRefused
from services.console.delivery.fields import posted, text
from services.console.language import brussels_moment, parse_time
from services.console.render import render
from services.console.web import OperatorAdmin, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

ACCESS = ("read", "change")
# Durations offered for a request, in minutes (identity accepts 5 minutes to 7 days).
DURATIONS = (30, 60, 120, 240, 480, 1440, 4320, 10080)
REASON_MIN, REASON_MAX = 10, 500
NOTICES_LIMIT = 50
ORGANISATION_PAGES = 20  # of 100: the customers to choose from


async def customers_of(request: Request, person: OperatorAdmin) -> list[dict[str, Any]]:
    """Every organisation the operator can ask access to (not operators), by name."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(ORGANISATION_PAGES):
        page = await apis_of(request).json(
            "identity",
            "GET",
            "/organisations",
            token=person.access_token,
            params={"limit": 100, "cursor": cursor},
        )
        found.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return [o for o in found if o.get("kind") != "operator"]


def grant_state(grant: dict[str, Any], now: datetime) -> str:
    """waiting, approved (and still running), refused, ended early (by the customer) or ended."""
    if grant["status"] == "requested":
        return "waiting"
    if grant["status"] == "approved":
        ends = parse_time(grant.get("expires_at"))
        return "approved" if ends is not None and ends > now else "ended"
    return {"denied": "refused", "revoked": "ended_early"}.get(grant["status"], "ended")


async def _access_page(
    request: Request,
    person: OperatorAdmin,
    *,
    cursor: str = "",
    errors: list[tuple[str, str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    apis = apis_of(request)
    customers, grants, notices = await asyncio.gather(
        customers_of(request, person),
        apis.every("identity", "/grants", token=person.access_token, page_size=500),
        apis.json(
            "identity",
            "GET",
            "/maintenance-notices",
            token=person.access_token,
            params={"limit": NOTICES_LIMIT, "cursor": cursor or None},
        ),
    )
    now = datetime.now(UTC)
    names = {o["id"]: o["name"] for o in customers}
    requests = sorted(grants, key=lambda g: str(g["requested_at"]), reverse=True)
    context = {
        "customers": [o for o in customers if o.get("status") == "active"],
        "names": names,
        "grants": [g | {"state": grant_state(g, now)} for g in requests],
        "notices": notices["items"],
        "next_cursor": notices.get("next_cursor"),
        "durations": DURATIONS,
        "errors": errors or [],
        "values": values or {},
    }
    return render(request, "operator/ask_supplier_access.html", context, status=status)


@router.get("/operator/access")
async def access_page(request: Request, person: OperatorAdmin, cursor: str = "") -> Response:
    """The requests for supplier access and the maintenance notices, with both forms."""
    if len(cursor) > 600:
        return go("/operator/access")
    try:
        return await _access_page(request, person, cursor=cursor)
    except ApiRefused as refused:
        if refused.status != 422 or not cursor:
            raise
        return go("/operator/access")  # a cursor from an old or edited link: start over


def _reason_problem(request: Request, reason: str, field: str) -> list[tuple[str, str]]:
    if len(reason) < REASON_MIN:
        return [(field, t(request, "Give the reason in at least 10 characters."))]
    if len(reason) > REASON_MAX:
        return [(field, t(request, "Keep the reason to 500 characters at most."))]
    return []


def _customer_problem(
    request: Request, customer: str, customers: list[dict[str, Any]], field: str
) -> list[tuple[str, str]]:
    if customer not in {o["id"] for o in customers}:
        return [(field, t(request, "Choose the customer."))]
    return []


@router.post("/operator/access/grants")
async def request_access(request: Request, person: OperatorAdmin) -> Response:
    """Ask a customer for access; its administrators are told and decide."""
    form = await posted(request)
    values = {
        "grant_customer": text(form, "grant_customer", limit=40),
        "grant_reason": text(form, "grant_reason", limit=REASON_MAX),
        "access": text(form, "access", limit=10),
        "minutes": text(form, "minutes", limit=10),
    }
    customers = await customers_of(request, person)
    errors = _customer_problem(request, values["grant_customer"], customers, "grant_customer")
    errors += _reason_problem(request, values["grant_reason"], "grant_reason")
    if values["access"] not in ACCESS:
        errors.append(("access-read", t(request, "Choose what you need to do.")))
    minutes = int(values["minutes"]) if values["minutes"].isdigit() else 0
    if minutes not in DURATIONS:
        errors.append(("minutes", t(request, "Choose for how long.")))
    if not errors:
        try:
            grant = await apis_of(request).json(
                "identity",
                "POST",
                "/grants",
                token=person.access_token,
                json={
                    "organisation_id": values["grant_customer"],
                    "reason": values["grant_reason"],
                    "minutes": minutes,
                    "access": values["access"],
                },
            )
        except ApiRefused as refused:
            if refused.status not in (400, 404, 422):
                raise
            message = t(request, "This request cannot be sent: %(reason)s")
            errors.append(("grant_customer", message % {"reason": refused.detail}))
    if errors:
        return await _access_page(request, person, errors=errors, values=values, status=400)
    return go(f"/operator/access?done=access_requested#grant-{grant['id']}")


def _notice_values(form: FormData) -> dict[str, str]:
    return {
        "notice_customer": text(form, "notice_customer", limit=40),
        "starts_at": text(form, "starts_at", limit=40),
        "ends_at": text(form, "ends_at", limit=40),
        "notice_reason": text(form, "notice_reason", limit=REASON_MAX),
    }


def _notice_problems(
    request: Request, values: dict[str, str], customers: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    """What the form itself can tell; identity judges the window against the clock."""
    errors = _customer_problem(request, values["notice_customer"], customers, "notice_customer")
    starts, ends = brussels_moment(values["starts_at"]), brussels_moment(values["ends_at"])
    if starts is None:
        errors.append(
            ("starts_at", t(request, "Enter when the window starts, as a date and time."))
        )
    if ends is None:
        errors.append(("ends_at", t(request, "Enter when the window ends, as a date and time.")))
    if starts is not None and ends is not None and ends <= starts:
        errors.append(("ends_at", t(request, "The window must end after it starts.")))
    return errors + _reason_problem(request, values["notice_reason"], "notice_reason")


@router.post("/operator/access/notices/check")
async def check_notice(request: Request, person: OperatorAdmin) -> Response:
    """Before sending: the notice as the customer will read it, to send or to change."""
    values = _notice_values(await posted(request))
    customers = await customers_of(request, person)
    errors = _notice_problems(request, values, customers)
    if errors:
        return await _access_page(request, person, errors=errors, values=values, status=400)
    context = {
        "values": values,
        "customer": next(o for o in customers if o["id"] == values["notice_customer"]),
        "starts": brussels_moment(values["starts_at"]),
        "ends": brussels_moment(values["ends_at"]),
    }
    return render(request, "operator/confirm_maintenance_notice.html", context)


@router.post("/operator/access/notices")
async def send_notice(request: Request, person: OperatorAdmin) -> Response:
    """Send the checked notice; identity's refusal (past, too soon, too long) goes on the form."""
    form = await posted(request)
    values = _notice_values(form)
    if form.get("change"):
        return await _access_page(request, person, values=values)
    customers = await customers_of(request, person)
    errors = _notice_problems(request, values, customers)
    starts, ends = brussels_moment(values["starts_at"]), brussels_moment(values["ends_at"])
    if not errors and starts is not None and ends is not None:
        try:
            await apis_of(request).json(
                "identity",
                "POST",
                "/maintenance-notices",
                token=person.access_token,
                json={
                    "organisation_id": values["notice_customer"],
                    "starts_at": starts.isoformat(),
                    "ends_at": ends.isoformat(),
                    "reason": values["notice_reason"],
                },
            )
        except ApiRefused as refused:
            if refused.status not in (400, 404, 422):
                raise
            message = t(request, "The platform refused this notice: %(reason)s")
            errors.append(("starts_at", message % {"reason": refused.detail}))
    if errors:
        return await _access_page(request, person, errors=errors, values=values, status=400)
    return go("/operator/access?done=notice_sent#notices-heading")
