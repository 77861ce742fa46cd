"""Section A: what this machine's nats-server and nats-py do without pactum in the way.

Every figure uses a stream configured like ``DPA_EVENTS`` (file storage, the same duplicate window,
``Nats-Msg-Id`` on every message) and a payload that is a real pactum envelope.
"""

import asyncio
import dataclasses
import time
import uuid
from pathlib import Path
from typing import Any

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry.sdk.trace import TracerProvider

from bench.stats import summarise
from services.agreements.settings import AgreementsSettings
from shared.broker import build_broker, stream_config
from shared.events import Actor, new_event
from shared.events.contracts.agreements import AgreementCreated
from shared.outbox import CONTENT_TYPE, MSG_ID_HEADER

STREAM = "BENCH_RAW"
SUBJECTS = "bench.>"
DURABLE = "bench-raw"
FETCH_BATCH = 64


def sample_envelope() -> tuple[str, bytes]:
    """A real ``agreement.created`` envelope (with a traceparent), and its subject under bench."""
    tenant = str(uuid.uuid4())
    agreement = uuid.uuid4()
    envelope = new_event(
        source="/dpa/agreements",
        type="dpa.agreements.agreement.created.v1",
        tenant=tenant,
        actor=Actor(id=f"user-{uuid.uuid4().hex[:8]}", organisation_id=tenant),
        data=AgreementCreated(agreement_id=agreement),
        subject=str(agreement),
        traceparent=f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01",
    )
    subject = "bench." + envelope.nats_subject.removeprefix("dpa.")
    return subject, envelope.to_json()


def _headers() -> dict[str, str]:
    return {MSG_ID_HEADER: str(uuid.uuid4()), "content-type": CONTENT_TYPE}


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


async def run_raw(
    nats_url: str,
    var_dir: Path,
    *,
    publish_seconds: float,
    window: int,
    consume_timeout: float,
) -> dict[str, Any]:
    """Measure JetStream publish and pull-consume rates with plain nats-py (and faststream)."""
    settings = AgreementsSettings(nats_url=nats_url, var_dir=var_dir)
    subject, payload = sample_envelope()
    nc = await nats.connect(nats_url, name="pactum-bench-raw")
    js = nc.jetstream(publish_async_max_pending=window)
    config = dataclasses.replace(stream_config(settings), name=STREAM, subjects=[SUBJECTS])
    config.deny_delete = False
    await js.add_stream(config)
    results: dict[str, Any] = {
        "payload_bytes": len(payload),
        "subject": subject,
        "stream": {
            "storage": "file",
            "duplicate_window_s": config.duplicate_window,
        },
    }
    try:
        # Warm the connection and the stream so the first measurements are not set-up.
        for _ in range(200):
            await js.publish(subject, payload, headers=_headers(), stream=STREAM)

        # (1) Sequential: one publish at a time, each awaiting its PubAck (what the relay does).
        round_trips: list[float] = []
        started = time.perf_counter()
        deadline = started + publish_seconds
        while (now := time.perf_counter()) < deadline:
            await js.publish(subject, payload, headers=_headers(), stream=STREAM, timeout=5.0)
            round_trips.append(time.perf_counter() - now)
        elapsed = time.perf_counter() - started
        results["publish_sequential"] = {
            "messages": len(round_trips),
            "seconds": elapsed,
            "rate_per_s": _rate(len(round_trips), elapsed),
            "puback_round_trip": summarise(round_trips).as_dict(),
        }

        # (1b) The same, with up to ``window`` publishes awaiting their PubAcks at once.
        futures: list[asyncio.Future[Any]] = []
        started = time.perf_counter()
        deadline = started + publish_seconds
        while time.perf_counter() < deadline:
            for _ in range(window):
                futures.append(
                    await js.publish_async(subject, payload, headers=_headers(), stream=STREAM)
                )
        await asyncio.wait_for(js.publish_async_completed(), timeout=30)
        elapsed = time.perf_counter() - started
        failed = sum(1 for future in futures if future.exception() is not None)
        results["publish_windowed"] = {
            "window": window,
            "messages": len(futures),
            "failed": failed,
            "seconds": elapsed,
            "rate_per_s": _rate(len(futures) - failed, elapsed),
        }

        # (1c) The relay's own call: faststream's broker.publish with pactum's telemetry middleware.
        broker = build_broker(settings, TracerProvider())
        await broker.connect()
        try:
            calls: list[float] = []
            started = time.perf_counter()
            deadline = started + publish_seconds
            while (now := time.perf_counter()) < deadline:
                await broker.publish(
                    payload, subject=subject, headers=_headers(), stream=STREAM, timeout=5.0
                )
                calls.append(time.perf_counter() - now)
            elapsed = time.perf_counter() - started
        finally:
            await broker.stop()
        results["publish_faststream_sequential"] = {
            "messages": len(calls),
            "seconds": elapsed,
            "rate_per_s": _rate(len(calls), elapsed),
            "call": summarise(calls).as_dict(),
        }

        # (2) A durable pull consumer reading the whole stream: fetch 64, ack each message.
        info = await js.stream_info(STREAM)
        total = int(info.state.messages)
        subscription = await js.pull_subscribe(
            SUBJECTS,
            durable=DURABLE,
            stream=STREAM,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                max_ack_pending=FETCH_BATCH * 16,
                ack_wait=30,
            ),
        )
        consumed = 0
        fetches = 0
        started = time.perf_counter()
        deadline = started + consume_timeout
        while consumed < total and time.perf_counter() < deadline:
            try:
                messages = await subscription.fetch(FETCH_BATCH, timeout=1.0)
            except TimeoutError:
                continue
            fetches += 1
            for message in messages:
                await message.ack()
            consumed += len(messages)
        await nc.flush()
        elapsed = time.perf_counter() - started
        consumer = await js.consumer_info(STREAM, DURABLE)
        results["consume"] = {
            "fetch_batch": FETCH_BATCH,
            "messages": consumed,
            "stream_messages": total,
            "fetches": fetches,
            "seconds": elapsed,
            "rate_per_s": _rate(consumed, elapsed),
            "ack_pending_after": consumer.num_ack_pending,
            "redelivered": consumer.num_redelivered,
        }
        await subscription.unsubscribe()
    finally:
        try:
            await js.delete_stream(STREAM)
        finally:
            await nc.close()
    return results
