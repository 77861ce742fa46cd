"""The notifier's durable consumer takes only the events it plans notices for (issue 17.2), and a
durable made before, on all of ``dpa.>``, moves to that filter without losing or replaying events.
"""

import uuid
from collections.abc import Callable
from pathlib import Path

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext

from deploy.mailsink import MailSink
from services.notifier.consumers import DURABLE
from services.notifier.plans import PLANS, planned_subjects
from shared.broker import stream_config
from shared.events import CATALOGUE, Envelope
from shared.events.contracts.agreements import AgreementStatusChanged, AgreementViewed
from shared.events.subjects import STREAM_SUBJECTS, subject_for
from tests.notifier.conftest import event, start_platform
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import eventually

TENANT = "0b5c3c6e-3f4f-4d38-9d0c-2f1d3c6f8a11"


def _taken(filters: list[str], subject: str) -> bool:
    """Whether a NATS subject filter of ``filters`` matches ``subject`` (``*``: one token)."""
    tokens = subject.split(".")
    return any(
        len(pattern) == len(tokens)
        and all(p in ("*", t) for p, t in zip(pattern, tokens, strict=True))
        for pattern in (f.split(".") for f in filters)
    )


def test_the_notifier_takes_every_kind_it_plans_for_and_nothing_else() -> None:
    filters = planned_subjects()
    for event_type in CATALOGUE:
        planned = event_type.removeprefix("dpa.").rsplit(".", 1)[0] in PLANS
        for tenant in (TENANT, "platform"):
            subject = subject_for(event_type, tenant=tenant)
            assert _taken(filters, subject) == planned, (event_type, subject)
    assert len(filters) == len(PLANS)  # one subject per plan, none left over
    assert STREAM_SUBJECTS not in filters


def _activated(tenant: str) -> Envelope:
    data = AgreementStatusChanged(agreement_id=uuid.uuid4(), status="active", version=1)
    return event("dpa.agreements.agreement.activated.v1", tenant, data)


def _viewed(tenant: str) -> Envelope:
    data = AgreementViewed(agreement_id=uuid.uuid4(), fields=["title"])
    return event("dpa.agreements.agreement.viewed.v1", tenant, data)


async def _publish(js: JetStreamContext, events: list[Envelope]) -> None:
    for sent in events:
        await js.publish(sent.nats_subject, sent.to_json(), headers={"Nats-Msg-Id": str(sent.id)})


async def test_a_durable_on_all_events_moves_to_the_filter_without_loss_or_replay__ARCH_2(
    nats_server: NatsServer,
    database: Callable[[str], Database],
    tmp_path: Path,
    mail_sink: MailSink,
) -> None:
    platform = start_platform(nats_server, database, tmp_path, mail_sink)
    stream = platform.settings("notifier").stream_name
    handled_before = [_activated(TENANT), _viewed(TENANT), _activated(TENANT)]
    waiting = [_viewed(TENANT), _activated(TENANT), _viewed(TENANT), _activated(TENANT)]
    connection = await nats.connect(nats_server.url)
    try:
        js = connection.jetstream()
        await js.add_stream(stream_config(platform.settings("notifier")))
        # The durable as the notifier made it before the filter: on all of dpa.>.
        old = await js.pull_subscribe(
            STREAM_SUBJECTS,
            durable=DURABLE,
            stream=stream,
            config=ConsumerConfig(
                durable_name=DURABLE,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
            ),
        )
        await _publish(js, handled_before)
        delivered = await old.fetch(batch=len(handled_before), timeout=5)
        assert len(delivered) == len(handled_before)
        for message in delivered:
            await message.ack_sync()  # delivered and acked by the notifier as it was
        await old.unsubscribe()
        await _publish(js, waiting)  # not delivered yet: the notifier is down
    finally:
        await connection.close()

    await platform.start("notifier")
    try:
        relevant = sorted(sent.id for sent in waiting if sent.type.endswith(".activated.v1"))

        async def handled() -> bool:
            return len(await platform.receipts()) >= len(relevant)

        await eventually(handled)
        receipts = [receipt.event_id for receipt in await platform.receipts()]
        tally = platform.runtime("notifier").consumers[DURABLE]
        connection = await nats.connect(nats_server.url)
        try:
            info = await connection.jetstream().consumer_info(stream, DURABLE)
        finally:
            await connection.close()
    finally:
        await platform.stop()

    # Each relevant waiting event handled once; no old one again, no read at all.
    assert sorted(receipts) == relevant
    assert (tally.stored, tally.duplicates, tally.rejected) == (len(relevant), 0, 0)
    assert info.config.filter_subjects == planned_subjects()
    assert info.num_pending == 0 and info.num_ack_pending == 0
    # Deliveries 1-3 were the old durable's; 4 and 5 are the two relevant events (stream 5, 7).
    assert info.ack_floor is not None
    assert (info.ack_floor.consumer_seq, info.ack_floor.stream_seq) == (5, 7)
    assert info.num_redelivered == 0
