"""The bench's unaudited baselines: the plain CRUD service (bench/crud.py) and the agreements
service with its requests' event left out (bench/unrecorded.py). Each gives the same answers as
the agreements service, the same token check and tenant scoping, and no event. If one drifted
from the service, the cost of auditing the bench reports would compare two different things."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from bench import crud, unrecorded
from shared.outbox import OutboxMessage
from tests.agreements.contract import ANNEX1, Parties
from tests.support.platform import static_jwks


@pytest.fixture(params=[crud, unrecorded], ids=["plain CRUD", "the service unrecorded"])
async def baseline(
    parties: Parties, request: pytest.FixtureRequest
) -> AsyncIterator[httpx.AsyncClient]:
    platform = parties.platform
    settings = platform.runtime("agreements").settings  # the service's own database and schema
    app = request.param.create_app(settings, jwks=static_jwks(platform.signer))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://crud") as client,
    ):
        yield client


async def test_the_baseline_answers_a_read_as_the_service_does_without_an_event(
    parties: Parties, baseline: httpx.AsyncClient
) -> None:
    draft = await parties.draft()
    audited = await parties.client.get(
        f"/agreements/{draft['id']}", headers=parties.controller_admin()
    )
    before = await parties.platform.count("agreements", OutboxMessage)

    plain = await baseline.get(f"/agreements/{draft['id']}", headers=parties.controller_admin())

    assert plain.status_code == 200
    assert plain.json() == audited.json()
    assert await parties.platform.count("agreements", OutboxMessage) == before


async def test_the_baseline_writes_a_draft_without_an_event(
    parties: Parties, baseline: httpx.AsyncClient
) -> None:
    await parties.introduce()
    before = await parties.platform.count("agreements", OutboxMessage)

    created = await baseline.post(
        "/agreements",
        json={
            "title": "Verwerkersovereenkomst (bench)",
            "counterparty_id": parties.processor,
            "party": "controller",
            "annex1": ANNEX1,
        },
        headers=parties.controller_admin(),
    )

    assert created.status_code == 201, created.text
    read = await parties.client.get(
        f"/agreements/{created.json()['id']}", headers=parties.processor_admin()
    )
    assert read.json()["title"] == "Verwerkersovereenkomst (bench)"
    # The service's own read above is the only event: the baseline's write left none.
    assert await parties.platform.count("agreements", OutboxMessage) == before + 1


async def test_the_baseline_checks_the_token_and_scopes_by_organisation(
    parties: Parties, baseline: httpx.AsyncClient
) -> None:
    draft = await parties.draft()
    url = f"/agreements/{draft['id']}"

    stranger = await baseline.get(url, headers=parties.platform.auth(str(uuid.uuid4())))
    unsigned = await baseline.get(url, headers={"Authorization": "Bearer not-a-token"})
    nobody = await baseline.get(url)

    assert stranger.status_code == 404
    assert unsigned.status_code == 401
    assert nobody.status_code == 401
