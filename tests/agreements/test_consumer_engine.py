"""One consumer engine (issue 19.3): agreements' per-event handlers run on the batch consumer that
audit and the notifier use, with its delivery policy, and the durables the per-event subscriber
made before go on from where they were."""

import uuid
from collections.abc import Callable
from pathlib import Path

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from structlog.testing import capture_logs

from services.agreements.directory.consumers import (
    ORGANISATIONS_DURABLE,
    ORGANISATIONS_SUBJECTS,
)
from shared.broker import BatchConsumer, build_broker, each_event, stream_config
from shared.events import Envelope, EventKind
from shared.inbox import InboxReceipt
from tests.agreements.directory.test_directory_events import announced, known
from tests.agreements.organisations import publish
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually

ENGINE_TEST_DURABLE = "agreements-engine-test"


async def test_a_per_event_handler_failing_on_one_event_stores_the_others_and_dead_letters_it__ARCH_2(  # noqa: E501
    solo: Platform,
) -> None:
    """A per-event handler on the engine: the event it cannot handle is nacked alone, the others
    of its batch are claimed and acked, and on its last delivery it is dead-lettered, logged by
    id; nothing stays pending."""
    settings = solo.settings("agreements", consumer_max_deliver=2, consumer_batch_size=10)
    events = [
        announced(str(uuid.uuid4()), "controller", f"Gemeente {n}", "active") for n in range(5)
    ]
    poison = events[2]
    handled: list[uuid.UUID] = []

    async def handle(_session: AsyncSession, event: Envelope, _kind: EventKind) -> None:
        if event.id == poison.id:
            raise RuntimeError("this event cannot be handled")
        handled.append(event.id)

    runtime = solo.runtime("agreements")
    broker = build_broker(settings, TracerProvider())
    await broker.connect()
    consumer = BatchConsumer(
        broker,
        settings=settings,
        durable=ENGINE_TEST_DURABLE,
        sessions=runtime.sessions,
        handle=each_event(handle),
        subjects=ORGANISATIONS_SUBJECTS,
    )
    try:
        with capture_logs() as logs:
            await publish(solo.nats_url, *events)
            js = broker.connection.jetstream()
            await consumer.ensure()
            subscription = await js.pull_subscribe_bind(
                durable=ENGINE_TEST_DURABLE, stream=settings.stream_name
            )
            # Both deliveries of the poison event; the others go through on the first.
            for _ in range(settings.consumer_max_deliver):
                messages = await subscription.fetch(batch=10, timeout=10)
                await consumer.consume(messages)

            async def settled() -> bool:  # the term and the acks reached the server
                info = await js.consumer_info(settings.stream_name, ENGINE_TEST_DURABLE)
                return bool(info.num_pending == 0 and info.num_ack_pending == 0)

            await eventually(settled)
            await subscription.unsubscribe()
    finally:
        await broker.stop()

    async with runtime.sessions() as session:
        claimed = set(
            (
                await session.scalars(
                    select(col(InboxReceipt.event_id)).where(
                        col(InboxReceipt.consumer) == ENGINE_TEST_DURABLE
                    )
                )
            ).all()
        )
    others = {event.id for event in events if event is not poison}
    assert claimed == others  # the poison event's claim was rolled back with its failure
    assert sorted(set(handled), key=str) == sorted(others, key=str)
    tally = consumer.tally
    assert (tally.stored, tally.failed, tally.dead_lettered) == (4, 1, 1)
    [dead] = [entry for entry in logs if entry["event"] == "event.dead_lettered"]
    assert dead["event_id"] == str(poison.id) and dead["deliveries"] == 2


async def test_a_durable_the_per_event_subscriber_made_goes_on_without_replay_or_loss__ARCH_2(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> None:
    """``agreements-organisations`` as FastStream's per-event subscriber created it (its durable
    config, the filter from the subscription): the engine takes it over at its acknowledged
    position. Events the old subscriber acked are not taken in again, those waiting are, once."""
    # An ack wait longer than the test: on a loaded machine the first batch can take longer than
    # the suite's 2 s, and its redelivery would be a duplicate the inbox rightly skips, not the
    # replay this test is about. A message lost on the way would now fail the wait below.
    platform = Platform(
        nats_url=nats_server.url,
        database=database,
        var_dir=tmp_path / "var",
        consumer_ack_wait_seconds=30.0,
    )
    settings = platform.settings("agreements")
    stream = settings.stream_name
    handled_before = [announced(str(uuid.uuid4()), "controller", "Oud", "active") for _ in range(2)]
    waiting = [announced(str(uuid.uuid4()), "processor", "Nieuw", "active") for _ in range(3)]
    connection = await nats.connect(nats_server.url)
    try:
        js = connection.jetstream()
        await js.add_stream(stream_config(settings))
        # What subscribe_durable asked of JetStream: the durable, the filter from the subject.
        old = await js.pull_subscribe(
            ORGANISATIONS_SUBJECTS,
            durable=ORGANISATIONS_DURABLE,
            stream=stream,
            config=ConsumerConfig(
                durable_name=ORGANISATIONS_DURABLE,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=settings.consumer_ack_wait_seconds,
                max_deliver=settings.consumer_max_deliver,
                max_ack_pending=settings.consumer_batch_size * 16,
            ),
        )
        await publish(nats_server.url, *handled_before)
        delivered = await old.fetch(batch=len(handled_before), timeout=5)
        assert len(delivered) == len(handled_before)
        for message in delivered:
            await message.ack_sync()
        await old.unsubscribe()
        await publish(nats_server.url, *waiting)  # agreements is down
    finally:
        await connection.close()

    await platform.start("agreements")
    try:

        async def all_known() -> bool:
            return all([await known(platform, str(e.data["organisation_id"])) for e in waiting])

        await eventually(all_known)
        replayed = [await known(platform, str(e.data["organisation_id"])) for e in handled_before]
        tally = platform.runtime("agreements").consumers[ORGANISATIONS_DURABLE]
        connection = await nats.connect(nats_server.url)
        try:
            info = await connection.jetstream().consumer_info(stream, ORGANISATIONS_DURABLE)
        finally:
            await connection.close()
    finally:
        await platform.stop()

    assert replayed == [None, None]  # acked by the old subscriber: not delivered again
    assert (tally.stored, tally.duplicates, tally.rejected) == (len(waiting), 0, 0)
    assert info.config.filter_subject == ORGANISATIONS_SUBJECTS
    assert info.num_pending == 0 and info.num_ack_pending == 0 and info.num_redelivered == 0
    assert info.ack_floor is not None
    assert (info.ack_floor.consumer_seq, info.ack_floor.stream_seq) == (5, 5)
