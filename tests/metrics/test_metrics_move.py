"""Each metric moves when its cause happens, on a real nats-server and real databases."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services.notifier.domain import RETRY_DELAYS
from shared.runtime import ServiceRuntime
from tests.agreements.organisations import new_organisation
from tests.identity.conftest import Identity
from tests.metrics.exposition import Family, parse, total, value
from tests.notifier.conftest import Notifier, Receiver, event
from tests.notifier.test_breach_notices import breach_notice
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually

WRONG = "definitely not the password"


async def scrape(client: httpx.AsyncClient) -> dict[str, Family]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return parse(response.text)


async def test_requests_are_measured_by_route_template_and_status_code_never_raw_path(
    platform: Platform,
) -> None:
    organisation = await new_organisation(platform, by_event=False)
    client = platform.clients["agreements"]
    created = await client.post(
        "/agreements", json={"title": "Routes"}, headers=platform.auth(organisation)
    )
    agreement_id = created.json()["id"]
    await client.get(f"/agreements/{agreement_id}", headers=platform.auth(organisation))
    missing = str(uuid.uuid4())
    await client.get(f"/agreements/{missing}", headers=platform.auth(organisation))
    await client.get(f"/no/such/{missing}")
    await client.get("/healthz")

    families = await scrape(client)
    count = "http_server_request_duration_seconds_count"
    route = "/agreements/{agreement_id}"
    posted = {"http_route": "/agreements", "http_response_status_code": "201"}
    assert value(families, count, http_request_method="POST", **posted) == 1
    read = {"http_request_method": "GET", "http_route": route}
    assert value(families, count, http_response_status_code="200", **read) == 1
    assert value(families, count, http_response_status_code="404", **read) == 1
    assert value(families, count, http_route="", http_response_status_code="404") == 1
    assert total(families, count, http_route="/healthz") == 0  # probes, scrapes not measured
    assert total(families, count, http_route="/metrics") == 0
    assert value(families, "http_server_active_requests", http_request_method="GET") == 0
    text = (await client.get("/metrics")).text
    assert missing not in text and agreement_id not in text


async def test_outbox_backlog_grows_while_nats_is_down_and_drains_after(
    platform: Platform, nats_server: NatsServer
) -> None:
    organisation = await new_organisation(platform, by_event=False)
    client = platform.clients["agreements"]
    runtime = platform.runtime("agreements")
    nats_server.stop()
    await eventually(lambda: _disconnected(runtime))
    for title in ("One", "Two"):
        created = await client.post(
            "/agreements", json={"title": title}, headers=platform.auth(organisation)
        )
        assert created.status_code == 201

    await runtime.sample_metrics()
    families = await scrape(client)
    assert value(families, "pactum_outbox_pending_events") >= 2
    assert value(families, "pactum_outbox_oldest_pending_age_seconds") > 0
    assert value(families, "pactum_nats_connected") == 0

    nats_server.start()

    async def drained() -> bool:
        await runtime.sample_metrics()
        families = await scrape(client)
        return value(families, "pactum_outbox_pending_events") == 0

    await eventually(drained, within=30)
    families = await scrape(client)
    assert value(families, "pactum_outbox_oldest_pending_age_seconds") == 0
    assert value(families, "pactum_outbox_published_events_total") >= 2
    assert value(families, "pactum_nats_connected") == 1


async def _disconnected(runtime: ServiceRuntime) -> bool:
    connection = runtime.broker._connection
    return connection is None or not connection.is_connected


async def test_consumer_lag_shows_events_a_stopped_consumer_has_not_taken(
    platform: Platform,
) -> None:
    organisation = await new_organisation(platform, by_event=False)
    audit = platform.runtime("audit")
    await platform.clients["agreements"].post(
        "/agreements", json={"title": "First"}, headers=platform.auth(organisation)
    )
    await eventually(lambda: platform.audit_entries(organisation_id=organisation))
    [consuming] = [task for task in audit._tasks if "BatchConsumer.run" in repr(task.get_coro())]
    consuming.cancel()  # audit stops fetching, as a stuck replica would
    await asyncio.wait([consuming])
    for title in ("Second", "Third", "Fourth"):
        await platform.clients["agreements"].post(
            "/agreements", json={"title": title}, headers=platform.auth(organisation)
        )

    async def lagging() -> float:
        await audit.sample_metrics()
        families = await scrape(platform.clients["audit"])
        return value(families, "pactum_consumer_pending_messages", consumer="audit") >= 3

    await eventually(lagging)
    families = await scrape(platform.clients["audit"])
    assert value(families, "pactum_consumer_events_total", consumer="audit", outcome="stored") >= 1
    assert value(families, "pactum_audit_entries_ingested_total") >= 1


async def test_a_lockout_is_counted__TOM_T5(identity: Identity) -> None:
    admin = await identity.admin()
    response = await identity.client.patch(
        "/policy", json={"lock_threshold": 3}, headers=admin.auth
    )
    assert response.status_code == 200, response.text
    member = await identity.member(admin)
    before = await scrape(identity.client)
    for _ in range(3):
        await identity.login(member.email, WRONG)

    after = await scrape(identity.client)
    lockouts = "pactum_identity_account_lockouts_total"
    assert value(after, lockouts, permanent="false") == value(before, lockouts) + 1
    assert member.organisation_id not in (await identity.client.get("/metrics")).text


async def test_failed_webhook_attempts_are_counted_as_retrying_then_dead__TOM_O4(
    notifier: Notifier, receiver: Receiver
) -> None:
    controller = str(uuid.uuid4())
    await notifier.endpoint(controller, receiver, ["breach"])
    receiver.status = 500
    await notifier.publish(
        event("dpa.agreements.breach_notice.issued.v1", controller, breach_notice(controller))
    )

    async def attempted() -> bool:
        rows = await notifier.deliveries(organisation_id=controller, channel="webhook")
        return bool(rows) and rows[0].attempts >= 1

    await eventually(attempted)
    attempts = "pactum_notifier_delivery_attempts_total"
    families = await scrape(notifier.client)
    assert value(families, attempts, channel="webhook", outcome="retrying") == 1
    moment = datetime.now(UTC)
    for delay in RETRY_DELAYS:
        moment += delay + timedelta(seconds=1)
        await notifier.tick(moment)

    families = await scrape(notifier.client)
    assert value(families, attempts, channel="webhook", outcome="retrying") >= len(RETRY_DELAYS)
    assert value(families, attempts, channel="webhook", outcome="dead") == 1
    assert value(families, attempts, channel="webhook", outcome="delivered") == 0
    assert controller not in (await notifier.client.get("/metrics")).text


async def test_a_signed_checkpoint_resets_its_age_and_the_age_grows_when_signing_stops(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> None:
    platform = Platform(
        nats_url=nats_server.url,
        database=database,
        var_dir=tmp_path / "var",
        checkpoint_interval_seconds=0.1,
    )
    await platform.start("agreements", "audit")
    try:
        organisation = await new_organisation(platform, by_event=False)
        await platform.clients["agreements"].post(
            "/agreements", json={"title": "Checked"}, headers=platform.auth(organisation)
        )
        audit = platform.clients["audit"]

        async def signed() -> bool:
            families = await scrape(audit)
            return value(families, "pactum_audit_checkpoints_signed_total") >= 1

        await eventually(signed)
        runtime = platform.runtime("audit")
        [signing] = [task for task in runtime._tasks if task.get_name() == "sign_checkpoints"]
        signing.cancel()  # signing stops: the key is gone, the task died, the replica hangs
        await asyncio.wait([signing])
        stopped_at = value(await scrape(audit), "pactum_audit_checkpoint_age_seconds")

        async def growing() -> bool:
            age = value(await scrape(audit), "pactum_audit_checkpoint_age_seconds")
            return age > stopped_at + 0.3

        await eventually(growing)
    finally:
        await platform.stop()
