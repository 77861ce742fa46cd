"""The seed contract (UTOPIA x iBeauty BVBA) from demo data: signed, amended, audited and
terminated through the API by the right people only, every step evidenced by events."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from services.agreements import seed
from services.agreements.lifecycle.store import Agreement
from shared.auth import Role
from shared.demo import IBEAUTY_ID, UTOPIA_ID
from tests.agreements.contract import SIGNATURE
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually

AGREEMENT = str(seed.SEED_AGREEMENT_ID)


@pytest.fixture
async def demo(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> AsyncIterator[Platform]:
    running = Platform(
        nats_url=nats_server.url, database=database, var_dir=tmp_path / "var", demo_data=True
    )
    await running.start()
    yield running
    await running.stop()


async def test_seed_contract_is_signed_amended_audited_and_terminated__DPA_1_DPA_11_DPA_13(
    demo: Platform,
) -> None:
    client = demo.clients["agreements"]
    utopia, ibeauty = demo.auth(UTOPIA_ID), demo.auth(IBEAUTY_ID)
    url = f"/agreements/{AGREEMENT}"

    seeded = await client.get(url, headers=demo.auth(UTOPIA_ID, [Role.member]))
    assert seeded.status_code == 200
    assert seeded.json()["status"] == "draft"
    assert seeded.json()["annex1"]["data_categories"][0]["name"] == "identificatiegegevens"
    measures = (await client.get(f"{url}/measures", headers=ibeauty)).json()["items"]
    assert len(measures) == 26
    assert {m["id"] for m in measures if m["status"] == "implemented"} >= {"TOM-T3a", "TOM-T4"}

    assert (
        await client.post(f"{url}/signatures", json=SIGNATURE, headers=utopia)
    ).status_code == 200
    assert (await client.post(f"{url}/signatures", json=SIGNATURE, headers=ibeauty)).json()[
        "status"
    ] == "signed"
    assert (await client.post(f"{url}/activation", headers=ibeauty)).status_code == 200

    amended = await client.post(
        f"{url}/amendments",
        json={"reason": "objection window of 45 days", "terms": {"notice_days": 45}},
        headers=utopia,
    )
    assert amended.status_code == 201
    await client.post(f"{url}/signatures", json=SIGNATURE, headers=ibeauty)
    in_force = await client.post(f"{url}/signatures", json=SIGNATURE, headers=utopia)
    assert in_force.json()["terms"]["notice_days"] == 45

    report = await client.get(
        f"{url}/compliance-report", headers=demo.auth(UTOPIA_ID, [Role.auditor])
    )
    assert report.status_code == 200
    by_auditor = await client.post(
        f"{url}/termination", json={"reason": "x"}, headers=demo.auth(UTOPIA_ID, [Role.auditor])
    )
    assert by_auditor.status_code == 403
    ended = await client.post(
        f"{url}/termination", json={"reason": "contract ends"}, headers=utopia
    )
    assert ended.json()["status"] == "terminated"
    closed = await client.post(f"{url}/closure", json={"choice": "destroy"}, headers=utopia)
    assert closed.status_code == 200

    expected = {
        "dpa.agreements.agreement.created.v1",
        "dpa.agreements.agreement.viewed.v1",
        "dpa.agreements.agreement.signed.v1",
        "dpa.agreements.agreement.activated.v1",
        "dpa.agreements.amendment.proposed.v1",
        "dpa.agreements.amendment.accepted.v1",
        "dpa.agreements.compliance_report.exported.v1",
        "dpa.agreements.agreement.terminated.v1",
        "dpa.agreements.agreement.closed.v1",
    }

    async def evidenced() -> set[str]:
        entries = await demo.audit_entries(organisation_id=UTOPIA_ID)
        types = {e.event_type for e in entries if e.subject == AGREEMENT}
        return types if expected <= types else set()

    await eventually(evidenced)


async def test_seeding_twice_creates_one_contract(demo: Platform) -> None:
    runtime = demo.runtime("agreements")
    again = await seed.seed_demo_contract(
        sessions=runtime.sessions, outbox=runtime.outbox, service="agreements"
    )
    assert again is False
    assert await demo.count("agreements", Agreement) == 1
