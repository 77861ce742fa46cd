"""Composition root of the audit service: wiring only."""

from fastapi import FastAPI

from services.audit import api, errors, proof_api
from services.audit.checkpoints import (
    CheckpointSigner,
    SigningRounds,
    checkpoint_status,
    run_checkpoints,
)
from services.audit.consumers import DURABLE, record_entries
from services.audit.erasure import run_retention
from services.audit.migrations import MIGRATIONS
from services.audit.partitions import PartitionedIngest
from services.audit.settings import AuditSettings
from shared import error_answers
from shared.auth import JwksSource
from shared.broker import BatchConsumer
from shared.runtime import ServiceRuntime

__all__ = ["AuditSettings", "create_app"]
from shared.settings import ServiceSettings


def create_app(
    settings: ServiceSettings | None = None, *, jwks: JwksSource | None = None
) -> FastAPI:
    if not isinstance(settings, AuditSettings):
        settings = AuditSettings(**(settings.model_dump() if settings else {}))
    runtime = ServiceRuntime(settings, tables=MIGRATIONS.tables, jwks=jwks)
    consumer: BatchConsumer | PartitionedIngest
    if settings.partitions > 1:
        consumer = PartitionedIngest(
            runtime,
            record_entries,
            partitions=settings.partitions,
            lease_seconds=settings.partition_lease_seconds,
        )
        runtime.background.append(consumer.run)
    else:
        consumer = runtime.consume_batches(DURABLE, record_entries)
    rounds = SigningRounds()
    rounds.observe(runtime.metrics)
    runtime.metrics.observe(
        "pactum.audit.entries_ingested",
        lambda: [(consumer.tally.stored, {})],
        kind="counter",
        unit="{entry}",
        description="Events appended to the audit logs by this process.",
    )
    app = FastAPI(
        title="pactum audit",
        version="0.2.0",
        summary="The append-only, verifiable log each organisation reads without the supplier.",
        lifespan=runtime.lifespan,
    )

    def load_signer() -> None:
        # On start, not on build: building the app (docs export) touches no key file.
        app.state.checkpoint_signer = CheckpointSigner.load_or_create(
            settings.checkpoint_key_path, origin=settings.log_origin
        )

    async def sign_checkpoints() -> None:
        await run_checkpoints(
            runtime.sessions,
            app.state.checkpoint_signer,
            every=settings.checkpoint_interval_seconds,
            rounds=rounds,
        )

    async def apply_retention() -> None:
        await run_retention(
            runtime.sessions,
            runtime.outbox,
            retention_days=settings.personal_data_retention_days,
            every=settings.retention_check_seconds,
        )

    async def checkpoints() -> dict[str, object]:
        return await checkpoint_status(runtime.sessions)

    runtime.status_sections["checkpoints"] = checkpoints
    runtime.startup.append(load_signer)
    runtime.background += [sign_checkpoints, apply_retention]
    runtime.install(app)
    error_answers.install(app)
    errors.install(app)
    app.state.audit_settings = settings
    app.state.audit_consumer = consumer
    app.include_router(api.router)
    app.include_router(proof_api.router)
    return app
