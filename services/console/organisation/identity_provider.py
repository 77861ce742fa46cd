"""The organisation's own identity provider (OpenID Connect, issue 13.4): connected, changed and
disconnected by its admins through identity's ``/organisation/identity-provider``.

The client secret is sent once and never shown again (identity does not give it back); leaving
the field empty on a change keeps the stored one. Identity reads the provider's discovery
document and has the last word on every field; its refusal is shown next to the field it names.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from services.console.account.own import needs_confirmation
from services.console.apis import ApiRefused
from services.console.render import render
from services.console.web import Admin, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

PATH = "/organisation/identity-provider"
# Identity asks for a recent sign-in before the provider changes: confirm, then come back here.
CONFIRM_FIRST = f"/account/confirm?next={PATH}"
Text = Annotated[str, Form(max_length=2000)]


async def _connected(request: Request, person: Admin) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await apis_of(request).json(
            "identity", "GET", PATH, token=person.access_token
        )
    except ApiRefused as refused:
        if refused.status == 404:
            return None
        raise
    return found


def _words(values: str) -> list[str]:
    """A list typed as words separated by commas, spaces or lines."""
    return [word for word in values.replace(",", " ").split() if word]


def form_values(provider: dict[str, Any] | None) -> dict[str, str]:
    if provider is None:
        return {"email_claim": "email"}
    return {
        "issuer": provider["issuer"],
        "client_id": provider["client_id"],
        "email_claim": provider["email_claim"],
        "allowed_domains": ", ".join(provider["allowed_domains"]),
        "just_in_time": "yes" if provider["just_in_time"] else "",
        "mfa_acr": "\n".join(provider["mfa_acr"]),
        "mfa_amr": ", ".join(provider["mfa_amr"]),
    }


def _field_of(detail: str) -> str:
    """Which field identity's refusal is about (its words name the field)."""
    for name in ("allowed_domains", "client_secret", "email_claim", "mfa_acr", "mfa_amr"):
        if name in detail:
            return name
    return "issuer"


def _page(
    request: Request,
    provider: dict[str, Any] | None,
    values: dict[str, str],
    errors: list[tuple[str, str]] | None = None,
) -> Response:
    context = {"provider": provider, "values": values, "errors": errors or []}
    status = 400 if errors else 200
    return render(request, "organisation/connect_identity_provider.html", context, status=status)


@router.get(PATH)
async def identity_provider_page(request: Request, person: Admin) -> Response:
    provider = await _connected(request, person)
    return _page(request, provider, form_values(provider))


@router.post(PATH)
async def connect(
    request: Request,
    person: Admin,
    issuer: Text = "",
    client_id: Text = "",
    client_secret: Text = "",
    email_claim: Text = "",
    allowed_domains: Text = "",
    just_in_time: Annotated[str, Form(max_length=5)] = "",
    mfa_acr: Text = "",
    mfa_amr: Text = "",
) -> Response:
    values = {
        "issuer": issuer.strip(),
        "client_id": client_id.strip(),
        "email_claim": email_claim.strip() or "email",
        "allowed_domains": allowed_domains,
        "just_in_time": just_in_time,
        "mfa_acr": mfa_acr,
        "mfa_amr": mfa_amr,
    }
    errors: list[tuple[str, str]] = []
    if not values["issuer"].startswith(("https://", "http://")):
        errors.append(("issuer", t(request, "Enter the provider's address, starting https://.")))
    if not values["client_id"]:
        errors.append(("client_id", t(request, "Enter the client id the provider gave pactum.")))
    if not _words(allowed_domains):
        errors.append(
            ("allowed_domains", t(request, "Enter at least one e-mail domain, like example.be."))
        )
    provider = await _connected(request, person)
    if provider is None and not client_secret:
        errors.append(
            ("client_secret", t(request, "Enter the client secret the provider gave pactum."))
        )
    if not errors:
        body: dict[str, Any] = {
            "issuer": values["issuer"],
            "client_id": values["client_id"],
            "email_claim": values["email_claim"],
            "allowed_domains": _words(allowed_domains),
            "just_in_time": just_in_time == "yes",
            "mfa_acr": _words(mfa_acr),
            "mfa_amr": _words(mfa_amr),
        } | ({"client_secret": client_secret} if client_secret else {})
        try:
            await apis_of(request).call(
                "identity", "PUT", PATH, token=person.access_token, json=body
            )
        except ApiRefused as refused:
            if needs_confirmation(refused):  # an old session: confirm it is you, then again
                return go(CONFIRM_FIRST)
            if refused.status not in (400, 422):
                raise
            message = t(request, "Identity refused this: %(reason)s")
            errors.append((_field_of(refused.detail), message % {"reason": refused.detail}))
    if errors:
        return _page(request, provider, values, errors)
    return go(f"{PATH}?done=provider_connected")


@router.post(PATH + "/disconnect")
async def disconnect(request: Request, person: Admin) -> Response:
    try:
        await apis_of(request).call("identity", "DELETE", PATH, token=person.access_token)
    except ApiRefused as refused:
        if needs_confirmation(refused):
            return go(CONFIRM_FIRST)
        if refused.status != 404:
            raise
    return go(f"{PATH}?done=provider_disconnected")
