"""Webhooks and the delivery log, as an integrator expects from a webhook portal.

Endpoints (``/notifier/endpoints``): add one (its signing secret is shown once, on the answer
page, never stored by the console), rotate its secret, enable it again after failures, remove
it. The delivery log (``/notifier/deliveries``): every webhook and e-mail delivery with its
state; one delivery's attempts (time, HTTP or SMTP answer) and a button to send it again.
"""

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.apis import ApiRefused
from services.console.delivery.contacts import contacts_of, users_of
from services.console.delivery.fields import TOPICS, an_id, chosen, posted, text
from services.console.render import render
from services.console.web import Admin, NotYours, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

LOG_LIMIT = 100
FIND_LIMIT = 500  # the API's largest page: how far back a delivery's own page can look
STATUSES = ("pending", "sending", "delivered", "failed")
CHANNELS = ("webhook", "email", "inbox")


async def _endpoints(request: Request, person: Admin) -> list[dict[str, Any]]:
    found = await apis_of(request).every(
        "notifier", "/notifier/endpoints", token=person.access_token, page_size=500
    )
    return sorted(found, key=lambda endpoint: endpoint["created_at"])


async def _deliveries(
    request: Request, person: Admin, *, status: str = "", limit: int = LOG_LIMIT
) -> list[dict[str, Any]]:
    found = await apis_of(request).json(
        "notifier",
        "GET",
        "/notifier/deliveries",
        token=person.access_token,
        params={"status": status or None, "limit": limit},
    )
    return list(found["items"])


def recipients(
    endpoints: list[dict[str, Any]],
    contacts: list[dict[str, Any]],
    users: list[dict[str, Any]],
) -> dict[str, dict[str, str]]:
    """What a delivery's ``recipient`` key names: an endpoint's URL, a contact's address, a
    person of the organisation."""
    named: dict[str, dict[str, str]] = {}
    for user in users:
        name = user.get("display_name") or user["email"]
        named[f"user:{user['id']}"] = {"kind": "user", "name": name}
    for endpoint in endpoints:
        named[f"endpoint:{endpoint['id']}"] = {"kind": "endpoint", "name": endpoint["url"]}
    for contact in contacts:
        name = contact.get("email") or ""
        named[f"contact:{contact['id']}"] = {"kind": "contact", "name": name}
    return named


def recipient_of(delivery: dict[str, Any], named: dict[str, dict[str, str]]) -> dict[str, str]:
    key: str = delivery["recipient"]
    if key in named:
        return named[key]
    kind = key.partition(":")[0]
    return {
        "kind": kind if kind in ("admins", "user", "endpoint", "contact") else "other",
        "name": "",
    }


async def _webhooks_page(
    request: Request,
    person: Admin,
    *,
    errors: list[tuple[str, str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    channel = request.query_params.get("channel", "")
    channel = channel if channel in CHANNELS else ""
    wanted_status = request.query_params.get("status", "")
    wanted_status = wanted_status if wanted_status in STATUSES else ""
    endpoints, contacts, users, deliveries = await asyncio.gather(
        _endpoints(request, person),
        contacts_of(request, person),
        users_of(request, person),
        _deliveries(request, person, status=wanted_status),
    )
    named = recipients(endpoints, contacts, users)
    shown = [
        delivery | {"to": recipient_of(delivery, named)}
        for delivery in deliveries
        if (delivery["channel"] == channel if channel else delivery["channel"] != "inbox")
    ]
    context = {
        "endpoints": endpoints,
        "deliveries": shown,
        "log_limit": LOG_LIMIT,
        "channel": channel,
        "status_filter": wanted_status,
        "statuses": STATUSES,
        "channels": CHANNELS,
        "topics": TOPICS,
        "errors": errors or [],
        "values": values or {"topics": []},
    }
    return render(request, "delivery/manage_webhooks.html", context, status=status)


@router.get("/organisation/webhooks")
async def webhooks_page(request: Request, person: Admin) -> Response:
    return await _webhooks_page(request, person)


@router.post("/organisation/webhooks")
async def add_endpoint(request: Request, person: Admin) -> Response:
    """Register an endpoint; the answer page shows its signing secret, once."""
    form = await posted(request)
    url = text(form, "url", limit=2000)
    topics = chosen(form, "topics", TOPICS)
    values = {"url": url, "topics": topics}
    errors: list[tuple[str, str]] = []
    if not url.startswith(("https://", "http://")) or len(url) > 2000:
        errors.append(
            ("url", t(request, "Enter the address of your receiver, starting with https://."))
        )
    if not topics:
        errors.append(("topics", t(request, "Choose at least one kind of notice.")))
    if not errors and any(e["url"] == url for e in await _endpoints(request, person)):
        # Also what a reload of the secret's page (the form sent again) runs into.
        message = t(
            request, "This address is already an endpoint. Remove it first to add it again."
        )
        errors.append(("url", message))
    if not errors:
        try:
            endpoint = await apis_of(request).json(
                "notifier",
                "POST",
                "/notifier/endpoints",
                token=person.access_token,
                json={"url": url, "topics": topics},
            )
        except ApiRefused as refused:
            if refused.status not in (400, 409, 422):
                raise
            message = t(request, "pactum will not call this address: %(reason)s")
            errors.append(("url", message % {"reason": refused.detail}))
    if errors:
        return await _webhooks_page(request, person, errors=errors, values=values, status=400)
    return render(
        request, "delivery/keep_webhook_secret.html", {"endpoint": endpoint, "rotated": False}
    )


async def _endpoint(request: Request, person: Admin, endpoint_id: str) -> dict[str, Any]:
    wanted = an_id(endpoint_id)
    for endpoint in await _endpoints(request, person):
        if endpoint["id"] == wanted:
            return endpoint
    raise NotYours


@router.get("/organisation/webhooks/{endpoint_id}/rotate")
async def rotate_secret_page(request: Request, person: Admin, endpoint_id: str) -> Response:
    endpoint = await _endpoint(request, person, endpoint_id)
    return render(request, "delivery/rotate_webhook_secret.html", {"endpoint": endpoint})


@router.post("/organisation/webhooks/{endpoint_id}/rotate")
async def rotate_secret(request: Request, person: Admin, endpoint_id: str) -> Response:
    """A new secret; the old one keeps signing alongside it for 24 hours."""
    endpoint = await apis_of(request).json(
        "notifier",
        "POST",
        f"/notifier/endpoints/{an_id(endpoint_id)}/rotate",
        token=person.access_token,
    )
    return render(
        request, "delivery/keep_webhook_secret.html", {"endpoint": endpoint, "rotated": True}
    )


@router.post("/organisation/webhooks/{endpoint_id}/enable")
async def enable_endpoint(request: Request, person: Admin, endpoint_id: str) -> Response:
    await apis_of(request).call(
        "notifier",
        "POST",
        f"/notifier/endpoints/{an_id(endpoint_id)}/enable",
        token=person.access_token,
    )
    return go("/organisation/webhooks?done=endpoint_enabled")


@router.get("/organisation/webhooks/{endpoint_id}/remove")
async def remove_endpoint_page(request: Request, person: Admin, endpoint_id: str) -> Response:
    endpoint = await _endpoint(request, person, endpoint_id)
    return render(request, "delivery/remove_webhook.html", {"endpoint": endpoint})


@router.post("/organisation/webhooks/{endpoint_id}/remove")
async def remove_endpoint(request: Request, person: Admin, endpoint_id: str) -> Response:
    await apis_of(request).call(
        "notifier",
        "DELETE",
        f"/notifier/endpoints/{an_id(endpoint_id)}",
        token=person.access_token,
    )
    return go("/organisation/webhooks?done=endpoint_removed")


# -- one delivery ------------------------------------------------------------------------------


async def _delivery_page(
    request: Request,
    person: Admin,
    delivery_id: str,
    *,
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> Response:
    wanted = an_id(delivery_id)
    # The attempts answer 404 for a delivery of another organisation: that is the 404 page.
    attempts, deliveries, endpoints, contacts, users = await asyncio.gather(
        _attempts(request, person, wanted),
        _deliveries(request, person, limit=FIND_LIMIT),
        _endpoints(request, person),
        contacts_of(request, person),
        users_of(request, person),
    )
    found = next((d for d in deliveries if d["id"] == wanted), None)
    delivery = (
        found | {"to": recipient_of(found, recipients(endpoints, contacts, users))}
        if found
        else None
    )
    context = {
        "delivery_id": wanted,
        "delivery": delivery,
        "attempts": attempts,
        "errors": errors or [],
    }
    return render(request, "delivery/delivery_attempts.html", context, status=status)


async def _attempts(request: Request, person: Admin, delivery_id: str) -> list[dict[str, Any]]:
    found = await apis_of(request).json(
        "notifier", "GET", f"/notifier/deliveries/{delivery_id}/attempts", token=person.access_token
    )
    return sorted(found["items"], key=lambda attempt: int(attempt["number"]))


@router.get("/organisation/webhooks/deliveries/{delivery_id}")
async def delivery_page(request: Request, person: Admin, delivery_id: str) -> Response:
    return await _delivery_page(request, person, delivery_id)


@router.post("/organisation/webhooks/deliveries/{delivery_id}/replay")
async def replay(request: Request, person: Admin, delivery_id: str) -> Response:
    """Send a finished delivery again, with the same webhook-id (receivers drop duplicates)."""
    wanted = an_id(delivery_id)
    try:
        await apis_of(request).call(
            "notifier",
            "POST",
            f"/notifier/deliveries/{wanted}/replay",
            token=person.access_token,
        )
    except ApiRefused as refused:
        if refused.status == 409:
            message = t(
                request,
                "It cannot be sent again now: it is still being attempted, or its endpoint is "
                "disabled or removed. Enable the endpoint first, or wait for the attempt.",
            )
        elif refused.status in (400, 422):
            message = t(
                request,
                "This delivery cannot be sent again: one-time links (invitations, password "
                "resets) and inbox notices are never replayed.",
            )
        else:
            raise
        return await _delivery_page(request, person, wanted, errors=[("", message)], status=409)
    return go(f"/organisation/webhooks/deliveries/{wanted}?done=replayed")
