"""Composition root of the identity service: wiring only."""

from pathlib import Path
from typing import ClassVar

from fastapi import FastAPI

from services.identity import api
from services.identity.keys import load_or_create_signer
from shared.auth import JwksSource
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    service: ClassVar[str] = "identity"

    signing_key_file: Path | None = None

    @property
    def signing_key_path(self) -> Path:
        return self.signing_key_file or self.var_dir / "identity" / "signing-key.pem"


def create_app(
    settings: ServiceSettings | None = None, *, jwks: JwksSource | None = None
) -> FastAPI:
    settings = settings if isinstance(settings, IdentitySettings) else IdentitySettings()
    runtime = ServiceRuntime(settings, tables=(), jwks=jwks)
    app = FastAPI(
        title="pactum identity",
        version="0.1.0",
        summary="Organisations, users, sessions and the keys that sign access tokens.",
        lifespan=runtime.lifespan,
    )
    runtime.install(app)

    def load_signer() -> None:
        app.state.signer = load_or_create_signer(
            settings.signing_key_path,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
        )

    runtime.startup.append(load_signer)
    app.include_router(api.router)
    return app
