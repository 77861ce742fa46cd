"""One's own account: password, second factor, passkeys, recovery codes, sessions."""

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response

from services.console.account.sign_in import (
    QR_PREFIX,
    browser_answer,
    codes_context,
    enrolment_shown,
)
from services.console.apis import ApiRefused
from services.console.render import render
from services.console.web import SignedIn, apis_of, book_of, cookies_of, go, safe_next, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

CONFIRM_FIRST = "/account/confirm?next=/account"


def needs_confirmation(refused: ApiRefused) -> bool:
    """Identity asks for a recent sign-in (step-up) before this change."""
    return refused.status == 403 and "/me/step-up" in refused.detail


Password = Annotated[str, Form(max_length=1024)]


async def _account(request: Request, person: SignedIn) -> dict[str, Any]:
    apis = apis_of(request)
    me, sessions, passkeys, policy = await asyncio.gather(
        apis.json("identity", "GET", "/me", token=person.access_token),
        apis.json("identity", "GET", "/me/sessions", token=person.access_token),
        apis.json("identity", "GET", "/me/passkeys", token=person.access_token),
        _policy(request, person),
    )
    return {
        "me": me,
        "sessions": sessions["items"],
        "passkeys": passkeys["items"],
        "policy": policy,
    }


async def _policy(request: Request, person: SignedIn) -> dict[str, Any] | None:
    """The organisation's password policy, where the person may read it (admins)."""
    if not person.is_admin:
        return None
    found = await apis_of(request).json("identity", "GET", "/policy", token=person.access_token)
    return found if isinstance(found, dict) else None


@router.get("/account")
async def account_page(request: Request, person: SignedIn) -> Response:
    return render(request, "account/my_account.html", await _account(request, person))


@router.post("/account/password")
async def change_password(
    request: Request,
    person: SignedIn,
    current_password: Password = "",
    new_password: Password = "",
    new_password_repeated: Password = "",
    end_other_sessions: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    errors: list[tuple[str, str]] = []
    if not current_password:
        errors.append(("current_password", t(request, "Enter your current password.")))
    if not new_password:
        errors.append(("new_password", t(request, "Choose a new password.")))
    elif new_password != new_password_repeated:
        errors.append(("new_password_repeated", t(request, "The two passwords are not the same.")))
    if not errors:
        try:
            await apis_of(request).call(
                "identity",
                "POST",
                "/me/password",
                token=person.access_token,
                json={
                    "current_password": current_password,
                    "new_password": new_password,
                    "end_other_sessions": bool(end_other_sessions),
                },
            )
        except ApiRefused as refused:
            if needs_confirmation(refused):
                return go(CONFIRM_FIRST)
            if refused.status == 400:
                errors.append(
                    ("current_password", t(request, "The current password is not correct."))
                )
            else:
                message = t(request, "This password cannot be used: %(reason)s")
                errors.append(("new_password", message % {"reason": refused.detail}))
    if errors:
        context = await _account(request, person)
        context["errors"] = errors
        return render(request, "account/my_account.html", context, status=400)
    return go("/account?done=password_changed")


@router.post("/account/email-change")
async def change_email(
    request: Request,
    person: SignedIn,
    new_email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """Ask for another sign-in address: identity mails a link to it (after a recent sign-in)."""
    address = new_email.strip()
    errors: list[tuple[str, str]] = []
    if "@" not in address or " " in address or len(address) < 3:
        errors.append(
            ("new_email", t(request, "Enter the new e-mail address, like jan@example.be."))
        )
    else:
        try:
            await apis_of(request).call(
                "identity", "POST", "/me/email", token=person.access_token, json={"email": address}
            )
        except ApiRefused as refused:
            if needs_confirmation(refused):
                return go(CONFIRM_FIRST)
            if refused.status not in (400, 422):
                raise
            message = t(request, "This address cannot be used: %(reason)s")
            errors.append(("new_email", message % {"reason": refused.detail}))
    if errors:
        context = await _account(request, person)
        context |= {"errors": errors, "values": {"new_email": address}}
        return render(request, "account/my_account.html", context, status=400)
    return go("/account?done=email_change_sent")


@router.post("/account/second-factor")
async def start_second_factor(request: Request, person: SignedIn) -> Response:
    """Set up an authenticator app: its QR code and key, then a first code to confirm."""
    try:
        enrolment = await apis_of(request).json(
            "identity", "POST", "/me/mfa/totp", token=person.access_token
        )
    except ApiRefused as refused:
        if refused.status == 409:
            return go("/account")
        raise
    context = {"enrolment": enrolment_shown(enrolment), "action": "/account/second-factor/confirm"}
    return render(request, "account/set_up_second_factor.html", context | {"next": "/account"})


@router.post("/account/second-factor/confirm")
async def confirm_second_factor(
    request: Request,
    person: SignedIn,
    code: Annotated[str, Form(max_length=20)] = "",
    qr: Annotated[str, Form(max_length=100_000)] = "",
    secret: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        answer = await apis_of(request).json(
            "identity",
            "POST",
            "/me/mfa/totp/confirm",
            token=person.access_token,
            json={"code": code.replace(" ", "").strip()},
        )
    except ApiRefused as refused:
        if refused.status == 409 or not qr.startswith(QR_PREFIX):
            return go("/account")
        shown = {"qr": qr, "secret": secret, "secret_grouped": secret}
        errors = [
            ("code", t(request, "That code is not right. Enter the code your app shows now."))
        ]
        context = {
            "enrolment": shown,
            "action": "/account/second-factor/confirm",
            "next": "/account",
            "errors": errors,
        }
        return render(request, "account/set_up_second_factor.html", context, status=400)
    return render(
        request, "account/recovery_codes.html", codes_context(answer["recovery_codes"], "/account")
    )


@router.post("/account/recovery-codes")
async def new_recovery_codes(request: Request, person: SignedIn) -> Response:
    """New codes; the old ones stop working. Shown once, never stored by the console."""
    try:
        answer = await apis_of(request).json(
            "identity", "POST", "/me/mfa/recovery-codes", token=person.access_token
        )
    except ApiRefused as refused:
        if needs_confirmation(refused):
            return go(CONFIRM_FIRST)
        raise
    return render(
        request, "account/recovery_codes.html", codes_context(answer["recovery_codes"], "/account")
    )


@router.post("/account/sessions/{session_id}/end")
async def end_session(request: Request, person: SignedIn, session_id: uuid.UUID) -> Response:
    """Sign out one device everywhere; ending this very session signs out here too."""
    try:
        await apis_of(request).call(
            "identity", "DELETE", f"/me/sessions/{session_id}", token=person.access_token
        )
    except ApiRefused as refused:
        if refused.status != 404:
            raise
    if str(session_id) == person.identity_session_id:
        names = cookies_of(request)
        await book_of(request).end(request.cookies.get(names.session))
        return go("/sign-in?done=signed_out", clear=names.session)
    return go("/account?done=session_ended")


# -- passkeys ---------------------------------------------------------------------------------

Credential = Annotated[str, Form(max_length=20_000)]
PasskeyName = Annotated[str, Form(max_length=200)]


async def _account_again(
    request: Request, person: SignedIn, errors: list[tuple[str, str]]
) -> Response:
    context = await _account(request, person)
    context["errors"] = errors
    return render(request, "account/my_account.html", context, status=400)


@router.post("/account/passkeys/options")
async def passkey_options(request: Request, person: SignedIn) -> Response:
    """Identity's options for ``navigator.credentials.create`` (console.js asks for them)."""
    try:
        options = await apis_of(request).json(
            "identity", "POST", "/me/passkeys/options", token=person.access_token
        )
    except ApiRefused as refused:
        if needs_confirmation(refused):  # console.js goes there
            return JSONResponse({"confirm": CONFIRM_FIRST}, status_code=403)
        raise
    return JSONResponse(options, headers={"cache-control": "no-store"})


@router.post("/account/passkeys")
async def add_passkey(
    request: Request, person: SignedIn, credential: Credential = "", name: PasskeyName = ""
) -> Response:
    answer = browser_answer(credential)
    if answer is None:
        message = t(request, "Your browser did not make a passkey. Try again.")
        return await _account_again(request, person, [("passkey_name", message)])
    try:
        added = await apis_of(request).json(
            "identity",
            "POST",
            "/me/passkeys",
            token=person.access_token,
            json={"credential": answer, "name": name.strip() or t(request, "Passkey")},
        )
    except ApiRefused as refused:
        if needs_confirmation(refused):
            return go(CONFIRM_FIRST)
        message = (
            t(request, "Give the passkey a name of at most 60 characters.")
            if refused.status == 422
            else t(request, "The passkey could not be added. Try again.")
        )
        return await _account_again(request, person, [("passkey_name", message)])
    if added.get("recovery_codes"):  # the first second step: its recovery codes, shown once
        return render(
            request,
            "account/recovery_codes.html",
            codes_context(added["recovery_codes"], "/account"),
        )
    return go("/account?done=passkey_added")


@router.post("/account/passkeys/{passkey_id}/rename")
async def rename_passkey(
    request: Request, person: SignedIn, passkey_id: uuid.UUID, name: PasskeyName = ""
) -> Response:
    try:
        await apis_of(request).call(
            "identity",
            "PATCH",
            f"/me/passkeys/{passkey_id}",
            token=person.access_token,
            json={"name": name.strip()},
        )
    except ApiRefused as refused:
        if refused.status == 404:
            return go("/account")
        message = t(request, "Give the passkey a name of at most 60 characters.")
        return await _account_again(request, person, [(f"name-{passkey_id}", message)])
    return go("/account?done=saved")


@router.post("/account/passkeys/{passkey_id}/remove")
async def remove_passkey(request: Request, person: SignedIn, passkey_id: uuid.UUID) -> Response:
    try:
        await apis_of(request).call(
            "identity", "DELETE", f"/me/passkeys/{passkey_id}", token=person.access_token
        )
    except ApiRefused as refused:
        if needs_confirmation(refused):
            return go(CONFIRM_FIRST)
        if refused.status != 409:
            return go("/account")
        message = t(
            request,
            "Your organisation requires this second step. Set up another one before you remove "
            "this passkey.",
        )
        return await _account_again(request, person, [("", message)])
    return go("/account?done=passkey_removed")


# -- confirming it is you (step-up) -----------------------------------------------------------


async def _confirm_page(
    request: Request, person: SignedIn, target: str, errors: list[tuple[str, str]] | None = None
) -> Response:
    apis = apis_of(request)
    me, passkeys = await asyncio.gather(
        apis.json("identity", "GET", "/me", token=person.access_token),
        apis.json("identity", "GET", "/me/passkeys", token=person.access_token),
    )
    context = {
        "next": target,
        "second_step": me["mfa_enrolled"],
        "has_passkey": bool(passkeys["items"]),
        "errors": errors or [],
    }
    return render(request, "account/confirm.html", context, status=400 if errors else 200)


@router.get("/account/confirm")
async def confirm_page(request: Request, person: SignedIn, next: str = "/account") -> Response:
    """Changes to how one signs in need a sign-in of the last few minutes: prove it again."""
    return await _confirm_page(request, person, safe_next(next))


@router.post("/account/confirm/options")
async def confirm_options(request: Request, person: SignedIn) -> Response:
    options = await apis_of(request).json(
        "identity", "POST", "/me/step-up/options", token=person.access_token
    )
    return JSONResponse(options, headers={"cache-control": "no-store"})


@router.post("/account/confirm")
async def confirm(
    request: Request,
    person: SignedIn,
    password: Password = "",
    passkey_password: Password = "",
    code: Annotated[str, Form(max_length=20)] = "",
    recovery_code: Annotated[str, Form(max_length=60)] = "",
    credential: Credential = "",
    next: Annotated[str, Form(max_length=1000)] = "/account",
) -> Response:
    target = safe_next(next)
    password = password or passkey_password  # the passkey's form has a password of its own
    body: dict[str, Any] = {"password": password}
    answer = browser_answer(credential) if credential else None
    code = code.replace(" ", "").strip()
    if answer is not None:
        body["credential"] = answer
    elif code:
        body["code"] = code
    elif recovery_code.strip():
        body["recovery_code"] = recovery_code.strip()
    if not password:
        message = t(request, "Enter your password.")
        return await _confirm_page(request, person, target, [("password", message)])
    try:
        await apis_of(request).call(
            "identity", "POST", "/me/step-up", token=person.access_token, json=body
        )
    except ApiRefused:
        message = t(request, "That did not match. Check your password and code, and try again.")
        return await _confirm_page(request, person, target, [("password", message)])
    separator = "&" if "?" in target else "?"
    return go(f"{target}{separator}done=confirmed")
