"""The NATS broker: connection, the ``DPA_EVENTS`` stream, and durable consumers of it."""

from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from faststream import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, NatsMessage, PullSub
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from nats.js.api import (
    AckPolicy as ConsumerAckPolicy,
)
from nats.js.api import (
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import CATALOGUE, Envelope, EventKind, UnknownEventType, kind_of
from shared.events.subjects import STREAM_SUBJECTS
from shared.inbox import claim
from shared.settings import ServiceSettings

log = structlog.get_logger("pactum.consumer")

Handler = Callable[[AsyncSession, Envelope, EventKind], Awaitable[None]]


def build_broker(settings: ServiceSettings, tracer_provider: TracerProvider) -> NatsBroker:
    return NatsBroker(
        settings.nats_url,
        name=f"pactum-{settings.service}",
        middlewares=[NatsTelemetryMiddleware(tracer_provider=tracer_provider)],
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        logger=None,
    )


def stream_config(settings: ServiceSettings) -> StreamConfig:
    """``DPA_EVENTS``: every event on ``dpa.>``, on disk, with a duplicate window for the relay."""
    return StreamConfig(
        name=settings.stream_name,
        subjects=[STREAM_SUBJECTS],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        num_replicas=settings.stream_replicas,
        max_age=timedelta(days=settings.stream_max_age_days).total_seconds(),
        duplicate_window=settings.stream_duplicate_window_seconds,
        deny_delete=True,
        deny_purge=True,
    )


async def ensure_stream(broker: NatsBroker, settings: ServiceSettings) -> None:
    """Create the stream, or bring an existing one to the configured settings (idempotent)."""
    js = broker.connection.jetstream()
    config = stream_config(settings)
    try:
        await js.add_stream(config)
    except BadRequestError as error:
        if error.err_code != 10058:  # stream name already in use with a different configuration
            raise
        await js.update_stream(config)


def subscribe_durable(
    broker: NatsBroker,
    *,
    settings: ServiceSettings,
    durable: str,
    sessions: async_sessionmaker[AsyncSession],
    handle: Handler,
) -> None:
    """A durable pull consumer on ``dpa.>`` that runs ``handle`` once per event.

    The handler's effects and the inbox receipt commit together, then the message is acked. A
    message that can never be processed (not JSON, not an envelope, unknown type, subject that
    does not match its envelope) is terminated and logged with its reason; a handler error is
    retried with back-off. Replicas of a service share the durable consumer.
    """

    @broker.subscriber(
        STREAM_SUBJECTS,
        stream=JStream(settings.stream_name, declare=False),
        durable=durable,
        pull_sub=PullSub(batch_size=settings.consumer_batch_size, timeout=1.0),
        config=ConsumerConfig(
            durable_name=durable,
            ack_policy=ConsumerAckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=settings.consumer_ack_wait_seconds,
            max_deliver=settings.consumer_max_deliver,
            max_ack_pending=settings.consumer_batch_size * 16,
        ),
        ack_policy=AckPolicy.MANUAL,
        title=f"{durable}:dpa.>",
        description=f"The {durable} service's durable consumer of every catalogued event.",
    )
    async def on_event(message: NatsMessage) -> None:
        envelope, kind, reason = _open(message)
        if envelope is None or kind is None:
            log.warning(
                "event.rejected",
                consumer=durable,
                reason=reason,
                subject=message.raw_message.subject,
                nats_msg_id=(message.headers or {}).get("Nats-Msg-Id"),
            )
            await message.reject()
            return
        with structlog.contextvars.bound_contextvars(
            event_id=str(envelope.id), tenant=envelope.tenantid, event_type=envelope.type
        ):
            try:
                async with sessions() as session, session.begin():
                    if not await claim(session, consumer=durable, event_id=envelope.id):
                        log.debug("event.duplicate_skipped", consumer=durable)
                    else:
                        await handle(session, envelope, kind)
            except IntegrityError:
                log.info("event.duplicate_skipped", consumer=durable, race=True)
            except Exception:
                log.exception("event.handler_failed", consumer=durable)
                await message.nack(delay=min(2.0 ** _deliveries(message), 60.0))
                return
            await message.ack()


def _open(message: NatsMessage) -> tuple[Envelope | None, EventKind | None, str]:
    try:
        envelope = Envelope.model_validate_json(message.body)
    except ValidationError as error:
        first = error.errors()[0]
        if first.get("type") == "json_invalid":
            return None, None, "not JSON"
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        return None, None, f"not a CloudEvents envelope: {where}: {first.get('msg')}"
    try:
        kind = kind_of(envelope.type)
    except UnknownEventType:
        return None, None, f"unknown event type {envelope.type!r} (not in the catalogue)"
    try:
        kind.payload.model_validate(envelope.data)
    except ValidationError as error:
        return None, None, f"payload does not match {kind.type}: {error.error_count()} error(s)"
    if message.raw_message.subject != envelope.nats_subject:
        return (
            None,
            None,
            (
                f"subject {message.raw_message.subject!r} does not match the envelope "
                f"(expected {envelope.nats_subject!r})"
            ),
        )
    return envelope, kind, ""


def _deliveries(message: NatsMessage) -> int:
    try:
        return int(message.raw_message.metadata.num_delivered)
    except Exception:
        return 1


__all__ = ["CATALOGUE", "build_broker", "ensure_stream", "stream_config", "subscribe_durable"]
