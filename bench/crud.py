"""The baseline a user would pick instead: the agreements read and write as a plain FastAPI CRUD
service, with no audit event (bench only, never deployed).

    python -m bench.crud PORT    (with the agreements service's PACTUM_* environment)

It serves ``GET /agreements/{id}`` and ``POST /agreements`` over the agreements service's own
database (the same file or PostgreSQL schema, the tables that service migrated), with the same
token check (``shared.auth``: the EdDSA signature against identity's JWKS, issuer, audience,
expiry, the role) and the same use cases (``lifecycle.service``: the tenant-scoped query, the
directory checks of a new draft, the same answer). What it leaves out is the event: its outbox
records nothing, so no ``viewed`` or ``created`` row is written, relayed, consumed by audit or
by the notifier. It also has none of the platform's request plumbing (OpenTelemetry spans, the
request context and its metrics, idempotency keys): it is what a plain FastAPI service would be.

Production code has no switch that turns auditing off; this module is the only place where the
event is left out, and only ``bench.fullstack`` starts it.
"""

import sys
import uuid
from dataclasses import dataclass
from typing import Any, cast

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agreements import errors
from services.agreements.access import Admin, AgreementNotFound, Reader
from services.agreements.lifecycle import service
from services.agreements.lifecycle.schemas import AgreementCreate, AgreementPublic
from services.agreements.settings import AgreementsSettings
from shared.auth import JwksSource, TokenVerifier, http_jwks
from shared.database import service_engine, session_factory
from shared.events import Envelope
from shared.outbox import Outbox
from shared.problems import answer
from shared.serve import serve
from shared.settings import ServiceSettings


class Unrecorded(Outbox):
    """An outbox that records nothing: the use case runs as it does, without its event."""

    def add(self, session: AsyncSession, **_event: Any) -> Envelope:
        # The two use cases served here ignore what ``add`` returns.
        return cast(Envelope, None)


@dataclass
class Plain:
    """What the shared token dependency looks for on ``app.state.runtime``, and the sessions."""

    verifier: TokenVerifier
    sessions: async_sessionmaker[AsyncSession]


def create_app(settings: ServiceSettings, *, jwks: JwksSource | None = None) -> FastAPI:
    """The baseline app on ``settings``' database; ``jwks`` replaces identity's (tests)."""
    engine = service_engine(settings)
    plain = Plain(
        verifier=TokenVerifier(
            jwks=jwks or http_jwks(settings.jwks_url),
            issuer=settings.token_issuer,
            audience=settings.token_audience,
        ),
        sessions=session_factory(engine),
    )
    outbox = Unrecorded(source=settings.source)
    app = FastAPI(title="plain agreements CRUD (bench baseline)")
    app.state.runtime = plain
    errors.install(app)
    # A plain CRUD service answers another organisation's agreement with a 404 and no more: the
    # access attempt agreements files in the owner's log is part of the cost of auditing.
    app.add_exception_handler(AgreementNotFound, _not_found)

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/agreements/{agreement_id}", response_model=AgreementPublic)
    async def read(agreement_id: uuid.UUID, principal: Reader) -> AgreementPublic:
        async with plain.sessions() as session:
            return await service.read_agreement(
                session=session, outbox=outbox, principal=principal, agreement_id=agreement_id
            )

    @app.post("/agreements", status_code=status.HTTP_201_CREATED, response_model=AgreementPublic)
    async def create(body: AgreementCreate, principal: Admin) -> AgreementPublic:
        async with plain.sessions() as session:
            return await service.create_agreement(
                session=session, outbox=outbox, principal=principal, draft=body
            )

    return app


async def _not_found(request: Request, error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_404_NOT_FOUND, str(error), code="not_found")


def main(argv: list[str]) -> int:
    serve(create_app, AgreementsSettings(port=int(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
