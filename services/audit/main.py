"""Composition root of the audit service: wiring only."""

from typing import ClassVar

from fastapi import FastAPI

from services.audit import api
from services.audit.consumers import DURABLE, record_entry
from services.audit.store import TABLES
from shared.auth import JwksSource
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    service: ClassVar[str] = "audit"


def create_app(
    settings: ServiceSettings | None = None, *, jwks: JwksSource | None = None
) -> FastAPI:
    settings = settings or AuditSettings()
    runtime = ServiceRuntime(settings, tables=TABLES, jwks=jwks)
    runtime.consume(DURABLE, record_entry)
    app = FastAPI(
        title="pactum audit",
        version="0.1.0",
        summary="The append-only audit log each organisation reads without the supplier.",
        lifespan=runtime.lifespan,
    )
    runtime.install(app)
    app.include_router(api.router)
    return app
