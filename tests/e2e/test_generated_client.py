"""A client generated from the agreements OpenAPI document drives a main flow (issue 16.4).

openapi-python-client (the dev extra) generates a package from the document the service serves,
as an integrator would; the test then uses only that package's functions and models against the
running agreements service (real NATS, a real database): draft from the documented example, sign
as both parties, activate, report a breach from the documented example, retry the report with the
same Idempotency-Key (one breach), and read the refusals as the typed Problem model.
"""

import importlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.agreements.contract import SIGNATURE, Parties
from tests.support.documents import openapi
from tests.support.platform import Platform

BIN = Path(sys.executable).parent
PACKAGE = "pactum_agreements_client"
# The zip export is a file: generate it as bytes (the generator knows no application/zip).
CONFIG = "content_type_overrides:\n  application/zip: application/octet-stream\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The agreements client, generated from the served document into a fresh directory."""
    root = tmp_path_factory.mktemp("client")
    document = root / "agreements.json"
    document.write_text(json.dumps(openapi("agreements")), encoding="utf-8")
    (root / "config.yaml").write_text(CONFIG, encoding="utf-8")
    subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
            "--config",
            str(root / "config.yaml"),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        timeout=120,
    )
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def _client(platform: Platform, organisation: str) -> Any:
    """The generated Client over the running service, as one organisation's admin."""
    client = _module("client").Client(base_url="http://agreements")
    client.set_async_httpx_client(
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=platform.apps["agreements"]),
            base_url="http://agreements",
            headers=platform.auth(organisation),
        )
    )
    return client


def _documented_example(path: str) -> dict[str, Any]:
    body = openapi("agreements")["paths"][path]["post"]["requestBody"]
    example: dict[str, Any] = body["content"]["application/json"]["example"]
    return example


async def test_a_generated_client_drives_agreement_and_breach_with_typed_errors(
    platform: Platform, generated: ModuleType
) -> None:
    models = _module("models")
    parties = Parties(platform)
    await parties.introduce()
    controller = _client(platform, parties.controller)
    processor = _client(platform, parties.processor)
    create_agreement = _module("api.agreements.create_agreement")
    sign = _module("api.agreements.sign")
    activate = _module("api.agreements.activate")
    read_agreement = _module("api.agreements.read_agreement")
    report_breach = _module("api.breaches.report_breach")
    list_breaches = _module("api.breaches.list_breaches")

    draft = _documented_example("/agreements") | {"counterparty_id": parties.processor}
    created = await create_agreement.asyncio_detailed(
        client=controller, body=models.AgreementCreate.from_dict(draft)
    )
    assert created.status_code == 201, created.content
    agreement = created.parsed
    assert isinstance(agreement, models.AgreementPublic)
    for party in (controller, processor):
        signed = await sign.asyncio(
            agreement.id, client=party, body=models.SignatureCreate.from_dict(SIGNATURE)
        )
        assert isinstance(signed, models.AgreementPublic), signed
    active = await activate.asyncio(agreement.id, client=controller)
    assert isinstance(active, models.AgreementPublic)
    assert active.status == models.AgreementStatus.ACTIVE

    report = _documented_example("/breaches") | {
        "aware_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "agreement_ids": [str(agreement.id)],
    }
    key = f"breach-{uuid.uuid4()}"
    first = await report_breach.asyncio(
        client=processor, body=models.BreachCreate.from_dict(report), idempotency_key=key
    )
    again = await report_breach.asyncio_detailed(
        client=processor, body=models.BreachCreate.from_dict(report), idempotency_key=key
    )
    assert isinstance(first, models.BreachPublic), first
    assert isinstance(again.parsed, models.BreachPublic)
    assert again.parsed.id == first.id and again.headers["Idempotent-Replayed"] == "true"
    seen = await list_breaches.asyncio(client=controller)
    assert isinstance(seen, models.BreachList)
    assert [breach.id for breach in seen.items] == [first.id]  # the retry reported nothing new

    missing = await read_agreement.asyncio_detailed(uuid.uuid4(), client=controller)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Problem)
    assert missing.parsed.code == models.ProblemCode.NOT_FOUND
    refused = await report_breach.asyncio_detailed(
        client=processor, body=models.BreachCreate.from_dict(report | {"approx_records": -1})
    )
    assert refused.status_code == 422
    assert isinstance(refused.parsed, models.Problem)
    assert refused.parsed.code == models.ProblemCode.VALIDATION_FAILED
    assert [error.field for error in refused.parsed.errors] == ["body.approx_records"]
