"""Composition root of the console: wiring only."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine

from services.console import errors
from services.console.apis import Apis
from services.console.domain import Lifetimes
from services.console.keys import ConsoleKey
from services.console.migrations import MIGRATIONS
from services.console.routes import ROUTERS
from services.console.sessions import SessionBook
from services.console.settings import ConsoleSettings
from services.console.web import CookieNames, CsrfCookie, SecurityHeaders, ServerTiming
from shared.body_limit import BodyLimit
from shared.database import is_reachable, service_engine, session_factory
from shared.metrics import CONTENT_TYPE, ServiceMetrics
from shared.migrations import migrate
from shared.pseudonyms import Pseudonyms, load_or_create_key
from shared.runtime import RequestContext, stop_tasks
from shared.settings import ServiceSettings
from shared.telemetry import build_tracer_provider, trace_outgoing

log = structlog.get_logger("pactum.console")

STATIC_DIR = Path(__file__).parent / "static"
SWEEP_SECONDS = 300.0

__all__ = ["ConsoleSettings", "create_app"]


def create_app(settings: ServiceSettings | None = None, *, apis: Apis | None = None) -> FastAPI:
    """The console app; ``apis`` lets tests route calls to in-process services."""
    if not isinstance(settings, ConsoleSettings):
        settings = ConsoleSettings(**(settings.model_dump() if settings else {}))
    tracer_provider = build_tracer_provider(settings.service)
    metrics = ServiceMetrics(settings.service)
    engine = service_engine(settings)
    apis = apis or Apis(settings)
    # Calls to the four APIs continue the page's trace; measured as http.client.request.duration.
    trace_outgoing(apis.http, tracer_provider=tracer_provider, meter_provider=metrics.provider)
    book = _session_book(settings, engine, apis)
    app = FastAPI(
        title="pactum console",
        version="0.1.0",
        lifespan=_lifespan(settings, engine, book, apis, tracer_provider, metrics),
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
    app.include_router(_probes(engine, metrics))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    errors.install(app)
    _add_middleware(app, settings, metrics)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        excluded_urls="healthz,readyz,metrics,static",
        exclude_spans=["receive", "send"],
    )
    return app


def _session_book(settings: ConsoleSettings, engine: AsyncEngine, apis: Apis) -> SessionBook:
    return SessionBook(
        session_factory(engine),
        key=ConsoleKey.from_file(settings.key_path),
        apis=apis,
        lifetimes=Lifetimes(
            session=timedelta(hours=settings.session_hours),
            idle=timedelta(minutes=settings.idle_minutes),
        ),
    )


def _lifespan(
    settings: ConsoleSettings,
    engine: AsyncEngine,
    book: SessionBook,
    apis: Apis,
    tracer_provider: TracerProvider,
    metrics: ServiceMetrics,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Migrate, sweep ended sessions every ``SWEEP_SECONDS`` while running; close all at the end."""

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

    return lifespan


def _probes(engine: AsyncEngine, metrics: ServiceMetrics) -> APIRouter:
    """Liveness, readiness (the database answers) and the metrics, outside any page."""
    probes = APIRouter()

    @probes.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @probes.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        ready = await is_reachable(engine)
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": {"database": ready}},
            status_code=200 if ready else 503,
        )

    @probes.get("/metrics", include_in_schema=False)
    async def metrics_text() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return probes


def _add_middleware(app: FastAPI, settings: ConsoleSettings, metrics: ServiceMetrics) -> None:
    """The middleware, innermost first."""
    # Before any form is read (the routes read them), inside the security headers: a browser
    # sent too large a form gets a page under the same Content-Security-Policy as every other.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, page=errors.too_large_page)
    app.add_middleware(CsrfCookie, name=app.state.cookies.csrf, secure=settings.secure_cookies)
    app.add_middleware(SecurityHeaders, secure=settings.secure_cookies)
    app.add_middleware(ServerTiming)
    app.add_middleware(
        RequestContext,
        service=settings.service,
        metrics=metrics,
        pseudonyms=Pseudonyms(load_or_create_key(settings.pseudonym_key_path)),
    )
