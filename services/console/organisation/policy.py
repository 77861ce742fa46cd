"""The organisation's sign-in rules: passwords, the second step, locks, how long a sign-in may
go unused (TOM-T2b, TOM-T2c, TOM-T5, ASVS 7.3.1).

Shown in plain words and changed by the organisation's admins through identity's ``/policy``.
The console checks each field against identity's bounds first, so that a mistake is shown next
to its field; identity checks the whole policy again and has the last word.
"""

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from services.console.apis import ApiRefused
from services.console.organisation.policy_form import form_values, read_form, refused_field
from services.console.render import render
from services.console.web import Admin, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

Number = Annotated[str, Form(max_length=200)]


async def _policy(request: Request, person: Admin) -> dict[str, Any]:
    found: dict[str, Any] = await apis_of(request).json(
        "identity", "GET", "/policy", token=person.access_token
    )
    return found


@router.get("/organisation/policy")
async def policy_page(request: Request, person: Admin) -> Response:
    policy = await _policy(request, person)
    context = {"policy": policy, "values": form_values(policy)}
    return render(request, "organisation/set_sign_in_rules.html", context)


@router.post("/organisation/policy")
async def change_policy(
    request: Request,
    person: Admin,
    min_length: Number = "",
    password_history: Number = "",
    mfa: Number = "",
    lock_threshold: Number = "",
    lock_minutes: Number = "",
    permanent_after: Number = "",
    phishing_resistant_admins: Annotated[str, Form(max_length=5)] = "",
    passwordless: Annotated[str, Form(max_length=5)] = "",
    session_idle_minutes: Number = "",
) -> Response:
    values = {
        "min_length": min_length,
        "password_history": password_history,
        "mfa": mfa,
        "lock_threshold": lock_threshold,
        "lock_minutes": lock_minutes,
        "permanent_after": permanent_after,
        "phishing_resistant_admins": phishing_resistant_admins,
        "passwordless": passwordless,
        "session_idle_minutes": session_idle_minutes,
    }
    changes, errors = read_form(partial(t, request), values)
    if not errors:
        try:
            await apis_of(request).call(
                "identity", "PATCH", "/policy", token=person.access_token, json=changes
            )
        except ApiRefused as refused:
            if refused.status not in (400, 422):
                raise
            message = t(request, "Identity refused these rules: %(reason)s")
            errors.append((refused_field(refused.detail), message % {"reason": refused.detail}))
    if errors:
        policy = await _policy(request, person)
        context = {"policy": policy, "values": values, "errors": errors}
        return render(request, "organisation/set_sign_in_rules.html", context, status=400)
    return go("/organisation/policy?done=rules_saved")
