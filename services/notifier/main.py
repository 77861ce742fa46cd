"""Composition root of the notifier service: wiring only."""

from typing import ClassVar

from fastapi import FastAPI

from services.notifier import api
from services.notifier.consumers import DURABLE, record_receipt
from services.notifier.store import TABLES
from shared.auth import JwksSource
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    service: ClassVar[str] = "notifier"


def create_app(
    settings: ServiceSettings | None = None, *, jwks: JwksSource | None = None
) -> FastAPI:
    settings = settings or NotifierSettings()
    runtime = ServiceRuntime(settings, tables=TABLES, jwks=jwks)
    runtime.consume(DURABLE, record_receipt)
    app = FastAPI(
        title="pactum notifier",
        version="0.1.0",
        summary="Breach notices, subprocessor-change alerts and security mail.",
        lifespan=runtime.lifespan,
    )
    runtime.install(app)
    app.include_router(api.router)
    return app
