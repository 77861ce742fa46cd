"""Section: the agreements service's use cases, timed over HTTP in this process.

The agreements app runs with its default settings on a SQLite database in a temporary directory
and a throw-away nats-server (its relay publishes, nobody consumes). Each use case is timed
request by request (httpx ``ASGITransport``: no network, so these are service + database costs):

* ``lifecycle``: create a draft, both signatures, activation (four requests per agreement);
* ``read``: ``GET /agreements/{id}`` (one audited read);
* ``subprocessor_fanout``: one proposal notifying every live agreement of the processor;
* ``breach_fanout``: one breach report notifying every affected controller;
* ``compliance_report`` and ``export`` of one agreement with a few records.

``run()`` returns the figures as a dict; ``python -m bench.agreements`` prints them as JSON.
"""

import asyncio
import contextlib
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from bench.natsserver import NatsServer
from bench.stats import summarise
from services.agreements.main import create_app
from services.agreements.settings import AgreementsSettings
from shared.auth import JwksSource, Role, TokenSigner

ANNEX1 = {
    "subject": "Bench",
    "duration": "1 year",
    "nature": "storage",
    "purpose": "bench",
    "data_categories": [{"name": "contact data", "retention_days": 365}],
    "data_subject_categories": ["citizens"],
    "legal_basis": "6.1(e)",
}


def _jwks(signer: TokenSigner) -> JwksSource:
    async def fetch() -> dict[str, Any]:
        return signer.jwks()

    return fetch


async def _timed(samples: list[float], call: Callable[[], Awaitable[httpx.Response]]) -> Any:
    started = time.perf_counter()
    response = await call()
    samples.append(time.perf_counter() - started)
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return response


async def _measure(work: Path, agreements: int, fanout: int) -> dict[str, Any]:
    server = NatsServer(work / "nats").start()
    signer = TokenSigner.generate(issuer="pactum-identity", audience="pactum")
    settings = AgreementsSettings(
        environment="test",
        var_dir=work / "var",
        nats_url=server.url,
        database_url=f"sqlite+aiosqlite:///{work / 'agreements.db'}",
        log_level="WARNING",
    )
    app = create_app(settings, jwks=_jwks(signer))
    processor = str(uuid.uuid4())

    def auth(organisation: str) -> dict[str, str]:
        token = signer.issue(user_id="bench", organisation_id=organisation, roles=[Role.admin])
        return {"Authorization": f"Bearer {token}"}

    samples: dict[str, list[float]] = {
        k: [] for k in ("lifecycle", "read", "subprocessor_fanout", "breach_fanout", "report")
    }
    samples["export"] = []
    try:
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://a"
            ) as client,
        ):
            ids: list[tuple[str, str]] = []
            for _ in range(max(agreements, fanout)):
                controller = str(uuid.uuid4())
                started = time.perf_counter()
                created = await client.post(
                    "/agreements",
                    json={"title": "Bench", "counterparty_id": processor, "annex1": ANNEX1},
                    headers=auth(controller),
                )
                agreement_id = created.json()["id"]
                for organisation in (controller, processor):
                    await client.post(
                        f"/agreements/{agreement_id}/signatures",
                        json={"place": "Brussels", "signer_name": "Bench", "signer_role": "admin"},
                        headers=auth(organisation),
                    )
                await client.post(f"/agreements/{agreement_id}/activation", headers=auth(processor))
                samples["lifecycle"].append(time.perf_counter() - started)
                ids.append((agreement_id, controller))
            for agreement_id, controller in ids[:agreements]:
                read = partial(client.get, f"/agreements/{agreement_id}", headers=auth(controller))
                await _timed(samples["read"], read)
            change = {
                "name": "Hosting NV",
                "service": "hosting",
                "location": "BE",
                "transfer_mechanism": "none",
                "data_categories": ["contact data"],
                "effective_date": (date.today() + timedelta(days=40)).isoformat(),
            }
            breach = {
                "aware_at": datetime.now(UTC).isoformat(),
                "nature": "bench",
                "data_categories": ["contact data"],
                "data_subject_categories": ["citizens"],
                "approx_data_subjects": 1,
                "approx_records": 1,
                "consequences": "none",
                "measures": "none",
                "contact_point": "bench",
            }
            for _ in range(5):
                await _timed(
                    samples["subprocessor_fanout"],
                    lambda: client.post(
                        "/subprocessor-changes", json=change, headers=auth(processor)
                    ),
                )
                await _timed(
                    samples["breach_fanout"],
                    lambda: client.post("/breaches", json=breach, headers=auth(processor)),
                )
            agreement_id, controller = ids[0]
            for _ in range(5):
                await _timed(
                    samples["report"],
                    lambda: client.get(
                        f"/agreements/{agreement_id}/compliance-report", headers=auth(controller)
                    ),
                )
                await _timed(
                    samples["export"],
                    lambda: client.get(
                        f"/agreements/{agreement_id}/export", headers=auth(controller)
                    ),
                )
    finally:
        server.stop()
    return {
        "agreements": agreements,
        "fanout_agreements": fanout,
        "database": "sqlite",
        "latency": {name: summarise(values).as_dict() for name, values in samples.items()},
    }


def run(agreements: int = 50, fanout: int = 50) -> dict[str, Any]:
    """Time the agreements use cases; figures in milliseconds per request (lifecycle: per
    agreement, four requests)."""
    with (
        tempfile.TemporaryDirectory(prefix="pactum-bench-agreements-") as work,
        (Path(work) / "service.log").open("w") as log,
        contextlib.redirect_stdout(log),
    ):
        return asyncio.run(_measure(Path(work), agreements, fanout))


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
