"""Composition root of the agreements service: wiring only."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import col

from services.agreements import errors, seed, sweep
from services.agreements.assistance import api as assistance_api
from services.agreements.breaches import api as breaches_api
from services.agreements.closure import api as closure_api
from services.agreements.closure import deadlines as closure_deadlines
from services.agreements.closure.certificates import CertificateKey
from services.agreements.commitments import api as commitments_api
from services.agreements.commitments import consumers as staff_consumer
from services.agreements.commitments import supervision_api
from services.agreements.directory import consumers as directory_consumer
from services.agreements.lifecycle import api as lifecycle_api
from services.agreements.migrations import MIGRATIONS
from services.agreements.retention import api as retention_api
from services.agreements.settings import AgreementsSettings
from services.agreements.store import TABLES
from services.agreements.subprocessors import api as subprocessors_api
from services.agreements.subprocessors import service as subprocessors_service
from shared import error_answers
from shared.auth import JwksSource
from shared.outbox import OutboxMessage
from shared.runtime import ServiceRuntime

__all__ = ["TABLES", "AgreementsSettings", "create_app"]
from shared.settings import ServiceSettings


async def _relay_at_rest(runtime: ServiceRuntime, *, within: float = 2.0) -> None:
    """Before the runtime cancels the relay, let it finish what the last commits woke it for.

    On Python 3.11 ``asyncio.wait_for`` swallows a cancellation that lands just as the awaited
    event fires (the relay's wake-up, or a PubAck); the relay then outlives the shutdown. Waiting
    until nothing is pending and the relay is back asleep makes that race unlikely.
    """
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        async with runtime.sessions() as session:
            pending = await session.scalar(
                select(func.count()).where(col(OutboxMessage.published_at).is_(None))
            )
        if not pending:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.02)


def create_app(
    settings: ServiceSettings | None = None, *, jwks: JwksSource | None = None
) -> FastAPI:
    settings = settings or AgreementsSettings()
    runtime = ServiceRuntime(settings, tables=MIGRATIONS.tables, jwks=jwks)
    if settings.demo_data:
        runtime.startup.append(
            partial(
                seed.seed_demo_contract,
                sessions=runtime.sessions,
                outbox=runtime.outbox,
                service=settings.service,
            )
        )

    runtime.consume(
        staff_consumer.DURABLE,
        staff_consumer.staff_follow_identity(outbox=runtime.outbox, service=settings.service),
        subjects=staff_consumer.SUBJECTS,
    )
    runtime.consume(
        directory_consumer.ORGANISATIONS_DURABLE,
        directory_consumer.directory_follows_identity(),
        subjects=directory_consumer.ORGANISATIONS_SUBJECTS,
    )
    runtime.status_sections["closures"] = partial(closure_deadlines.overdue_ends, runtime.sessions)
    every = getattr(settings, "deadline_sweep_seconds", 60.0)
    runtime.background.append(partial(sweep.run, runtime, every=every))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            yield
            await _relay_at_rest(runtime)

    app = FastAPI(
        title="pactum agreements",
        version="0.1.0",
        summary="Data-processing agreements between controllers and processors, run as software.",
        lifespan=lifespan,
    )
    runtime.install(app)
    error_answers.install(app)
    errors.install(app)
    app.state.subprocessor_register = subprocessors_service.Register()
    app.include_router(lifecycle_api.router)
    app.include_router(subprocessors_api.router)
    app.include_router(breaches_api.router)
    app.include_router(commitments_api.router)
    app.include_router(supervision_api.router)
    app.include_router(closure_api.router)
    app.include_router(assistance_api.router)
    app.include_router(retention_api.router)
    key_path = settings.var_dir / "agreements-certificate.pem"

    def load_certificate_key() -> None:  # at start-up, not at import (e.g. for the OpenAPI file)
        app.state.certificate_key = CertificateKey.load_or_create(key_path)

    runtime.startup.append(load_certificate_key)
    return app
