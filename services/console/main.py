"""Composition root of the console: wiring only."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.console import render as pages
from services.console.apis import (
    ApiRefused,
    Apis,
    NotSignedIn,
    ServiceUnavailable,
    busy_seconds,
    calls_of_this_page,
)
from services.console.domain import Lifetimes
from services.console.keys import ConsoleKey
from services.console.migrations import MIGRATIONS
from services.console.routes import ROUTERS
from services.console.sessions import SessionBook
from services.console.settings import ConsoleSettings
from services.console.web import CookieNames, NotYours, SecurityHeaders, SignInNeeded, greet
from shared.body_limit import BodyLimit
from shared.database import create_engine, is_reachable, session_factory
from shared.metrics import CONTENT_TYPE, ServiceMetrics
from shared.migrations import migrate
from shared.runtime import RequestContext, stop_tasks
from shared.settings import ServiceSettings
from shared.telemetry import build_tracer_provider, trace_outgoing

log = structlog.get_logger("pactum.console")

STATIC_DIR = Path(__file__).parent / "static"
SWEEP_SECONDS = 300.0

__all__ = ["ConsoleSettings", "create_app"]


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


def create_app(settings: ServiceSettings | None = None, *, apis: Apis | None = None) -> FastAPI:
    """The console app; ``apis`` lets tests route calls to in-process services."""
    if not isinstance(settings, ConsoleSettings):
        settings = ConsoleSettings(**(settings.model_dump() if settings else {}))
    tracer_provider = build_tracer_provider(settings.service)
    metrics = ServiceMetrics(settings.service)
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    apis = apis or Apis(settings)
    # Calls to the four APIs continue the page's trace; measured as http.client.request.duration.
    trace_outgoing(apis.http, tracer_provider=tracer_provider, meter_provider=metrics.provider)
    book = SessionBook(
        session_factory(engine),
        key=ConsoleKey.from_file(settings.key_path),
        apis=apis,
        lifetimes=Lifetimes(
            session=timedelta(hours=settings.session_hours),
            idle=timedelta(minutes=settings.idle_minutes),
        ),
    )

    async def sweep() -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            with suppress(Exception):
                await book.sweep()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await migrate(settings, engine, MIGRATIONS.tables)
        tasks = [asyncio.create_task(sweep(), name="console-session-sweep")]
        log.info("service.started", service=settings.service, port=settings.port)
        try:
            yield
        finally:
            await stop_tasks(tasks)
            await apis.close()
            await engine.dispose()
            tracer_provider.shutdown()
            metrics.shutdown()
            log.info("service.stopped", service=settings.service)

    app = FastAPI(
        title="pactum console",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.book = book
    app.state.apis = apis
    app.state.cookies = CookieNames.for_settings(settings)
    app.state.engine = engine
    app.state.metrics = metrics

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        ready = await is_reachable(engine)
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": {"database": ready}},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics_text() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _install_answers(app)
    # Before any form is read (the routes read them), inside the security headers: a browser
    # sent too large a form gets a page under the same Content-Security-Policy as every other.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, page=_too_large_page)
    app.add_middleware(CsrfCookie, name=app.state.cookies.csrf, secure=settings.secure_cookies)
    app.add_middleware(SecurityHeaders, secure=settings.secure_cookies)
    app.add_middleware(ServerTiming)
    app.add_middleware(RequestContext, service=settings.service, metrics=metrics)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        excluded_urls="healthz,readyz,metrics,static",
        exclude_spans=["receive", "send"],
    )
    return app


def _install_answers(app: FastAPI) -> None:
    """How the console answers what a page cannot show: a page, never a stack trace or JSON."""

    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(_request: Request, error: SignInNeeded) -> Response:
        return RedirectResponse(f"/sign-in?next={error.back_to}", status_code=303)

    @app.exception_handler(NotSignedIn)
    async def ended(request: Request, _error: NotSignedIn) -> Response:
        book: SessionBook = request.app.state.book
        names: CookieNames = request.app.state.cookies
        await book.end(request.cookies.get(names.session))
        answer = RedirectResponse("/sign-in?ended=1", status_code=303)
        answer.delete_cookie(names.session, path="/")
        return answer

    @app.exception_handler(NotYours)
    async def not_yours(request: Request, _error: NotYours) -> Response:
        return _not_found(request)

    @app.exception_handler(ApiRefused)
    async def refused(request: Request, error: ApiRefused) -> Response:
        if error.status in (403, 404, 422) and _renderable(request):
            return _not_found(request)
        return pages.render(request, "problem.html", {"status": error.status}, status=400)

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(request: Request, error: ServiceUnavailable) -> Response:
        if not _renderable(request):
            return JSONResponse({"detail": "unavailable"}, status_code=503)
        return pages.render(request, "unavailable.html", {"service": error.service}, status=503)

    @app.exception_handler(404)
    async def missing(request: Request, _error: Exception) -> Response:
        if not _renderable(request):
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return _not_found(request)

    @app.exception_handler(HTTPException)
    async def http_problem(request: Request, error: HTTPException) -> Response:
        if not _renderable(request):
            return JSONResponse({"detail": "refused"}, status_code=error.status_code)
        return pages.render(
            request, "problem.html", {"status": error.status_code}, status=error.status_code
        )


async def _too_large_page(scope: Scope, receive: Receive, send: Send) -> None:
    """413 as a page in the visitor's language, for a form larger than the console accepts (its
    body was never read: the connection closes after the answer)."""
    request = Request(scope, receive)
    greet(request)
    settings: ConsoleSettings = request.app.state.settings
    answer = pages.render(
        request, "too_large.html", {"limit": size_in_words(settings.max_body_bytes)}, status=413
    )
    answer.headers["connection"] = "close"
    await answer(scope, receive, send)


def size_in_words(size: int) -> str:
    """A size people read: "1 MB", "8 kB"."""
    megabyte = 1024 * 1024
    if size >= megabyte and size % megabyte == 0:
        return f"{size // megabyte} MB"
    return f"{-(-size // 1024)} kB"


def _renderable(request: Request) -> bool:
    """Pages get a page; the probes and static files keep their plain answers."""
    if request.url.path.startswith("/static/"):
        return False
    if not hasattr(request.state, "csrf_token"):
        greet(request)
    return True


def _not_found(request: Request) -> Response:
    return pages.render(request, "not_found.html", status=404)
