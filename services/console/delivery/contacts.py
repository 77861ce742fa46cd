"""Who is told of what: the organisation's contacts per topic, its notice language, and each
person's own notice preferences (what they mute, where and in which language they are told).

Contacts, settings and preferences live in the notifier (``/notifier/contacts``,
``/notifier/settings``, ``/notifier/preferences``); the console only shows and sends them.
"""

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.apis import ApiRefused
from services.console.delivery.fields import (
    LANGUAGES,
    TOPICS,
    an_id,
    chosen,
    looks_like_email,
    posted,
    text,
)
from services.console.render import render
from services.console.web import Admin, NotYours, SignedIn, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

USERS_LIMIT = 500
MUTABLE_CHANNELS = ("email", "inbox")


async def contacts_of(request: Request, person: Admin) -> list[dict[str, Any]]:
    """Every contact of the person's organisation, all pages."""
    found: list[dict[str, Any]] = await apis_of(request).every(
        "notifier", "/notifier/contacts", token=person.access_token, page_size=500
    )
    return found


async def users_of(request: Request, person: Admin) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await apis_of(request).every(
        "identity", "/users", token=person.access_token, page_size=USERS_LIMIT
    )
    return found


async def _settings(request: Request, person: SignedIn) -> dict[str, Any]:
    found = await apis_of(request).json(
        "notifier", "GET", "/notifier/settings", token=person.access_token
    )
    return found if isinstance(found, dict) else {"locale": "nl"}


async def _contacts_page(
    request: Request,
    person: Admin,
    *,
    errors: list[tuple[str, str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    contacts, users, settings = await asyncio.gather(
        contacts_of(request, person), users_of(request, person), _settings(request, person)
    )
    contacts.sort(key=lambda contact: contact["created_at"])
    context = {
        "contacts": contacts,
        "users": [user for user in users if user.get("status") != "removed"],
        "user_names": {user["id"]: user.get("display_name") or user["email"] for user in users},
        "settings": settings,
        "topics": TOPICS,
        "locales": LANGUAGES,
        "errors": errors or [],
        "values": values or {},
    }
    return render(request, "delivery/choose_who_is_told.html", context, status=status)


@router.get("/organisation/contacts")
async def contacts_page(request: Request, person: Admin) -> Response:
    return await _contacts_page(request, person)


@router.post("/organisation/contacts")
async def add_contact(request: Request, person: Admin) -> Response:
    """A contact: an address, a colleague's inbox, or both; told of the topics ticked."""
    form = await posted(request)
    email = text(form, "email", limit=254)
    user_id = text(form, "user_id", limit=200)
    locale = text(form, "locale", limit=2)
    topics = chosen(form, "topics", TOPICS)
    values = {"email": email, "user_id": user_id, "locale": locale, "topics": topics}
    errors: list[tuple[str, str]] = []
    if email and not looks_like_email(email):
        errors.append(("email", t(request, "Enter an e-mail address like name@example.be.")))
    if not email and not user_id:
        errors.append(
            ("email", t(request, "Enter an e-mail address, choose a colleague's inbox, or both."))
        )
    if not topics:
        errors.append(("topics", t(request, "Choose at least one kind of notice.")))
    if locale and locale not in LANGUAGES:
        locale = ""
    if not errors:
        body = {
            "email": email or None,
            "user_id": an_id_or_none(user_id),
            "topics": topics,
            "locale": locale or None,
        }
        try:
            await apis_of(request).call(
                "notifier", "POST", "/notifier/contacts", token=person.access_token, json=body
            )
        except ApiRefused as refused:
            if refused.status not in (400, 409, 422):
                raise
            errors.append(("email", t(request, "This contact cannot be added. Check the address.")))
    if errors:
        return await _contacts_page(request, person, errors=errors, values=values, status=400)
    return go("/organisation/contacts?done=contact_added")


def an_id_or_none(value: str) -> str | None:
    if not value:
        return None
    try:
        return an_id(value)
    except NotYours:
        return None


async def _contact(request: Request, person: Admin, contact_id: str) -> dict[str, Any]:
    wanted = an_id(contact_id)
    for contact in await contacts_of(request, person):
        if contact["id"] == wanted:
            return contact
    raise NotYours


@router.get("/organisation/contacts/{contact_id}/remove")
async def remove_contact_page(request: Request, person: Admin, contact_id: str) -> Response:
    """Check before removing: who will no longer be told of what."""
    contact, users = await asyncio.gather(
        _contact(request, person, contact_id), users_of(request, person)
    )
    names = {user["id"]: user.get("display_name") or user["email"] for user in users}
    return render(
        request, "delivery/remove_contact.html", {"contact": contact, "user_names": names}
    )


@router.post("/organisation/contacts/{contact_id}/remove")
async def remove_contact(request: Request, person: Admin, contact_id: str) -> Response:
    await apis_of(request).call(
        "notifier",
        "DELETE",
        f"/notifier/contacts/{an_id(contact_id)}",
        token=person.access_token,
    )
    return go("/organisation/contacts?done=contact_removed")


@router.post("/organisation/contacts/language")
async def set_language(request: Request, person: Admin) -> Response:
    """The language of the organisation's notices (and of contacts who chose none)."""
    locale = text(await posted(request), "locale", limit=2)
    if locale not in LANGUAGES:
        errors = [("locale", t(request, "Choose one of the languages offered."))]
        return await _contacts_page(request, person, errors=errors, status=400)
    await apis_of(request).call(
        "notifier", "PUT", "/notifier/settings", token=person.access_token, json={"locale": locale}
    )
    return go("/organisation/contacts?done=language_saved#language-heading")


# -- one's own preferences -------------------------------------------------------------------


async def _preferences_page(
    request: Request,
    person: SignedIn,
    *,
    errors: list[tuple[str, str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    apis = apis_of(request)
    can_read_settings = person.is_admin or person.is_auditor
    preferences, settings = await asyncio.gather(
        apis.json("notifier", "GET", "/notifier/preferences", token=person.access_token),
        _settings(request, person) if can_read_settings else asyncio.sleep(0, None),
    )
    shown = dict(preferences or {})
    if values is not None:
        shown.update(values)
    context = {
        "preferences": shown,
        "settings": settings,
        "topics": TOPICS,
        "channels": MUTABLE_CHANNELS,
        "locales": LANGUAGES,
        "errors": errors or [],
    }
    return render(request, "delivery/choose_my_notices.html", context, status=status)


@router.get("/account/notices")
async def preferences_page(request: Request, person: SignedIn) -> Response:
    return await _preferences_page(request, person)


@router.post("/account/notices")
async def set_preferences(request: Request, person: SignedIn) -> Response:
    """Mute topics or channels, choose a language and an address of one's own."""
    form = await posted(request)
    email = text(form, "email", limit=254)
    locale = text(form, "locale", limit=2)
    body = {
        "email": email or None,
        "locale": locale if locale in LANGUAGES else None,
        "muted_topics": chosen(form, "muted_topics", TOPICS),
        "muted_channels": chosen(form, "muted_channels", MUTABLE_CHANNELS),
    }
    errors: list[tuple[str, str]] = []
    if email and not looks_like_email(email):
        errors.append(("email", t(request, "Enter an e-mail address like name@example.be.")))
    else:
        try:
            await apis_of(request).call(
                "notifier", "PUT", "/notifier/preferences", token=person.access_token, json=body
            )
        except ApiRefused as refused:
            if refused.status not in (400, 422):
                raise
            errors.append(("email", t(request, "These preferences cannot be saved.")))
    if errors:
        return await _preferences_page(request, person, errors=errors, values=body, status=400)
    return go("/account/notices?done=preferences_saved")
