"""The NATS broker: connection, the ``DPA_EVENTS`` stream, and the one consumer engine.

Every durable consumer of the stream runs on :class:`BatchConsumer` (nats-py pull batches), with
one delivery policy: an event is claimed in the inbox with what its handler stores; one that can
never be processed is terminated and its reason logged; a handler failure is nacked with back-off;
an event that still fails on its last delivery (``consumer_max_deliver``) is dead-lettered:
terminated and logged with its id. One :class:`ConsumerTally` per durable feeds the metrics. A
handler takes a batch (:data:`BatchHandler`, audit and the notifier) or one event at a time
(:data:`Handler`, agreements, through :func:`each_event`).

FastStream is the broker's connection and publisher (the outbox relay publishes through it, with
its OpenTelemetry middleware); it no longer runs subscribers.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from faststream.nats import (
    ConsumerConfig,
    NatsBroker,
    NatsSecurity,
    NatsUserPassword,
)
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from nats.aio.msg import Msg
from nats.js.api import (
    AckPolicy as ConsumerAckPolicy,
)
from nats.js.api import (
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamSource,
    SubjectTransform,
)
from nats.js.errors import BadRequestError, NotFoundError
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bus_access import inbox_prefix
from shared.events import Envelope, EventKind, UnknownEventType, kind_of
from shared.events.subjects import STREAM_SUBJECTS, parse_type
from shared.inbox import claim_many
from shared.settings import ServiceSettings, nats_servers, nats_tls
from shared.telemetry import context_from_traceparent

log = structlog.get_logger("pactum.consumer")

Handler = Callable[[AsyncSession, Envelope, EventKind], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, Sequence[tuple[Envelope, EventKind]]], Awaitable[None]]
# A consumer's own check of an event that passed :func:`open_event`, before it is claimed: the
# envelope to store (perhaps changed: audit opens the sealed name), or None and the reason it
# can never be processed (the event is then rejected like any malformed one).
Admit = Callable[[Envelope], tuple[Envelope | None, str]]


@dataclass
class ConsumerTally:
    """What one durable consumer did with the events delivered to it (read by the metrics)."""

    stored: int = 0  # handled and committed
    duplicates: int = 0  # already in the inbox: skipped
    rejected: int = 0  # can never be processed: terminated
    failed: int = 0  # the handler failed: redelivered later
    dead_lettered: int = 0  # failed on its last delivery: terminated, logged with its id

    OUTCOMES = ("stored", "duplicates", "rejected", "failed", "dead_lettered")


def each_event(handle: Handler) -> BatchHandler:
    """A handler of one event at a time, run over a batch in the batch's transaction, in stream
    order.

    When one event's handler fails, the whole batch is rolled back and the engine stores it again
    one event per transaction (:meth:`BatchConsumer.consume`): the others are stored and acked,
    the failing one alone is nacked. A bad event never blocks the others.
    """

    async def handle_each(
        session: AsyncSession, events: Sequence[tuple[Envelope, EventKind]]
    ) -> None:
        for envelope, kind in events:
            with structlog.contextvars.bound_contextvars(
                event_id=str(envelope.id), tenant=envelope.tenantid, event_type=envelope.type
            ):
                await handle(session, envelope, kind)

    return handle_each


def build_broker(settings: ServiceSettings, tracer_provider: TracerProvider) -> NatsBroker:
    """``nats_url`` may list several servers of a cluster, comma-separated: any one of them that
    is up lets the service start, and a lost connection moves to another. The service logs in as
    its own NATS user when a password is configured (shared/bus_access.py), over TLS verified
    against ``nats_ca_file`` when one is given, and has its replies sent to its own inbox prefix.
    """
    return NatsBroker(
        nats_servers(settings.nats_url),
        name=f"pactum-{settings.service}",
        middlewares=[NatsTelemetryMiddleware(tracer_provider=tracer_provider)],
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        inbox_prefix=inbox_prefix(settings.service),
        security=bus_security(settings),
        logger=None,
    )


def bus_security(settings: ServiceSettings) -> NatsSecurity | None:
    """The service's login and TLS for NATS; None for an open local server (tests, no password)."""
    context = nats_tls(settings.nats_url, settings.nats_ca_file)
    login = settings.nats_login()
    if login is not None:
        return NatsUserPassword(*login, ssl_context=context)
    return None if context is None else NatsSecurity(ssl_context=context)


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


def partitioned_stream_config(
    settings: ServiceSettings, *, name: str, prefix: str, partitions: int
) -> StreamConfig:
    """A stream that sources ``settings.stream_name`` with each event's subject put in one of
    ``partitions`` partitions by its tenant: ``dpa.<tenant>.<rest>`` becomes
    ``<prefix>.<partition>.dpa.<tenant>.<rest>`` (nats-server 2.10+ ``partition()`` transform).

    Every event of one organisation lands in the same partition, in stream order. It is a work
    queue (an event is removed once acknowledged), so it holds only what is not yet consumed.
    Its consumers open each event under its original subject (``BatchConsumer(unwrap=2)``).
    """
    source = StreamSource(
        name=settings.stream_name,
        subject_transforms=[
            SubjectTransform(
                src="dpa.*.>",
                dest=f"{prefix}.{{{{partition({partitions},1)}}}}.dpa.{{{{wildcard(1)}}}}.>",
            )
        ],
    )
    return StreamConfig(
        name=name,
        sources=[source],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        num_replicas=settings.stream_replicas,
        max_age=timedelta(days=settings.stream_max_age_days).total_seconds(),
        deny_delete=True,
        deny_purge=True,
    )


async def ensure_stream(
    broker: NatsBroker, settings: ServiceSettings, *, wait: float = 60.0
) -> None:
    """Create the stream, or bring an existing one to the configured settings (idempotent).

    Only the stream's admin does (``stream_admin``: audit where each service has its own NATS
    user); the others wait up to ``wait`` seconds for it to exist.
    """
    js = broker.connection.jetstream()
    if not settings.stream_admin:
        deadline = time.monotonic() + wait
        while True:
            try:
                await js.stream_info(settings.stream_name)
                return
            except NotFoundError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"stream {settings.stream_name} not created within {wait:g} s: "
                        "the service with PACTUM_<SERVICE>_STREAM_ADMIN=true (audit) creates it"
                    ) from None
                log.info("stream.awaited", stream=settings.stream_name)
                await asyncio.sleep(0.5)
    await put_stream(broker, stream_config(settings))


async def put_stream(broker: NatsBroker, config: StreamConfig) -> None:
    """Create the stream, or bring an existing one to ``config`` (idempotent)."""
    js = broker.connection.jetstream()
    try:
        await js.add_stream(config)
    except BadRequestError as error:
        if error.err_code != 10058:  # stream name already in use with a different configuration
            raise
        await js.update_stream(config)


class BatchConsumer:
    """A durable pull consumer on ``subjects`` (``dpa.>`` by default) that handles each fetched
    batch in one transaction.

    It pulls with nats-py directly: a fetch waits for the first message, lets more arrive for
    ``consumer_linger_seconds`` and takes what is there (up to ``consumer_batch_size``), instead
    of waiting for a full batch. Each message is opened on its own; one that can never be
    processed (not JSON, not an envelope, unknown type, subject that does not match its
    envelope, ``source`` not the subject's service: :func:`open_event`; or one the consumer's own
    ``admit`` refuses: audit's, a sealed name that does not open) is terminated and logged with
    its reason. The valid ones are claimed in the inbox with one
    multi-row insert and handed to ``handle`` together (duplicates, within the batch or from
    earlier deliveries, are left out), then acked after the commit. A racing replica makes the
    commit fail on the inbox key: the batch is retried and that replica's events are skipped. If
    the handler fails, the batch is retried one message per transaction, so one event that cannot
    be stored is nacked alone, with back-off; on its last delivery it is dead-lettered
    (terminated, logged as ``event.dead_lettered`` with its id). Replicas of a service share the
    durable. Start :meth:`run` as a task once the broker is connected; cancel it before stopping.

    On start the durable is created, or an existing one is brought to ``subjects`` (its filter
    subjects, nats-server 2.10+): the update keeps the consumer's acknowledged position, so a
    durable made with another filter goes on from where it was, without replay or loss.

    ``in_order`` (audit's one durable): on start, and after a fetch failed (a connection lost on
    the way back), when the durable has events delivered and never acknowledged (a process killed
    mid-batch, a fetch answer lost), the next fetch waits one ack wait, so those are due again and
    JetStream hands them out before newer events: each organisation's log keeps the stream's order
    across a restart. Without the wait, the restarted process recorded newer
    events first (``tests/faults``, ``logs_out_of_stream_order``).

    Each batch is one ``process DPA_EVENTS`` consumer span (OpenTelemetry's messaging
    conventions for batches) with a link to the context each event was produced in: the trace of
    the request behind an event leads to the batch that stored it (USE-2), at one span per batch
    rather than one per event.
    """

    def __init__(
        self,
        broker: NatsBroker,
        *,
        settings: ServiceSettings,
        durable: str,
        sessions: async_sessionmaker[AsyncSession],
        handle: BatchHandler,
        subjects: Sequence[str] = (STREAM_SUBJECTS,),
        tracer: trace.Tracer | None = None,
        stream: str | None = None,
        inbox: str | None = None,
        unwrap: int = 0,
        tally: ConsumerTally | None = None,
        admit: Admit | None = None,
        in_order: bool = False,
    ) -> None:
        self._broker = broker
        self._admit = admit
        self._in_order = in_order
        self.stream = stream or settings.stream_name
        # The inbox name its events are claimed under: durables that share one (audit's
        # partitions) record each event once whichever of them delivers it.
        self._inbox = inbox or durable
        # Leading subject tokens a transform put before the event's own subject (a partition).
        self._unwrap = unwrap
        self._tracer = tracer or trace.NoOpTracer()
        # One subject given as a string is one filter, not a sequence of characters.
        self._subjects = [subjects] if isinstance(subjects, str) else list(subjects)
        self._settings = settings
        self._durable = durable
        self._sessions = sessions
        self._handle = handle
        self.batches = 0
        self.tally = tally if tally is not None else ConsumerTally()

    async def ensure(self) -> None:
        """Create the durable, or bring an existing one to this configuration (its filter, its
        delivery limits) at the position it has."""
        js = self._broker.connection.jetstream()
        config = _consumer_config(self._settings, self._durable, self._subjects)
        await js.add_consumer(self.stream, config)

    async def redeliveries_first(self) -> None:
        """Wait one ack wait if the durable holds events delivered and never acknowledged, so
        that they are redelivered before anything newer (see ``in_order``)."""
        js = self._broker.connection.jetstream()
        unacknowledged = (await js.consumer_info(self.stream, self._durable)).num_ack_pending
        if unacknowledged:
            seconds = self._settings.consumer_ack_wait_seconds
            log.info(
                "consumer.waiting_for_redeliveries",
                consumer=self._durable,
                unacknowledged=unacknowledged,
                seconds=seconds,
            )
            await asyncio.sleep(seconds)

    async def run(self) -> None:
        js = self._broker.connection.jetstream()
        stream = self.stream
        await self.ensure()
        if self._in_order:
            await self.redeliveries_first()
        subscription = await js.pull_subscribe_bind(durable=self._durable, stream=stream)
        batch = self._settings.consumer_batch_size
        linger = self._settings.consumer_linger_seconds

        async def fetch() -> list[Msg]:
            # Wait for one message (returned as soon as it is there), let more arrive for the
            # linger, then take what is available: a single fetch of ``batch`` would, on an idle
            # stream, hold the first message until the batch is full or the timeout ends.
            try:
                first = await subscription.fetch(batch=1, timeout=1.0)
            except TimeoutError:
                return []
            if batch == 1:
                return first
            if linger:
                # A stop during the wait leaves the message to the ack wait, as any fetched and
                # unacknowledged one: a nak would make it due before the batch being stored,
                # which is older, and an in-order consumer would take them out of order.
                await asyncio.sleep(linger)
            try:
                return first + await subscription.fetch(batch=batch - 1, timeout=0.01)
            except TimeoutError:
                return first

        # The next fetch runs while the current batch is stored: network and database overlap,
        # and batches are still stored one after the other, in stream order.
        upcoming = asyncio.ensure_future(fetch())
        try:
            while True:
                try:
                    # Shielded: a cancel of this task must not reach the fetch, where nats-py's
                    # timeout can turn it into an empty batch and the cancel would be lost.
                    messages = await asyncio.shield(upcoming)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # connection lost: unacked messages come back later
                    log.warning("consumer.fetch_failed", consumer=self._durable, error=str(error))
                    await asyncio.sleep(1.0)
                    if self._in_order:  # a fetch lost on the way holds events until they are due
                        with suppress(Exception):  # still disconnected: the next fetch says so
                            await self.redeliveries_first()
                    messages = []
                upcoming = asyncio.ensure_future(fetch())
                if messages:
                    await self.consume(messages)
        finally:
            upcoming.cancel()
            # Let the cancelled fetch finish here, bounded, rather than leave it to the loop's end.
            await asyncio.wait([upcoming], timeout=1.0)
            # Unsubscribe, or the connection's drain at shutdown waits for this subscription.
            with suppress(Exception):
                await subscription.unsubscribe()

    async def consume(self, messages: Sequence[Msg]) -> None:
        durable = self._durable
        accepted = await self._admitted(messages)
        if not accepted:
            return
        self.batches += 1
        with self._tracer.start_as_current_span(
            f"process {self.stream}",
            kind=trace.SpanKind.CONSUMER,
            links=_producers(envelope for _, envelope, _ in accepted),
            attributes={
                "messaging.system": "nats",
                "messaging.operation.type": "process",
                "messaging.operation.name": "process",
                "messaging.destination.name": self.stream,
                "messaging.consumer.group.name": durable,
                "messaging.batch.message_count": len(accepted),
            },
        ) as span:
            stored = await _store_batch(
                self._sessions, self._inbox, self._handle, accepted, self.tally
            )
            if stored:
                for raw, _, _ in accepted:
                    await raw.ack()
                return
            span.set_attribute("error.type", "batch_failed")
            for one in accepted:  # the batch failed: find the event that cannot be stored
                raw, envelope, _ = one
                with structlog.contextvars.bound_contextvars(
                    event_id=str(envelope.id), tenant=envelope.tenantid, event_type=envelope.type
                ):
                    if await _store_batch(
                        self._sessions, self._inbox, self._handle, [one], self.tally
                    ):
                        await raw.ack()
                    else:
                        await self._failed(raw, envelope)

    async def _admitted(self, messages: Sequence[Msg]) -> list[tuple[Msg, Envelope, EventKind]]:
        """The batch's events that may be stored: each opened and checked against its subject
        and kind, then by the consumer's own ``admit``; the others are rejected (terminated,
        never redelivered) or, when admitting failed for a reason not the event's, retried."""
        durable = self._durable
        accepted: list[tuple[Msg, Envelope, EventKind]] = []
        for raw in messages:
            subject = raw.subject.split(".", self._unwrap)[-1] if self._unwrap else raw.subject
            envelope, kind, reason = open_event(raw.data, subject=subject)
            if envelope is not None and self._admit is not None:
                opened = envelope
                try:
                    envelope, reason = self._admit(opened)
                except Exception:  # not the event's fault (a key file unreadable): again later
                    log.exception("event.admit_failed", consumer=durable, event_id=str(opened.id))
                    await self._failed(raw, opened)
                    continue
            if envelope is None or kind is None:
                log.warning(
                    "event.rejected",
                    consumer=durable,
                    reason=reason,
                    subject=raw.subject,
                    nats_msg_id=(raw.headers or {}).get("Nats-Msg-Id"),
                )
                self.tally.rejected += 1
                await raw.term()
                continue
            accepted.append((raw, envelope, kind))
        return accepted

    async def _failed(self, raw: Msg, envelope: Envelope) -> None:
        """Nack with back-off, or dead-letter the event on its last delivery."""
        delivered = _delivered(raw)
        if delivered >= self._settings.consumer_max_deliver:
            self.tally.dead_lettered += 1
            log.error(
                "event.dead_lettered",
                consumer=self._durable,
                event_id=str(envelope.id),
                event_type=envelope.type,
                deliveries=delivered,
            )
            await raw.term()
            return
        self.tally.failed += 1
        await raw.nak(delay=min(2.0**delivered, 60.0))


# OpenTelemetry's default limit of links per span; a larger batch links its first 128 events.
_MAX_LINKS = 128


def _producers(envelopes: Iterable[Envelope]) -> list[trace.Link]:
    """Links to the span contexts the events were produced in (those that carry one)."""
    links: list[trace.Link] = []
    for envelope in envelopes:
        parent = context_from_traceparent(envelope.traceparent)
        if parent is None:
            continue
        produced = trace.get_current_span(parent).get_span_context()
        if produced.is_valid:
            links.append(trace.Link(produced, {"messaging.message.id": str(envelope.id)}))
            if len(links) == _MAX_LINKS:
                break
    return links


async def _store_batch(
    sessions: async_sessionmaker[AsyncSession],
    durable: str,
    handle: BatchHandler,
    batch: Sequence[tuple[Msg, Envelope, EventKind]],
    tally: ConsumerTally,
) -> bool:
    for _ in range(3):
        try:
            async with sessions() as session, session.begin():
                fresh = await claim_many(
                    session, consumer=durable, event_ids=[envelope.id for _, envelope, _ in batch]
                )
                events: list[tuple[Envelope, EventKind]] = []
                for _, envelope, kind in batch:
                    if envelope.id in fresh:
                        fresh.discard(envelope.id)  # a duplicate inside the batch goes once
                        events.append((envelope, kind))
                if len(events) < len(batch):
                    log.debug(
                        "event.duplicate_skipped", consumer=durable, count=len(batch) - len(events)
                    )
                if events:
                    await handle(session, events)
        except IntegrityError:
            log.info("event.duplicate_skipped", consumer=durable, race=True)
            continue
        except Exception:
            log.exception("event.handler_failed", consumer=durable, batch=len(batch))
            return False
        tally.stored += len(events)
        tally.duplicates += len(batch) - len(events)
        return True
    return False


def _consumer_config(
    settings: ServiceSettings, durable: str, subjects: Sequence[str] = ()
) -> ConsumerConfig:
    """The durable's configuration; ``subjects`` are its filter (one, or several)."""
    return ConsumerConfig(
        name=durable if subjects else None,
        durable_name=durable,
        filter_subject=subjects[0] if len(subjects) == 1 else None,
        filter_subjects=list(subjects) if len(subjects) > 1 else None,
        ack_policy=ConsumerAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=settings.consumer_ack_wait_seconds,
        max_deliver=settings.consumer_max_deliver,
        max_ack_pending=settings.consumer_batch_size * 16,
    )


def _delivered(raw: Msg) -> int:
    try:
        return int(raw.metadata.num_delivered)
    except Exception:
        return 1


@dataclass(frozen=True)
class _Contract:
    """What a consumer checks an event of one catalogued kind against, worked out once per kind."""

    kind: EventKind
    check_payload: Callable[[Any], object]  # the payload model's own validator, from Python
    subject_tail: str  # "<service>.<entity>.<verb>": the subject after "dpa.<tenant>."
    source: str  # "/dpa/<service>": only that service may publish the kind (TOM-T5)


_contracts: dict[str, _Contract] = {}


def _contract_of(event_type: str) -> _Contract:
    """The kind's contract; :class:`UnknownEventType` for a type not in the catalogue."""
    contract = _contracts.get(event_type)
    if contract is None:
        kind = kind_of(event_type)
        service, entity, verb, _ = parse_type(kind.type)
        contract = _contracts[event_type] = _Contract(
            kind=kind,
            check_payload=kind.payload.__pydantic_validator__.validate_python,
            subject_tail=f"{service}.{entity}.{verb}",
            source=f"/dpa/{service}",
        )
    return contract


def open_event(body: bytes, *, subject: str) -> tuple[Envelope | None, EventKind | None, str]:
    """Parse and validate one message; on failure, the reason it can never be processed.

    The envelope is validated from the JSON, then its ``data`` against the kind's payload model
    (the envelope keeps ``data`` as the JSON gave it). The expected subject is
    ``dpa.<tenant>.<service>.<entity>.<verb>`` (:func:`subject_for`); the tenant and the type
    have been checked by then, so it is put together from the kind's parts, worked out once.
    The ``source`` must be that service's (``/dpa/<service>``).
    """
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as error:
        first = error.errors()[0]
        if first.get("type") == "json_invalid":
            return None, None, "not JSON"
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        return None, None, f"not a CloudEvents envelope: {where}: {first.get('msg')}"
    try:
        contract = _contract_of(envelope.type)
    except UnknownEventType:
        return None, None, f"unknown event type {envelope.type!r} (not in the catalogue)"
    try:
        contract.check_payload(envelope.data)
    except ValidationError as error:
        return (
            None,
            None,
            f"payload does not match {contract.kind.type}: {error.error_count()} error(s)",
        )
    expected = f"dpa.{envelope.tenantid}.{contract.subject_tail}"
    if subject != expected:
        return (
            None,
            None,
            f"subject {subject!r} does not match the envelope (expected {expected!r})",
        )
    if envelope.source != contract.source:
        # Only the subject's service may publish there (its own NATS user, TOM-T5): another
        # source is a forgery or a bug, never an event of that service.
        return (
            None,
            None,
            f"source {envelope.source!r} does not match the subject's service "
            f"(expected {contract.source!r})",
        )
    return envelope, contract.kind, ""


__all__ = [
    "Admit",
    "BatchConsumer",
    "BatchHandler",
    "ConsumerTally",
    "build_broker",
    "bus_security",
    "each_event",
    "ensure_stream",
    "open_event",
    "partitioned_stream_config",
    "put_stream",
    "stream_config",
]
