"""Composition root of the audit service: wiring only."""

from fastapi import FastAPI

from services.audit import api, errors, proof_api
from services.audit.checkpoints import (
    CheckpointSigner,
    SigningRounds,
    checkpoint_status,
    run_checkpoints,
)
from services.audit.consumers import DURABLE, names_opened, record_entries
from services.audit.erasure import run_retention
from services.audit.migrations import MIGRATIONS
from services.audit.partitions import PartitionedIngest
from services.audit.settings import AuditSettings
from shared import error_answers
from shared.auth import JwksSource
from shared.broker import Admit, BatchConsumer
from shared.ingest_keys import NameOpener, NameSealer, forget_retired
from shared.runtime import ServiceRuntime

__all__ = ["AuditSettings", "create_app"]
from shared.settings import ServiceSettings


def create_app(
    settings: ServiceSettings | None = None, *, jwks: JwksSource | None = None
) -> FastAPI:
    if not isinstance(settings, AuditSettings):
        settings = AuditSettings(**(settings.model_dump() if settings else {}))
    # Audit's ingest key: created on the first start, its public half written where every
    # service reads it (audit's own events are sealed to it too).
    names = NameSealer(
        settings.ingest_public_key_path, create_at=settings.ingest_key_path, owner=True
    )
    runtime = ServiceRuntime(settings, tables=MIGRATIONS.tables, jwks=jwks, names=names)
    consumer = _ingest(runtime, settings, admit=_open_names(runtime, settings))
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
    _sign_checkpoints(app, runtime, settings, rounds)
    _apply_retention(runtime, settings)
    runtime.install(app)
    error_answers.install(app)
    errors.install(app)
    app.state.audit_settings = settings
    app.state.audit_consumer = consumer
    app.include_router(api.router)
    app.include_router(proof_api.router)
    return app


def _open_names(runtime: ServiceRuntime, settings: AuditSettings) -> Admit:
    """The actors' names sealed to audit's ingest key, opened as each event is admitted: the
    current key and the retired ones still within the stream's retention (shared/ingest_keys.py)."""
    opener = NameOpener(settings.ingest_key_path)

    def load_ingest_keys() -> None:
        # After the runtime wrote the current key (NameSealer.load): the retired keys past the
        # stream's retention are forgotten, the others read.
        forget_retired(settings.ingest_key_path, kept_days=settings.ingest_keys_kept_days)
        opener.load()

    runtime.startup.append(load_ingest_keys)
    return names_opened(opener)


def _ingest(
    runtime: ServiceRuntime, settings: AuditSettings, *, admit: Admit
) -> BatchConsumer | PartitionedIngest:
    """Every event into the logs: through audit's one durable, or through the partitions the
    replicas share (``partitions`` > 1)."""
    if settings.partitions > 1:
        partitioned = PartitionedIngest(
            runtime,
            record_entries,
            partitions=settings.partitions,
            lease_seconds=settings.partition_lease_seconds,
            admit=admit,
        )
        runtime.background.append(partitioned.run)
        return partitioned
    # A log records its organisation's events in stream order, across a restart too.
    return runtime.consume_batches(DURABLE, record_entries, admit=admit, in_order=True)


def _sign_checkpoints(
    app: FastAPI, runtime: ServiceRuntime, settings: AuditSettings, rounds: SigningRounds
) -> None:
    """The signed checkpoints: the key loaded at start, the signing rounds in the background,
    their state in the operations status."""

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

    async def checkpoints() -> dict[str, object]:
        return await checkpoint_status(runtime.sessions)

    runtime.status_sections["checkpoints"] = checkpoints
    runtime.startup.append(load_signer)
    runtime.background.append(sign_checkpoints)


def _apply_retention(runtime: ServiceRuntime, settings: AuditSettings) -> None:
    """Personal data past its retention period made unreadable in the background: its month's
    keys destroyed, the entries kept (TOM-T1)."""

    async def apply_retention() -> None:
        await run_retention(
            runtime.sessions,
            runtime.outbox,
            retention_days=settings.personal_data_retention_days,
            every=settings.retention_check_seconds,
        )

    runtime.background.append(apply_retention)
