"""The operator's organisations: list them (cursor paging), create one and invite its first
admin (the invitation is mailed by the notifier, never shown here), rename, disable, enable.

Identity's operator routes (``/organisations``) answer only the operator's admins; the pages
are for them alone and answer everyone else with the 404 page.
"""

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.apis import ApiRefused
from services.console.delivery.fields import an_id, looks_like_email, posted, text
from services.console.render import render
from services.console.web import OperatorAdmin, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

PAGE_SIZES = (10, 50, 100)
DEFAULT_PAGE_SIZE = 50
KINDS = ("controller", "processor")
NAME_LIMIT = 200


def _page_size(value: str | None) -> int:
    try:
        size = int(value or DEFAULT_PAGE_SIZE)
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return min(max(size, 1), 100)


@router.get("/operator/organisations")
async def organisations_page(request: Request, person: OperatorAdmin) -> Response:
    """A page of organisations by name; "next page" carries identity's cursor."""
    size = _page_size(request.query_params.get("size"))
    cursor = (request.query_params.get("cursor") or "")[:600]
    try:
        found = await apis_of(request).json(
            "identity",
            "GET",
            "/organisations",
            token=person.access_token,
            params={"limit": size, "cursor": cursor or None},
        )
    except ApiRefused as refused:
        if refused.status != 422 or not cursor:
            raise
        return go("/operator/organisations")  # a cursor from an old or edited link: start over
    context = {
        "organisations": found["items"],
        "next_cursor": found.get("next_cursor"),
        "size": size,
        "first_page": not cursor,
    }
    return render(request, "operator/organisations.html", context)


def _name_problem(request: Request, name: str) -> str | None:
    if not name:
        return t(request, "Enter the organisation's name.")
    if len(name) > NAME_LIMIT:
        return t(request, "The name can be at most 200 characters long.")
    return None


@router.get("/operator/organisations/new")
async def create_organisation_page(request: Request, person: OperatorAdmin) -> Response:
    return render(request, "operator/create_organisation.html", {"kinds": KINDS})


@router.post("/operator/organisations/new")
async def create_organisation(request: Request, person: OperatorAdmin) -> Response:
    form = await posted(request)
    name = " ".join(text(form, "name", limit=NAME_LIMIT).split())
    kind = text(form, "kind", limit=20)
    errors: list[tuple[str, str]] = []
    problem = _name_problem(request, name)
    if problem:
        errors.append(("name", problem))
    if kind not in KINDS:
        errors.append(
            ("kind-controller", t(request, "Choose whether it is a controller or a processor."))
        )
    if not errors:
        try:
            created = await apis_of(request).json(
                "identity",
                "POST",
                "/organisations",
                token=person.access_token,
                json={"name": name, "kind": kind},
            )
        except ApiRefused as refused:
            if refused.status not in (400, 409, 422):
                raise
            message = t(request, "This organisation cannot be created: %(reason)s")
            errors.append(("name", message % {"reason": refused.detail}))
    if errors:
        context = {"kinds": KINDS, "errors": errors, "values": {"name": name, "kind": kind}}
        return render(request, "operator/create_organisation.html", context, status=400)
    return go(f"/operator/organisations/{created['id']}?done=organisation_created#invite-heading")


async def _organisation(request: Request, person: OperatorAdmin, organisation_id: str) -> Any:
    return await apis_of(request).json(
        "identity", "GET", f"/organisations/{an_id(organisation_id)}", token=person.access_token
    )


async def _organisation_page(
    request: Request,
    person: OperatorAdmin,
    organisation_id: str,
    *,
    errors: list[tuple[str, str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    organisation = await _organisation(request, person, organisation_id)
    context = {
        "organisation": organisation,
        "own": organisation["id"] == person.organisation_id,
        "errors": errors or [],
        "values": {"name": organisation["name"]} | (values or {}),
    }
    return render(request, "operator/manage_organisation.html", context, status=status)


@router.get("/operator/organisations/{organisation_id}")
async def organisation_page(
    request: Request, person: OperatorAdmin, organisation_id: str
) -> Response:
    return await _organisation_page(request, person, organisation_id)


@router.post("/operator/organisations/{organisation_id}/admins")
async def invite_admin(request: Request, person: OperatorAdmin, organisation_id: str) -> Response:
    """Invite an admin: identity records them, the notifier mails the link to them alone."""
    wanted = an_id(organisation_id)
    form = await posted(request)
    email = text(form, "email", limit=254)
    display_name = " ".join(text(form, "display_name", limit=200).split())
    values = {"email": email, "display_name": display_name}
    errors: list[tuple[str, str]] = []
    if not looks_like_email(email):
        errors.append(("email", t(request, "Enter an e-mail address like name@example.be.")))
    if not errors:
        body: dict[str, Any] = {"email": email}
        if display_name:
            body["display_name"] = display_name
        try:
            await apis_of(request).call(
                "identity",
                "POST",
                f"/organisations/{wanted}/admins",
                token=person.access_token,
                json=body,
            )
        except ApiRefused as refused:
            if refused.status == 409:
                errors.append(("email", t(request, "This address already has an account.")))
            elif refused.status in (400, 422):
                message = t(request, "This invitation cannot be sent: %(reason)s")
                errors.append(("email", message % {"reason": refused.detail}))
            else:
                raise
    if errors:
        return await _organisation_page(
            request, person, wanted, errors=errors, values=values, status=400
        )
    return go(f"/operator/organisations/{wanted}?done=invited")


@router.post("/operator/organisations/{organisation_id}/name")
async def rename(request: Request, person: OperatorAdmin, organisation_id: str) -> Response:
    wanted = an_id(organisation_id)
    name = " ".join(text(await posted(request), "name", limit=NAME_LIMIT).split())
    problem = _name_problem(request, name)
    errors = [("name", problem)] if problem else []
    if not errors:
        try:
            await apis_of(request).call(
                "identity",
                "PUT",
                f"/organisations/{wanted}/name",
                token=person.access_token,
                json={"name": name},
            )
        except ApiRefused as refused:
            if refused.status not in (400, 422):
                raise
            message = t(request, "This name cannot be used: %(reason)s")
            errors.append(("name", message % {"reason": refused.detail}))
    if errors:
        return await _organisation_page(
            request, person, wanted, errors=errors, values={"name": name}, status=400
        )
    return go(f"/operator/organisations/{wanted}?done=organisation_renamed")


@router.get("/operator/organisations/{organisation_id}/disable")
async def disable_page(request: Request, person: OperatorAdmin, organisation_id: str) -> Response:
    """Check before disabling: what it does, and that it can be undone."""
    organisation = await _organisation(request, person, organisation_id)
    context = {"organisation": organisation, "own": organisation["id"] == person.organisation_id}
    return render(request, "operator/disable_organisation.html", context)


@router.post("/operator/organisations/{organisation_id}/disable")
async def disable(request: Request, person: OperatorAdmin, organisation_id: str) -> Response:
    wanted = an_id(organisation_id)
    try:
        await apis_of(request).call(
            "identity", "POST", f"/organisations/{wanted}/disable", token=person.access_token
        )
    except ApiRefused as refused:
        if refused.status != 422:
            raise
        errors = [("", t(request, "The operator's own organisation cannot be disabled."))]
        return await _organisation_page(request, person, wanted, errors=errors, status=400)
    return go(f"/operator/organisations/{wanted}?done=organisation_disabled")


@router.post("/operator/organisations/{organisation_id}/enable")
async def enable(request: Request, person: OperatorAdmin, organisation_id: str) -> Response:
    wanted = an_id(organisation_id)
    await apis_of(request).call(
        "identity", "POST", f"/organisations/{wanted}/enable", token=person.access_token
    )
    return go(f"/operator/organisations/{wanted}?done=organisation_enabled")
