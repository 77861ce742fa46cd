"""Composition root of the notifier service: wiring only."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from services.notifier import api, errors, evidence_api, link_redirects, retention, webhook_payloads
from services.notifier.consumers import DURABLE, notice_handler
from services.notifier.dispatch import Dispatcher, delivery_counter
from services.notifier.identity_client import IdentityDirectory
from services.notifier.migrations import MIGRATIONS
from services.notifier.plans import planned_subjects
from services.notifier.secret_seal import SecretSeal
from services.notifier.service import seal_clear_secrets
from services.notifier.settings import NotifierSettings
from shared import error_answers
from shared.auth import JwksSource
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings
from shared.telemetry import trace_outgoing

__all__ = ["NotifierSettings", "create_app"]


def create_app(
    settings: ServiceSettings | None = None,
    *,
    jwks: JwksSource | None = None,
    identity: httpx.AsyncClient | None = None,
) -> FastAPI:
    """The notifier app; ``identity`` is the client one-time links are fetched with (tests)."""
    if not isinstance(settings, NotifierSettings):
        settings = NotifierSettings(**(settings.model_dump() if settings else {}))
    runtime = ServiceRuntime(settings, tables=MIGRATIONS.tables, jwks=jwks)
    http = _outgoing(runtime, settings)
    seal = SecretSeal.from_file(settings.webhook_key_path)
    runtime.startup.append(lambda: seal_clear_secrets(runtime.sessions, seal))
    dispatcher = _dispatcher(runtime, settings, http=http, identity=identity, seal=seal)
    runtime.consume_batches(
        DURABLE,
        notice_handler(outbox=runtime.outbox, settings=settings, wake=dispatcher),
        subjects=planned_subjects(),
    )
    runtime.background.append(dispatcher.run)
    runtime.repeat(
        "notice-retention", settings.retention_sweep_seconds, _retention(runtime, settings)
    )
    runtime.shutdown.append(http.aclose)
    app = _app(runtime, settings)
    app.state.dispatcher = dispatcher
    app.state.secret_seal = seal
    return app


def _outgoing(runtime: ServiceRuntime, settings: NotifierSettings) -> httpx.AsyncClient:
    """Webhooks and identity's one-time links, traced (customers' URLs shown by origin only)."""
    return trace_outgoing(
        httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False),
        tracer_provider=runtime.tracer_provider,
        show_path=False,
    )


def _dispatcher(
    runtime: ServiceRuntime,
    settings: NotifierSettings,
    *,
    http: httpx.AsyncClient,
    identity: httpx.AsyncClient | None,
    seal: SecretSeal,
) -> Dispatcher:
    return Dispatcher(
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        settings=settings,
        http=http,
        identity=IdentityDirectory(
            identity or http, base_url=settings.identity_url, key_path=settings.delivery_key_path
        ),
        attempts=delivery_counter(runtime.metrics.meter),
        seal=seal,
        tracer=runtime.tracer_provider.get_tracer("pactum.notifier"),
    )


def _retention(
    runtime: ServiceRuntime, settings: NotifierSettings
) -> Callable[[], Awaitable[None]]:
    async def apply_retention() -> None:  # TOM-T1
        now = datetime.now(UTC)
        await retention.apply_retention(
            sessions=runtime.sessions,
            outbox=runtime.outbox,
            cutoffs=retention.Cutoffs.at(
                now,
                delivery_days=settings.delivery_retention_days,
                inbox_read_days=settings.inbox_read_retention_days,
            ),
            batch_size=settings.retention_batch_size,
            now=now,
        )

    return apply_retention


def _app(runtime: ServiceRuntime, settings: NotifierSettings) -> FastAPI:
    """The routes, behind the runtime's middleware and the notifier's answers to errors."""
    app = FastAPI(
        title="pactum notifier",
        version="0.2.0",
        summary="Breach notices, subprocessor-change alerts, security mail, signed webhooks.",
        lifespan=runtime.lifespan,
    )
    runtime.install(app)
    error_answers.install(app)
    errors.install(app)
    webhook_payloads.install(app)
    app.include_router(api.router)
    app.include_router(evidence_api.router)
    if settings.environment == "development":
        app.include_router(evidence_api.sink_router)  # `make run`'s mail sink, nowhere else
    app.include_router(link_redirects.router)
    return app
