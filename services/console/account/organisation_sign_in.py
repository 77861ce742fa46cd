"""Signing in through the organisation's own identity provider (OpenID Connect, issue 13.4).

The person gives their work address; identity picks the organisation's provider by its domain
and answers where to send the browser and the ``state`` of this sign-in, which the console keeps
in a cookie of this browser (HttpOnly, SameSite=Lax: the provider's redirect back is a top-level
navigation, which carries it). The callback compares the state the provider sends back with the
cookie before identity sees the code, so a code pushed into someone else's browser signs nobody
in. Identity checks everything else (docs/federation.md).

The sign-in page's CSP allows forms to post to pactum only (``form-action 'self'``), and browsers
apply it to a form's redirects too: the way to the provider is a link on a page of its own.
"""

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from services.console.account.sign_in import continue_sign_in
from services.console.apis import ApiRefused
from services.console.render import render
from services.console.web import apis_of, client_address, cookies_of, safe_next, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

STATE_MINUTES = 10  # identity keeps the attempt as long (federation_attempt_minutes)


def _state_cookie(request: Request) -> str:
    secure = cookies_of(request).session.startswith("__Host-")
    return ("__Host-" if secure else "") + "pactum_federation"


def _failed(request: Request) -> str:
    return t(request, "Sign-in with your organisation failed. Try again, or sign in another way.")


def _sign_in_page(request: Request, errors: list[tuple[str, str]], email: str) -> Response:
    context = {"errors": errors, "values": {"organisation_email": email}, "next": "/"}
    return render(request, "account/sign_in.html", context, status=400)


@router.post("/sign-in/organisation")
async def start(
    request: Request,
    organisation_email: Annotated[str, Form(max_length=254)] = "",
    next: Annotated[str, Form(max_length=1000)] = "/",
) -> Response:
    """Ask identity for the organisation's provider; show the way there."""
    email = organisation_email.strip()
    if "@" not in email:
        message = t(request, "Enter your work e-mail address, like name@example.be.")
        return _sign_in_page(request, [("organisation_email", message)], email)
    try:
        started = await apis_of(request).json(
            "identity",
            "POST",
            "/login/organisation",
            json={"email": email},
            client_address=client_address(request),
        )
    except ApiRefused:
        return _sign_in_page(request, [("organisation_email", _failed(request))], email)
    answer = render(
        request,
        "account/continue_to_organisation.html",
        {"authorization_url": started["authorization_url"], "next": safe_next(next)},
    )
    answer.set_cookie(
        _state_cookie(request),
        started["state"],
        path="/",
        max_age=STATE_MINUTES * 60,
        httponly=True,
        samesite="lax",
        secure=_state_cookie(request).startswith("__Host-"),
    )
    answer.headers["cache-control"] = "no-store"
    return answer


@router.get("/sign-in/organisation/callback")
async def callback(request: Request, state: str = "", code: str = "") -> Response:
    """The provider sent the browser back: this browser's state, then identity's verdict."""
    kept = request.cookies.get(_state_cookie(request), "")
    same = bool(kept) and hmac.compare_digest(kept.encode(), state.encode())
    answer: Response
    if not same or not code or len(code) > 2000 or len(state) > 200:
        answer = _sign_in_page(request, [("", _failed(request))], "")
    else:
        try:
            tokens = await apis_of(request).json(
                "identity",
                "POST",
                "/login/organisation/callback",
                json={"state": state, "code": code},
                client_address=client_address(request),
            )
        except ApiRefused:
            answer = _sign_in_page(request, [("", _failed(request))], "")
        else:
            answer = await continue_sign_in(request, tokens, email="", target="/")
    answer.delete_cookie(_state_cookie(request), path="/")
    return answer
