"""Signing in and out, invitations, password resets, and one's own account (issue 11, part 3).

Every step calls identity's public API: the console never sees a password hash, a TOTP secret
after enrolment, or a recovery code after it has shown it once.
"""

import base64
import json
from contextlib import suppress
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response

from services.console.apis import ApiRefused
from services.console.domain import LANGUAGES, Stage
from services.console.render import render
from services.console.web import (
    apis_of,
    book_of,
    client_address,
    cookies_of,
    go,
    safe_next,
    set_session_cookie,
    t,
    visitor,
)

router = APIRouter(dependencies=[Depends(visitor)])


def _sign_in_failed(request: Request) -> str:
    return t(
        request,
        "Sign-in failed: check your e-mail address, password and code, or try again later.",
    )


def _throttled(request: Request) -> str:
    return t(request, "Too many failed attempts from your address; try again later.")


# -- signing in -------------------------------------------------------------------------------


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str = "/") -> Response:
    if request.state.person is not None:
        return go(safe_next(next))
    return render(request, "account/sign_in.html", {"next": safe_next(next)})


@router.post("/sign-in")
async def sign_in(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=1000)] = "/",
) -> Response:
    target = safe_next(next)
    errors = []
    if not email.strip():
        errors.append(("email", t(request, "Enter your e-mail address.")))
    if not password:
        errors.append(("password", t(request, "Enter your password.")))
    if errors:
        return _sign_in_again(request, errors, email, target)
    try:
        answer = await apis_of(request).json(
            "identity",
            "POST",
            "/login",
            json={"email": email.strip(), "password": password},
            client_address=client_address(request),
        )
    except ApiRefused as refused:
        message = _throttled(request) if refused.status == 429 else _sign_in_failed(request)
        return _sign_in_again(request, [("", message)], email, target)
    return await continue_sign_in(request, answer, email=email.strip(), target=target)


def _sign_in_again(
    request: Request, errors: list[tuple[str, str]], email: str, target: str
) -> Response:
    return render(
        request,
        "account/sign_in.html",
        {"errors": errors, "values": {"email": email}, "next": target},
        status=400,
    )


async def continue_sign_in(
    request: Request, answer: dict[str, Any], *, email: str, target: str
) -> Response:
    """After a password: signed in, or on to the second factor or its enrolment."""
    book = book_of(request)
    names = cookies_of(request)
    current = request.cookies.get(names.session)
    if "access_token" in answer:
        cookie = await book.open(answer, language=request.state.language, replacing=current)
        return go(target, cookie=(names.session, cookie))
    stage = Stage.enrolment if answer["next"] == "enrol_second_factor" else Stage.second_factor
    await book.end(current)
    cookie = await book.begin_pending(stage=stage, email=email, challenge=answer["challenge"])
    step = "/sign-in/enrol" if stage is Stage.enrolment else "/sign-in/second-factor"
    # Which steps identity accepts from this person (it enforces them; the page only offers them).
    factors = ",".join(f for f in answer.get("factors", []) if f in FACTORS)
    query = f"next={quote(target, safe='/')}" + (f"&factors={factors}" if factors else "")
    return go(f"{step}?{query}", cookie=(names.session, cookie))


FACTORS = ("passkey", "otp", "rec")


def offered(factors: str) -> tuple[str, ...]:
    """The second steps a page offers: those identity named, or all of them."""
    named = tuple(f for f in factors.split(",") if f in FACTORS)
    return named or FACTORS


@router.get("/sign-in/second-factor")
async def second_factor_page(request: Request, next: str = "/", factors: str = "") -> Response:
    pending = await book_of(request).pending(request.cookies.get(cookies_of(request).session))
    if pending is None or pending.stage is not Stage.second_factor:
        return go("/sign-in")
    context = {"next": safe_next(next), "factors": offered(factors)}
    return render(request, "account/second_factor.html", context)


@router.post("/sign-in/second-factor")
async def second_factor(
    request: Request,
    code: Annotated[str, Form(max_length=20)] = "",
    recovery_code: Annotated[str, Form(max_length=60)] = "",
    next: Annotated[str, Form(max_length=1000)] = "/",
) -> Response:
    book = book_of(request)
    names = cookies_of(request)
    pending = await book.pending(request.cookies.get(names.session))
    if pending is None or pending.stage is not Stage.second_factor:
        return go("/sign-in")
    code, recovery_code = code.replace(" ", "").strip(), recovery_code.strip()
    target = safe_next(next)
    if not code and not recovery_code:
        errors = [("code", t(request, "Enter the 6-digit code from your app, or a recovery code."))]
        context = {"errors": errors, "next": target, "factors": FACTORS}
        return render(request, "account/second_factor.html", context, status=400)
    body: dict[str, str] = {"challenge": pending.challenge}
    if recovery_code:
        body["recovery_code"] = recovery_code
    else:
        body["code"] = code
    try:
        answer = await apis_of(request).json(
            "identity",
            "POST",
            "/login/second-factor",
            json=body,
            client_address=client_address(request),
        )
    except ApiRefused:
        errors = [("code", _sign_in_failed(request))]
        context = {"errors": errors, "next": target, "factors": FACTORS}
        return render(request, "account/second_factor.html", context, status=400)
    cookie = await book.open(
        answer, language=request.state.language, replacing=request.cookies.get(names.session)
    )
    return go(target, cookie=(names.session, cookie))


@router.get("/sign-in/enrol")
async def enrolment_page(request: Request, next: str = "/", factors: str = "") -> Response:
    """The organisation requires a second factor and this person has none yet: set it up now.
    Where it requires a passkey (of admins), only a passkey is offered."""
    pending = await book_of(request).pending(request.cookies.get(cookies_of(request).session))
    if pending is None or pending.stage is not Stage.enrolment:
        return go("/sign-in")
    if "otp" not in offered(factors):
        return render(request, "account/set_up_passkey.html", {"next": safe_next(next)})
    try:
        enrolment = await apis_of(request).json(
            "identity", "POST", "/login/enrolment", json={"challenge": pending.challenge}
        )
    except ApiRefused:
        return go("/sign-in?ended=1")
    return render(
        request,
        "account/set_up_second_factor.html",
        {
            "enrolment": enrolment_shown(enrolment),
            "action": "/sign-in/enrol",
            "next": safe_next(next),
            "passkey_instead": True,
        },
    )


@router.post("/sign-in/enrol")
async def enrol(
    request: Request,
    code: Annotated[str, Form(max_length=20)] = "",
    qr: Annotated[str, Form(max_length=100_000)] = "",
    secret: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=1000)] = "/",
) -> Response:
    book = book_of(request)
    names = cookies_of(request)
    pending = await book.pending(request.cookies.get(names.session))
    if pending is None or pending.stage is not Stage.enrolment:
        return go("/sign-in")
    code = code.replace(" ", "").strip()
    try:
        answer = await apis_of(request).json(
            "identity",
            "POST",
            "/login/enrolment",
            json={"challenge": pending.challenge, "code": code},
        )
    except ApiRefused:
        shown = {"qr": qr, "secret": secret, "secret_grouped": _grouped(secret)}
        if not qr.startswith(QR_PREFIX):
            return go(f"/sign-in/enrol?next={quote(safe_next(next), safe='/')}")
        errors = [
            ("code", t(request, "That code is not right. Enter the code your app shows now."))
        ]
        return render(
            request,
            "account/set_up_second_factor.html",
            {
                "enrolment": shown,
                "action": "/sign-in/enrol",
                "next": safe_next(next),
                "errors": errors,
            },
            status=400,
        )
    codes = answer.pop("recovery_codes", None) or []
    cookie = await book.open(
        answer, language=request.state.language, replacing=request.cookies.get(names.session)
    )
    request.state.person = await book.person(cookie)
    response = render(request, "account/recovery_codes.html", codes_context(codes, safe_next(next)))
    set_session_cookie(response, names.session, cookie)
    return response


QR_PREFIX = "data:image/svg+xml;base64,"


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def enrolment_shown(enrolment: dict[str, Any]) -> dict[str, str]:
    """The QR code as an image (an ``<img>`` of SVG: no inline markup for the CSP to refuse)."""
    svg_text = str(enrolment["qr_svg"])
    if "xmlns=" not in svg_text.split(">", 1)[0]:  # inline SVG: an image needs its namespace
        svg_text = svg_text.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    svg = svg_text.encode()
    secret = enrolment["secret"]
    return {
        "qr": QR_PREFIX + base64.b64encode(svg).decode(),
        "secret": secret,
        "secret_grouped": _grouped(secret),
    }


def codes_context(codes: list[str], next_page: str) -> dict[str, Any]:
    text = "pactum recovery codes\n\n" + "\n".join(codes) + "\n"
    return {
        "codes": codes,
        "download": "data:text/plain;charset=utf-8;base64,"
        + base64.b64encode(text.encode()).decode(),
        "next": next_page,
    }


# -- passkeys ---------------------------------------------------------------------------------


@router.post("/sign-in/passkey/options")
async def passkey_options(request: Request) -> Response:
    """Identity's options for ``navigator.credentials.get``: for the second step after the
    password, or for a passwordless sign-in (identity decides whether the organisation allows
    it)."""
    pending = await book_of(request).pending(request.cookies.get(cookies_of(request).session))
    apis = apis_of(request)
    try:
        if pending is not None and pending.stage is Stage.enrolment:
            options = await apis.json(
                "identity",
                "POST",
                "/login/enrolment/passkey/options",
                json={"challenge": pending.challenge},
            )
        else:
            second = pending is not None and pending.stage is Stage.second_factor
            body = {"challenge": pending.challenge} if second and pending else {}
            options = await apis.json("identity", "POST", "/login/passkey/options", json=body)
    except ApiRefused:
        return JSONResponse({"detail": "sign in again"}, status_code=401)
    return JSONResponse(options, headers={"cache-control": "no-store"})


@router.post("/sign-in/passkey")
async def sign_in_with_passkey(
    request: Request,
    credential: Annotated[str, Form(max_length=20_000)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=1000)] = "/",
) -> Response:
    """The browser's answer: a passkey as the second step, a passkey registered during the
    sign-in, or a passwordless sign-in."""
    book = book_of(request)
    names = cookies_of(request)
    target = safe_next(next)
    pending = await book.pending(request.cookies.get(names.session))
    answer = browser_answer(credential)
    codes: list[str] = []
    tokens = None
    if answer is not None:
        try:
            if pending is not None and pending.stage is Stage.enrolment:
                body = {
                    "challenge": pending.challenge,
                    "credential": answer,
                    "name": name.strip() or t(request, "Passkey"),
                }
                tokens = await apis_of(request).json(
                    "identity", "POST", "/login/enrolment/passkey", json=body
                )
                codes = tokens.pop("recovery_codes", None) or []
            else:
                second = pending is not None and pending.stage is Stage.second_factor
                body = {"credential": answer} | (
                    {"challenge": pending.challenge} if second and pending else {}
                )
                tokens = await apis_of(request).json(
                    "identity",
                    "POST",
                    "/login/passkey",
                    json=body,
                    client_address=client_address(request),
                )
        except ApiRefused:
            tokens = None
    if tokens is None:
        message = t(request, "Sign-in with your passkey failed. Try again, or use another way.")
        if pending is not None and pending.stage is Stage.second_factor:
            context = {"errors": [("", message)], "next": target, "factors": FACTORS}
            return render(request, "account/second_factor.html", context, status=400)
        if pending is not None and pending.stage is Stage.enrolment:
            context = {"errors": [("", message)], "next": target}
            return render(request, "account/set_up_passkey.html", context, status=400)
        return _sign_in_again(request, [("", message)], "", target)
    cookie = await book.open(
        tokens, language=request.state.language, replacing=request.cookies.get(names.session)
    )
    if not codes:
        return go(target, cookie=(names.session, cookie))
    request.state.person = await book.person(cookie)
    response = render(request, "account/recovery_codes.html", codes_context(codes, target))
    set_session_cookie(response, names.session, cookie)
    return response


def browser_answer(credential: str) -> dict[str, Any] | None:
    """The browser's answer as console.js posted it (``credential.toJSON()``), or None."""
    try:
        answer = json.loads(credential)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """Ends the identity session (every service refuses its tokens at once) and this one."""
    names = cookies_of(request)
    person = request.state.person
    if person is not None:
        with suppress(ApiRefused):  # already ended in identity
            await apis_of(request).call(
                "identity", "POST", "/sessions/logout", token=person.access_token
            )
    await book_of(request).end(request.cookies.get(names.session))
    return go("/sign-in?done=signed_out", clear=names.session)


@router.post("/language")
async def choose_language(
    request: Request,
    language: Annotated[str, Form(max_length=5)] = "",
    next: Annotated[str, Form(max_length=1000)] = "/",
) -> Response:
    if language not in LANGUAGES:
        return go(safe_next(next))
    names = cookies_of(request)
    await book_of(request).set_language(request.cookies.get(names.session), language)
    answer = go(safe_next(next))
    answer.set_cookie(
        names.language,
        language,
        path="/",
        httponly=True,
        samesite="lax",
        secure=names.language.startswith("__Host-"),
        max_age=365 * 24 * 3600,
    )
    return answer
