"""What every request to the console passes through: headers, cookies, language, CSRF, the person.

- Security headers on every answer: a strict Content-Security-Policy (no inline script or style,
  no framing), no referrer, no sniffing, and HSTS outside development.
- Cookies: the session cookie (opaque, ``HttpOnly``, ``SameSite=Lax``, ``Secure`` and
  ``__Host-`` outside development) and a CSRF cookie that binds every form's token.
- Every unsafe request needs that token, and a browser's ``Origin``/``Sec-Fetch-Site`` must not
  say it came from another site.
- Timing: each page says how long it waited for the APIs (``Server-Timing``).

How the console answers what a page cannot show is ``errors.py``'s.
"""

import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.console import domain
from services.console.apis import Apis, busy_seconds, calls_of_this_page
from services.console.language import translations
from services.console.sessions import Person, SessionBook
from services.console.settings import ConsoleSettings

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class CookieNames:
    session: str
    csrf: str
    language: str

    @classmethod
    def for_settings(cls, settings: ConsoleSettings) -> "CookieNames":
        prefix = "__Host-" if settings.secure_cookies else ""
        return cls(f"{prefix}pactum_session", f"{prefix}pactum_csrf", f"{prefix}pactum_language")


class SecurityHeaders:
    """Pure ASGI: adds the headers above to every HTTP answer."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.headers = [
            # (no-sniff, no-referrer and no-store come from shared.runtime.RequestContext)
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        ]
        if secure:
            self.headers.append((b"strict-transport-security", b"max-age=63072000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SignInNeeded(Exception):
    """The page needs a signed-in person: go to the sign-in page and come back after."""

    def __init__(self, back_to: str) -> None:
        self.back_to = back_to


class NotYours(Exception):
    """A page of something this person may not see: answered exactly like one that is not there."""


def settings_of(request: Request) -> ConsoleSettings:
    settings: ConsoleSettings = request.app.state.settings
    return settings


def book_of(request: Request) -> SessionBook:
    book: SessionBook = request.app.state.book
    return book


def cookies_of(request: Request) -> CookieNames:
    names: CookieNames = request.app.state.cookies
    return names


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def visitor(request: Request) -> None:
    """Language, CSRF token and (if signed in) the person, on ``request.state`` for the page."""
    names = cookies_of(request)
    person = await book_of(request).person(request.cookies.get(names.session))
    request.state.person = person
    greet(request, person)
    if request.method not in SAFE_METHODS:
        await _check_csrf(request)


def greet(request: Request, person: Person | None = None) -> None:
    """The language and CSRF token a page needs, also for a page no route answered (404)."""
    names = cookies_of(request)
    chosen = (person.language if person else "") or request.cookies.get(names.language)
    request.state.language = domain.choose_language(chosen, request.headers.get("accept-language"))
    binding = request.cookies.get(names.csrf) or ""
    if not binding:
        binding = domain.new_cookie_value()
        request.state.new_csrf_cookie = binding
    request.state.csrf_token = domain.csrf_token(book_of(request).key.csrf, binding)


async def _check_csrf(request: Request) -> None:
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in {"same-origin", "none"}:
        raise HTTPException(403, detail="cross-site request refused")
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        expected = {_origin(str(request.base_url)), _origin(settings_of(request).public_url)}
        if _origin(origin) not in expected:
            raise HTTPException(403, detail="cross-site request refused")
    form = await request.form()
    presented = form.get("csrf_token")
    cookie = request.cookies.get(cookies_of(request).csrf) or ""
    if not isinstance(presented, str) or not domain.csrf_token_matches(
        book_of(request).key.csrf, cookie, presented
    ):
        raise HTTPException(403, detail="csrf token missing or wrong")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def back_to(request: Request) -> str:
    """Where to come back after signing in: this page's path and query, never another site."""
    path = request.url.path
    if request.url.query:
        path = f"{path}?{request.url.query}"
    return quote(path, safe="/?=&")


async def signed_in(request: Request) -> Person:
    person: Person | None = request.state.person
    if person is None:
        raise SignInNeeded(back_to(request) if request.method in SAFE_METHODS else "/")
    return person


async def admin(person: Annotated[Person, Depends(signed_in)]) -> Person:
    if not person.is_admin:
        raise NotYours
    return person


async def operator_admin(person: Annotated[Person, Depends(signed_in)]) -> Person:
    if not (person.is_admin and person.is_operator):
        raise NotYours
    return person


SignedIn = Annotated[Person, Depends(signed_in)]
Admin = Annotated[Person, Depends(admin)]
OperatorAdmin = Annotated[Person, Depends(operator_admin)]


def safe_next(target: str | None) -> str:
    """A local path to go on to, never ``//other.site`` or a scheme."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def apis_of(request: Request) -> Apis:
    apis: Apis = request.app.state.apis
    return apis


def t(request: Request, message: str) -> str:
    """``message`` in the page's language."""
    return translations(request.state.language).gettext(message)


def set_session_cookie(answer: Response, name: str, value: str) -> None:
    answer.set_cookie(
        name, value, path="/", httponly=True, samesite="lax", secure=name.startswith("__Host-")
    )


def go(target: str, *, cookie: tuple[str, str] | None = None, clear: str | None = None) -> Response:
    """See other (303): after every form, so a reload never sends it twice."""
    answer = RedirectResponse(target, status_code=303)
    if cookie is not None:
        set_session_cookie(answer, *cookie)
    if clear is not None:
        answer.delete_cookie(clear, path="/")
    return answer


class CsrfCookie:
    """Pure ASGI: sets the CSRF cookie a new visitor lacks (their forms' tokens are bound to it)."""

    def __init__(self, app: ASGIApp, *, name: str, secure: bool) -> None:
        self.app = app
        self.name = name
        self.secure = "; Secure" if secure else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                value = scope.get("state", {}).get("new_csrf_cookie")
                if value:
                    cookie = f"{self.name}={value}; Path=/; HttpOnly; SameSite=Strict{self.secure}"
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"set-cookie", cookie.encode()),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class ServerTiming:
    """Pure ASGI: each page says how long it waited for the APIs and how long it took in all
    (``Server-Timing: api;dur=…, total;dur=…``), so the console's own cost can be measured."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        calls: list[tuple[float, float]] = []
        token = calls_of_this_page.set(calls)
        started = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                api = busy_seconds(calls) * 1000
                total = (time.perf_counter() - started) * 1000
                value = f'api;dur={api:.2f};desc="{len(calls)} calls", total;dur={total:.2f}'
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", value.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_timing)
        finally:
            calls_of_this_page.reset(token)
