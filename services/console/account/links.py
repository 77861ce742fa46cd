"""The pages behind the links identity mails: an invitation, a password reset, a new address.

The link carries its secret in the fragment (``/account/invitation#token=…``), which no server,
proxy or log ever sees. A small script moves it into the page's form and wipes it from the
address bar; without JavaScript, the page asks for the code after ``#token=`` instead.
"""

from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from services.console.account.sign_in import continue_sign_in
from services.console.apis import ApiRefused
from services.console.render import render
from services.console.web import apis_of, client_address, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

Token = Annotated[str, Form(max_length=200)]
Password = Annotated[str, Form(max_length=1024)]


def _link_refused(request: Request) -> str:
    return t(request, "This link is invalid, used or expired. Ask for a new one.")


def _password_problems(request: Request, password: str, repeated: str) -> list[tuple[str, str]]:
    if not password:
        return [("password", t(request, "Choose a password."))]
    if password != repeated:
        return [("password_repeated", t(request, "The two passwords are not the same."))]
    return []


async def _inspect(request: Request, path: str, token: str) -> dict[str, Any] | None:
    try:
        found = await apis_of(request).json("identity", "POST", path, json={"token": token})
    except ApiRefused:
        return None
    return found if isinstance(found, dict) else None


# -- invitation -------------------------------------------------------------------------------


@router.get("/account/invitation")
async def invitation_page(request: Request) -> Response:
    """The link's landing page: it waits for the token from the fragment (or typed in)."""
    return render(request, "account/open_link.html", {"purpose": "invitation"})


@router.post("/account/invitation/open")
async def open_invitation(request: Request, token: Token = "") -> Response:
    """Who invited me, to which organisation, and the password rules: then the form."""
    token = token.strip()
    invitation = await _inspect(request, "/invitations/inspect", token) if token else None
    if invitation is None:
        errors = [("token", _link_refused(request))]
        return render(
            request,
            "account/open_link.html",
            {"purpose": "invitation", "errors": errors},
            status=400,
        )
    return render(
        request, "account/accept_invitation.html", {"invitation": invitation, "token": token}
    )


@router.post("/account/invitation")
async def accept_invitation(
    request: Request, token: Token = "", password: Password = "", password_repeated: Password = ""
) -> Response:
    invitation = await _inspect(request, "/invitations/inspect", token.strip())
    if invitation is None:
        errors = [("token", _link_refused(request))]
        return render(
            request,
            "account/open_link.html",
            {"purpose": "invitation", "errors": errors},
            status=400,
        )
    errors = _password_problems(request, password, password_repeated)
    if not errors:
        try:
            await apis_of(request).call(
                "identity",
                "POST",
                "/invitations/accept",
                json={"token": token.strip(), "password": password},
            )
        except ApiRefused as refused:
            errors = [("password", _policy_refusal(request, refused))]
    if errors:
        context = {"invitation": invitation, "token": token.strip(), "errors": errors}
        return render(request, "account/accept_invitation.html", context, status=400)
    # The account is active: sign straight in, on to the second factor if the policy wants one.
    try:
        answer = await apis_of(request).json(
            "identity",
            "POST",
            "/login",
            json={"email": invitation["email"], "password": password},
            client_address=client_address(request),
        )
    except ApiRefused:
        return go("/sign-in")
    return await continue_sign_in(request, answer, email=invitation["email"], target="/account")


def _policy_refusal(request: Request, refused: ApiRefused) -> str:
    if refused.status == 400:
        return _link_refused(request)
    return t(request, "This password cannot be used: %(reason)s") % {"reason": refused.detail}


# -- password reset ---------------------------------------------------------------------------


@router.get("/account/reset")
async def reset_page(request: Request) -> Response:
    """Ask for a reset link; with a link's token in the fragment, choose the new password."""
    return render(request, "account/reset_password.html", {"stage": "request"})


@router.post("/account/reset/request")
async def request_reset(
    request: Request, email: Annotated[str, Form(max_length=254)] = ""
) -> Response:
    if not email.strip() or "@" not in email:
        errors = [("email", t(request, "Enter the e-mail address of your account."))]
        context = {"stage": "request", "errors": errors, "values": {"email": email}}
        return render(request, "account/reset_password.html", context, status=400)
    # The answer is the same whether or not the account exists (or the address is refused).
    with suppress(ApiRefused):
        await apis_of(request).call(
            "identity",
            "POST",
            "/password-reset",
            json={"email": email.strip()},
            client_address=client_address(request),
        )
    return render(request, "account/reset_password.html", {"stage": "requested"})


@router.post("/account/reset/open")
async def open_reset(request: Request, token: Token = "") -> Response:
    token = token.strip()
    reset = await _inspect(request, "/password-reset/inspect", token) if token else None
    if reset is None:
        errors = [("token", _link_refused(request))]
        return render(
            request, "account/open_link.html", {"purpose": "reset", "errors": errors}, status=400
        )
    return render(
        request, "account/reset_password.html", {"stage": "choose", "reset": reset, "token": token}
    )


@router.post("/account/reset")
async def complete_reset(
    request: Request, token: Token = "", password: Password = "", password_repeated: Password = ""
) -> Response:
    reset = await _inspect(request, "/password-reset/inspect", token.strip())
    if reset is None:
        errors = [("token", _link_refused(request))]
        return render(
            request, "account/open_link.html", {"purpose": "reset", "errors": errors}, status=400
        )
    errors = _password_problems(request, password, password_repeated)
    if not errors:
        try:
            await apis_of(request).call(
                "identity",
                "POST",
                "/password-reset/complete",
                json={"token": token.strip(), "password": password},
            )
        except ApiRefused as refused:
            errors = [("password", _policy_refusal(request, refused))]
    if errors:
        context = {"stage": "choose", "reset": reset, "token": token.strip(), "errors": errors}
        return render(request, "account/reset_password.html", context, status=400)
    return go("/sign-in?done=reset_done")


# -- a new sign-in address ----------------------------------------------------------------------


@router.get("/account/email")
async def email_page(request: Request) -> Response:
    """The link mailed to a new address: it waits for the token from the fragment (or typed in)."""
    return render(request, "account/open_link.html", {"purpose": "email"})


@router.post("/account/email")
async def confirm_email(request: Request, token: Token = "") -> Response:
    """Using the link proves the new address: from now on the account signs in with it."""
    problem = _link_refused(request)
    if token.strip():
        try:
            await apis_of(request).call(
                "identity", "POST", "/email-change/confirm", json={"token": token.strip()}
            )
        except ApiRefused as refused:
            if refused.status == 409:
                problem = t(
                    request,
                    "This address cannot be used for your account. Ask for the change again "
                    "with another address.",
                )
        else:  # the person may read the mail where they are signed in, or elsewhere
            signed_in = getattr(request.state, "person", None) is not None
            return go(f"{'/account' if signed_in else '/sign-in'}?done=email_changed")
    return render(
        request,
        "account/open_link.html",
        {"purpose": "email", "errors": [("token", problem)]},
        status=400,
    )
