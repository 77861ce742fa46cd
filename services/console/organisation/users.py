"""The organisation's people, run by its own admins (TOM-T2a, TOM-T2c, TOM-T2e, TOM-T5).

Invite someone (they choose their own password from the mailed link), change a role, disable and
re-enable, remove, reset a lost second step, send a reset link, release a lock, send the
invitation again. Every act is identity's (``/users`` and its actions); identity refuses another
organisation's user with 404, which the console answers like a missing page. An admin cannot
demote, disable or remove their own account: the page says so before identity would.
"""

import asyncio
import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from services.console.apis import ApiRefused
from services.console.domain import Role
from services.console.render import render
from services.console.web import Admin, NotYours, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

USERS_LIMIT = 500
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = tuple(role.value for role in Role)

Text = Annotated[str, Form(max_length=2000)]


def user_id_of(value: str) -> str:
    """A user id from the address: anything that is not one is a page that does not exist."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotYours from None


async def people(request: Request, person: Admin) -> list[dict[str, Any]]:
    found = await apis_of(request).every(
        "identity", "/users", token=person.access_token, page_size=USERS_LIMIT
    )
    items: list[dict[str, Any]] = [u for u in found if u["status"] != "removed"]
    items.sort(key=lambda u: ((u["display_name"] or u["email"]).lower(), u["email"]))
    return items


async def one_person(request: Request, person: Admin, user_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await apis_of(request).json(
        "identity", "GET", f"/users/{user_id_of(user_id)}", token=person.access_token
    )
    return found


def _refusal(request: Request, refused: ApiRefused) -> str:
    """Identity's refusal of an act on a user, in the person's words and language."""
    detail = refused.detail.lower()
    if "own account" in detail:
        return t(request, "You cannot do this to your own account. Ask another administrator.")
    if "at least one active admin" in detail:
        return t(
            request,
            "Your organisation must keep at least one active administrator. "
            "Make someone else an administrator first.",
        )
    if "re-invited" in detail:
        return t(request, "This person has already accepted the invitation.")
    if "re-enabled" in detail:
        return t(request, "Only a disabled account can be re-enabled.")
    if "disabled" in detail:
        return t(request, "Only an active account can be disabled.")
    if "second factor" in detail:
        return t(request, "This person has no second step to reset.")
    if "reset a password" in detail:
        return t(request, "Only an active account can get a password reset link.")
    return t(request, "This could not be done. Reload the page to see the account as it is now.")


# -- the list and the invitation --------------------------------------------------------------


async def _people_page(
    request: Request,
    person: Admin,
    *,
    errors: list[tuple[str, str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "people": await people(request, person),
        "roles": ROLES,
        "errors": errors or [],
        "values": values or {"role": Role.member.value},
    }
    return render(request, "organisation/manage_people.html", context, status=status)


@router.get("/organisation")
async def organisation_start(person: Admin) -> Response:
    return go("/organisation/users")


@router.get("/organisation/users")
async def people_page(request: Request, person: Admin) -> Response:
    return await _people_page(request, person)


@router.post("/organisation/users")
async def invite(
    request: Request,
    person: Admin,
    email: Text = "",
    display_name: Text = "",
    role: Text = "",
) -> Response:
    """Invite someone: identity mails them a link to choose their own password."""
    email, display_name = email.strip(), display_name.strip()
    values = {"email": email, "display_name": display_name, "role": role}
    errors: list[tuple[str, str]] = []
    if not email:
        errors.append(("email", t(request, "Enter the e-mail address of the person to invite.")))
    elif len(email) > 254 or not EMAIL.match(email):
        errors.append(("email", t(request, "Enter an e-mail address like name@example.be.")))
    if len(display_name) > 200:
        errors.append(("display_name", t(request, "Keep the name under 200 characters.")))
    if role not in ROLES:
        errors.append(("role-admin", t(request, "Choose what this person may do.")))
    if not errors:
        try:
            await apis_of(request).call(
                "identity",
                "POST",
                "/users",
                token=person.access_token,
                json={"email": email, "display_name": display_name, "role": role},
            )
        except ApiRefused as refused:
            if refused.status == 409:
                errors.append(
                    (
                        "email",
                        t(request, "Someone with this e-mail address already has an account."),
                    )
                )
            elif refused.status in (400, 422):
                errors.append(("email", t(request, "Check the e-mail address and the name.")))
            else:
                raise
    if errors:
        return await _people_page(request, person, errors=errors, values=values, status=400)
    return go("/organisation/users?done=person_invited")


# -- one person ---------------------------------------------------------------------------------


async def _person_page(
    request: Request,
    person: Admin,
    user_id: str,
    *,
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> Response:
    user, policy = await asyncio.gather(
        one_person(request, person, user_id),
        apis_of(request).json("identity", "GET", "/policy", token=person.access_token),
    )
    context = {
        "user": user,
        "policy": policy,
        "roles": ROLES,
        "is_me": user["id"] == person.user_id,
        "errors": errors or [],
    }
    return render(request, "organisation/manage_person.html", context, status=status)


@router.get("/organisation/users/{user_id}")
async def person_page(request: Request, person: Admin, user_id: str) -> Response:
    return await _person_page(request, person, user_id)


async def _act(
    request: Request,
    person: Admin,
    user_id: str,
    method: str,
    action: str,
    *,
    done: str,
    json: Any = None,
    field: str = "",
) -> Response:
    """One act on a user; a refusal shows the person's page again with the reason."""
    user_id = user_id_of(user_id)
    try:
        await apis_of(request).call(
            "identity", method, f"/users/{user_id}{action}", token=person.access_token, json=json
        )
    except ApiRefused as refused:
        if refused.status not in (400, 409, 422):
            raise
        errors = [(field, _refusal(request, refused))]
        return await _person_page(request, person, user_id, errors=errors, status=400)
    target = "/organisation/users" if done == "person_removed" else f"/organisation/users/{user_id}"
    return go(f"{target}?done={done}")


def _own_account(request: Request, person: Admin, user_id: str, field: str = "") -> list[Any]:
    if user_id_of(user_id) != person.user_id:
        return []
    return [
        (field, t(request, "You cannot do this to your own account. Ask another administrator."))
    ]


@router.post("/organisation/users/{user_id}/role")
async def change_role(request: Request, person: Admin, user_id: str, role: Text = "") -> Response:
    errors = _own_account(request, person, user_id, "role")
    if not errors and role not in ROLES:
        errors = [("role", t(request, "Choose a role."))]
    if errors:
        return await _person_page(request, person, user_id, errors=errors, status=400)
    return await _act(
        request, person, user_id, "PUT", "/role", done="role_changed", json={"role": role}
    )


@router.post("/organisation/users/{user_id}/disable")
async def disable(request: Request, person: Admin, user_id: str) -> Response:
    if errors := _own_account(request, person, user_id):
        return await _person_page(request, person, user_id, errors=errors, status=400)
    return await _act(request, person, user_id, "POST", "/disable", done="person_disabled")


@router.post("/organisation/users/{user_id}/enable")
async def enable(request: Request, person: Admin, user_id: str) -> Response:
    return await _act(request, person, user_id, "POST", "/enable", done="person_enabled")


@router.post("/organisation/users/{user_id}/invitation")
async def invite_again(request: Request, person: Admin, user_id: str) -> Response:
    return await _act(request, person, user_id, "POST", "/invitation", done="invited_again")


@router.post("/organisation/users/{user_id}/password-reset")
async def send_reset(request: Request, person: Admin, user_id: str) -> Response:
    return await _act(request, person, user_id, "POST", "/password-reset", done="reset_sent")


@router.post("/organisation/users/{user_id}/unlock")
async def unlock(request: Request, person: Admin, user_id: str) -> Response:
    return await _act(request, person, user_id, "POST", "/unlock", done="unlocked")


# -- the two acts that cannot be undone: a confirm page first -----------------------------------


@router.get("/organisation/users/{user_id}/remove")
async def confirm_removal(request: Request, person: Admin, user_id: str) -> Response:
    user = await one_person(request, person, user_id)
    if errors := _own_account(request, person, user_id):
        return await _person_page(request, person, user_id, errors=errors, status=400)
    if user["status"] == "removed":
        return go(f"/organisation/users/{user['id']}")
    return render(request, "organisation/confirm_removal.html", {"user": user})


@router.post("/organisation/users/{user_id}/remove")
async def remove(request: Request, person: Admin, user_id: str) -> Response:
    if errors := _own_account(request, person, user_id):
        return await _person_page(request, person, user_id, errors=errors, status=400)
    return await _act(request, person, user_id, "DELETE", "", done="person_removed")


@router.get("/organisation/users/{user_id}/second-step-reset")
async def confirm_second_step_reset(request: Request, person: Admin, user_id: str) -> Response:
    user = await one_person(request, person, user_id)
    if not user["mfa_enrolled"]:
        return go(f"/organisation/users/{user['id']}")
    return render(request, "organisation/confirm_second_step_reset.html", {"user": user})


@router.post("/organisation/users/{user_id}/second-step-reset")
async def reset_second_step(request: Request, person: Admin, user_id: str) -> Response:
    return await _act(request, person, user_id, "POST", "/mfa/reset", done="second_step_reset")
