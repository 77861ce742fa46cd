"""Composition root of the audit service: wiring only."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import ClassVar

from fastapi import FastAPI
from pydantic import Field

from services.audit import api, api_proofs
from services.audit.checkpoints import CheckpointSigner, run_checkpoints
from services.audit.consumers import DURABLE, record_entries
from services.audit.erasure import run_retention
from services.audit.store import TABLES
from shared.auth import JwksSource
from shared.broker import BatchConsumer
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    service: ClassVar[str] = "audit"

    consumer_batch_size: int = Field(default=512, ge=1, le=1024)
    checkpoint_key_file: Path | None = None  # default: <var_dir>/audit/checkpoint-key.pem
    checkpoint_interval_seconds: float = Field(default=60.0, gt=0)
    personal_data_retention_days: int = Field(default=365, ge=1)
    retention_check_seconds: float = Field(default=3600.0, gt=0)

    @property
    def checkpoint_key_path(self) -> Path:
        return self.checkpoint_key_file or self.var_dir / "audit" / "checkpoint-key.pem"


def create_app(
    settings: ServiceSettings | None = None, *, jwks: JwksSource | None = None
) -> FastAPI:
    if not isinstance(settings, AuditSettings):
        settings = AuditSettings(**(settings.model_dump() if settings else {}))
    runtime = ServiceRuntime(settings, tables=TABLES, jwks=jwks)
    consumer = BatchConsumer(
        runtime.broker,
        settings=settings,
        durable=DURABLE,
        sessions=runtime.sessions,
        handle=record_entries,
    )
    signer = CheckpointSigner.load_or_create(settings.checkpoint_key_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            tasks = [
                asyncio.create_task(consumer.run(), name="audit-consumer"),
                asyncio.create_task(
                    run_checkpoints(
                        runtime.sessions, signer, every=settings.checkpoint_interval_seconds
                    )
                ),
                asyncio.create_task(
                    run_retention(
                        runtime.sessions,
                        runtime.outbox,
                        retention_days=settings.personal_data_retention_days,
                        every=settings.retention_check_seconds,
                    )
                ),
            ]
            try:
                yield
            finally:
                await _stop(tasks)
                # The runtime's relay task has the same exposure; stop it the same way first.
                # (Reported: shared/runtime.py could do this for every service.)
                await _stop(runtime._tasks)

    app = FastAPI(
        title="pactum audit",
        version="0.2.0",
        summary="The append-only, verifiable log each organisation reads without the supplier.",
        lifespan=lifespan,
    )
    runtime.install(app)
    app.state.checkpoint_signer = signer
    app.state.audit_settings = settings
    app.state.audit_consumer = consumer
    app.include_router(api.router)
    app.include_router(api_proofs.router)
    return app


async def _stop(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the tasks, again if need be: a cancel that lands as a fetch completes inside
    ``asyncio.wait_for`` (Python 3.11) can be swallowed, and the task would run on."""
    while pending := [task for task in tasks if not task.done()]:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.2)
