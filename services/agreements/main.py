"""Composition root of the agreements service: wiring only."""

from typing import ClassVar

from fastapi import FastAPI

from services.agreements import api
from services.agreements.store import TABLES
from shared.auth import JwksSource
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings


class AgreementsSettings(ServiceSettings):
    service: ClassVar[str] = "agreements"


def create_app(
    settings: ServiceSettings | None = None, *, jwks: JwksSource | None = None
) -> FastAPI:
    settings = settings or AgreementsSettings()
    runtime = ServiceRuntime(settings, tables=TABLES, jwks=jwks)
    app = FastAPI(
        title="pactum agreements",
        version="0.1.0",
        summary="Data-processing agreements between controllers and processors, run as software.",
        lifespan=runtime.lifespan,
    )
    runtime.install(app)
    app.include_router(api.router)
    return app
