"""Audit's ingest split by organisation (PACTUM_AUDIT_PARTITIONS, issue 17.3): with four
partitions on a real nats-server, every event is recorded once, each organisation's log keeps the
stream's order and verifies, and each event is still checked against its own subject."""

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import nats
import pytest
from structlog.testing import capture_logs

from services.audit.partitions import PartitionedIngest, partition_durable
from shared.bus_access import PARTITIONS_STREAM
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually

PARTITIONS = 4


@pytest.fixture
async def partitioned(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> AsyncIterator[Platform]:
    running = Platform(nats_url=nats_server.url, database=database, var_dir=tmp_path / "var")
    await running.start("audit", checkpoint_interval_seconds=3600.0, partitions=PARTITIONS)
    yield running
    await running.stop()


@pytest.fixture
async def producer(nats_server: NatsServer, partitioned: Platform) -> AsyncIterator[Producer]:
    connection = await nats.connect(nats_server.url)
    yield Producer(connection.jetstream())
    await connection.close()


async def test_partitions_record_each_event_once_in_order_per_organisation__ARCH_2_TOM_T3a(
    partitioned: Platform, producer: Producer
) -> None:
    organisations = [str(uuid.uuid4()) for _ in range(12)]
    sent = [event(organisations[i % 12], actor=f"user-{i}") for i in range(360)]
    await producer.send(*sent)
    await producer.send(sent[5], sent[17])  # redelivered by the relay: deduplicated by the stream
    await producer.js.publish(sent[9].nats_subject, sent[9].to_json())  # a copy without msg id
    client = partitioned.clients["audit"]
    for organisation in organisations:
        entries = await entries_of(partitioned, organisation, 30)
        assert [entry.event_id for entry in entries] == [
            e.id for e in sent if e.tenantid == organisation
        ]
        assert [entry.log_index for entry in entries] == list(range(30))
        headers = reader(partitioned, organisation)
        assert (await client.post("/audit/checkpoints", headers=headers)).status_code in (200, 201)
        report = (await client.get("/audit/verification", headers=headers)).json()
        assert report["valid"] is True and report["tree_size"] == 30
    ingest = partitioned.apps["audit"].state.audit_consumer
    assert isinstance(ingest, PartitionedIngest) and ingest.held == set(range(PARTITIONS))

    async def copy_skipped() -> bool | None:
        return ingest.tally.duplicates >= 1 or None

    await eventually(copy_skipped)
    # Once each: the copy was skipped, and no event reached two partitions (a checkpoint's own
    # event, recorded too, is of another type).
    assert len(await partitioned.audit_entries(event_type=sent[0].type)) == 360
    # The organisations are spread over the partitions, each read by its own durable.
    used = [consumer for consumer in ingest.consumers if consumer.batches]
    assert len(used) >= 2
    js = producer.js
    infos = [await js.consumer_info(PARTITIONS_STREAM, partition_durable(p)) for p in range(4)]
    assert sum(1 for info in infos if info.delivered.stream_seq) == len(used)


async def test_a_partitioned_event_is_checked_against_its_own_subject__TOM_T5(
    partitioned: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    # An agreements subject published under another service's source.
    forged = event(organisation).model_copy(update={"source": "/dpa/notifier"})
    good = event(organisation)
    with capture_logs() as logs:
        await producer.send(forged, good)
        entries = await entries_of(partitioned, organisation, 1)

        async def rejected() -> list[Any] | None:
            found = [line for line in logs if line.get("event") == "event.rejected"]
            return found or None

        found: list[Any] = await eventually(rejected)  # type: ignore[arg-type]
    assert [entry.event_id for entry in entries] == [good.id]
    assert "does not match the subject's service" in str(found[0]["reason"])
    assert str(found[0]["subject"]).startswith("audit.")
