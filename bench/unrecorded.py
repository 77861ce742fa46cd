"""The agreements service as deployed with its event left out: the issue's "same endpoint with
auditing switched off" (bench only, never deployed).

    python -m bench.unrecorded PORT    (with the agreements service's PACTUM_* environment)

It is ``services.agreements.main.create_app`` itself: the same middleware (OpenTelemetry spans,
the request context and its metrics, body limits, idempotency keys, input rules), the same token
check, routes and use cases, one uvicorn worker under ``shared/serve.py``, on the agreements
service's own database. One thing differs: the outbox its requests use records nothing
(``bench.crud.Unrecorded``), so a read writes no ``viewed`` row, commits no write and leaves
nothing for the relay, the stream, audit or the notifier; a write commits its draft without its
``created`` event. Audited ÷ this is the cost of the event alone; audited ÷ ``bench.crud`` (a
plain FastAPI CRUD service, no plumbing) is the cost a user compares with.

Its consumers and sweeps keep the real outbox (they are not measured and have nothing to do
during the load), so that the process is the service in everything but the request's event.
Production code has no switch that turns auditing off; only ``bench.fullstack`` starts this.
"""

import sys

from fastapi import FastAPI

from bench.crud import Unrecorded
from services.agreements.main import create_app as agreements_app
from services.agreements.settings import AgreementsSettings
from shared.auth import JwksSource
from shared.serve import serve
from shared.settings import ServiceSettings


def create_app(settings: ServiceSettings, *, jwks: JwksSource | None = None) -> FastAPI:
    """The agreements app on ``settings``, its requests' outbox recording nothing."""
    app = agreements_app(settings, jwks=jwks)
    app.state.runtime.outbox = Unrecorded(source=settings.source)
    return app


def main(argv: list[str]) -> int:
    serve(create_app, AgreementsSettings(port=int(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
