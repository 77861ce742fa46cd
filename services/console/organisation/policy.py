"""The organisation's sign-in rules: passwords, the second step, locks, how long a sign-in may
go unused (TOM-T2b, TOM-T2c, TOM-T5, ASVS 7.3.1).

Shown in plain words and changed by the organisation's admins through identity's ``/policy``.
The console checks each field against identity's bounds first, so that a mistake is shown next
to its field; identity checks the whole policy again and has the last word.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from services.console.apis import ApiRefused
from services.console.render import render
from services.console.web import Admin, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

MFA_CHOICES = ("none", "admins", "everyone")
Number = Annotated[str, Form(max_length=200)]


async def _policy(request: Request, person: Admin) -> dict[str, Any]:
    found: dict[str, Any] = await apis_of(request).json(
        "identity", "GET", "/policy", token=person.access_token
    )
    return found


def form_values(policy: dict[str, Any]) -> dict[str, str]:
    """The policy as the form shows it."""
    after = policy.get("permanent_after")
    return {
        "min_length": str(policy["min_length"]),
        "password_history": str(policy["password_history"]),
        "mfa": str(policy["mfa"]),
        "lock_threshold": str(policy["lock_threshold"]),
        "lock_minutes": ", ".join(str(m) for m in policy["lock_minutes"]),
        "permanent_after": "" if after is None else str(after),
        "phishing_resistant_admins": "yes" if policy.get("phishing_resistant_admins") else "",
        "passwordless": "yes" if policy.get("passwordless") else "",
        "session_idle_minutes": str(policy.get("session_idle_minutes", 30)),
    }


def _whole_number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 6 else None


def read_form(
    request: Request, values: dict[str, str]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The changes to send, or the errors tied to their fields."""
    errors: list[tuple[str, str]] = []
    changes: dict[str, Any] = {}

    def bounded(name: str, low: int, high: int, message: str) -> None:
        number = _whole_number(values[name])
        if number is None or not low <= number <= high:
            errors.append((name, message % {"low": low, "high": high}))
        else:
            changes[name] = number

    bounded(
        "min_length",
        8,
        64,
        t(request, "Enter a minimum length from %(low)d to %(high)d characters."),
    )
    bounded(
        "password_history",
        0,
        24,
        t(
            request,
            "Enter how many earlier passwords may not be used again, from %(low)d to %(high)d.",
        ),
    )
    if values["mfa"] in MFA_CHOICES:
        changes["mfa"] = values["mfa"]
    else:
        errors.append(("mfa-none", t(request, "Choose who must use a second step.")))
    bounded(
        "lock_threshold",
        3,
        100,
        t(
            request,
            "Enter after how many failed attempts an account locks, from %(low)d to %(high)d.",
        ),
    )
    parts = [part.strip() for part in values["lock_minutes"].replace(";", ",").split(",")]
    durations = [_whole_number(part) for part in parts if part]
    if (
        not durations
        or len(durations) > 10
        or any(d is None or not 1 <= d <= 1440 for d in durations)
    ):
        errors.append(
            (
                "lock_minutes",
                t(
                    request,
                    "Enter one to ten durations in minutes, separated by commas, "
                    "each from 1 to 1440 (one day), for example 1, 5, 15, 60.",
                ),
            )
        )
    elif durations != sorted(durations):  # type: ignore[type-var]
        errors.append(
            ("lock_minutes", t(request, "Each lock must last at least as long as the one before."))
        )
    else:
        changes["lock_minutes"] = durations
    if values["permanent_after"].strip():
        bounded(
            "permanent_after",
            1,
            50,
            t(
                request,
                "Enter after how many locks in a row an account stays locked, from %(low)d to "
                "%(high)d, or leave it empty.",
            ),
        )
    else:
        changes["permanent_after"] = None
    bounded(
        "session_idle_minutes",
        5,
        1440,
        t(
            request,
            "Enter after how many minutes without use a sign-in ends, from %(low)d to %(high)d.",
        ),
    )
    for choice in ("phishing_resistant_admins", "passwordless"):  # checkboxes: absent is off
        changes[choice] = values.get(choice) == "yes"
    return changes, errors


def _field_of(detail: str) -> str:
    """Which field identity's refusal is about (its words name the rule)."""
    detail = detail.lower()
    for words, name in (
        ("min_length", "min_length"),
        ("history", "password_history"),
        ("threshold", "lock_threshold"),
        ("duration", "lock_minutes"),
        ("lock_minutes", "lock_minutes"),
        ("permanent", "permanent_after"),
        ("session_idle", "session_idle_minutes"),
    ):
        if words in detail:
            return name
    return ""


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
    changes, errors = read_form(request, values)
    if not errors:
        try:
            await apis_of(request).call(
                "identity", "PATCH", "/policy", token=person.access_token, json=changes
            )
        except ApiRefused as refused:
            if refused.status not in (400, 422):
                raise
            message = t(request, "Identity refused these rules: %(reason)s")
            errors.append((_field_of(refused.detail), message % {"reason": refused.detail}))
    if errors:
        policy = await _policy(request, person)
        context = {"policy": policy, "values": values, "errors": errors}
        return render(request, "organisation/set_sign_in_rules.html", context, status=400)
    return go("/organisation/policy?done=rules_saved")
