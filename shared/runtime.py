"""What a service runs on: database, broker, outbox relay, token verifier, tracing and probes.

Each service's ``create_app`` builds one :class:`ServiceRuntime`, registers its consumers on it,
and hands its lifespan to FastAPI. Nothing here knows about agreements, users or audit entries.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import structlog
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import api_reference, operations
from shared.access_attempts import record_grant_refusal
from shared.auth import JwksSource, Principal, TokenVerifier, http_jwks
from shared.body_limit import BodyLimit
from shared.broker import (
    Admit,
    BatchConsumer,
    BatchHandler,
    ConsumerTally,
    Handler,
    build_broker,
    each_event,
    ensure_stream,
)
from shared.database import is_reachable, service_engine, session_factory
from shared.events.subjects import STREAM_SUBJECTS
from shared.idempotency import IdempotentRequests
from shared.ingest_keys import NameSealer
from shared.metrics import CONTENT_TYPE, Reading, ServiceMetrics
from shared.migrations import SHARED_TABLES, migrate
from shared.operations import StatusSection
from shared.outbox import Outbox, OutboxRelay, backlog, prune_published
from shared.pseudonyms import Pseudonyms, load_or_create_key
from shared.request import client_address, client_agent
from shared.revocation import RevocationList, listen
from shared.settings import ServiceSettings
from shared.telemetry import build_tracer_provider, trace_outgoing

log = structlog.get_logger("pactum.runtime")


@dataclass
class Lag:
    """A durable consumer's position in the stream, as JetStream last reported it."""

    pending: int  # in the stream, not yet delivered to the consumer
    ack_pending: int  # delivered, not yet acknowledged
    redelivered: int  # delivered more than once, not yet acknowledged


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        tables: Sequence[Table],
        jwks: JwksSource | None = None,
        names: NameSealer | None = None,
    ) -> None:
        self.settings = settings
        self.tables = (*tables, *SHARED_TABLES)
        self.tracer_provider = build_tracer_provider(settings.service)
        self.metrics = ServiceMetrics(settings.service)
        self.engine = service_engine(settings)
        self.sessions = session_factory(self.engine)
        self.broker = build_broker(settings, self.tracer_provider)
        self.pseudonyms = Pseudonyms(load_or_create_key(settings.pseudonym_key_path))
        # Audit's public ingest key, which the actor's name is sealed to: read on start (audit
        # passes its own sealer, which writes the key first).
        self.names = names or NameSealer.for_producer(
            settings.ingest_public_key_path,
            environment=settings.environment,
            var_dir=settings.var_dir,
        )
        self.outbox = Outbox(source=settings.source, pseudonyms=self.pseudonyms, names=self.names)
        self.relay = OutboxRelay(
            sessions=self.sessions,
            publish=self.broker.publish,
            stream=settings.stream_name,
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            tracer=self.tracer_provider.get_tracer("pactum.outbox"),
        )
        self.outbox.relay = self.relay
        self.outbox_pruned = 0  # published outbox rows deleted by this process (the metrics)
        # Sessions and grants identity revoked: refused here before their tokens expire.
        self.revocations = RevocationList()
        self.shutdown: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.verifier = self._token_verifier(jwks)
        # Sampled every ``metrics_sample_seconds`` (not per event) and read by the metrics.
        self.consumers: dict[str, ConsumerTally] = {}
        self.consumer_streams: dict[str, str] = {}  # the stream each durable reads
        self.outbox_backlog: tuple[int, datetime | None] | None = None
        self.consumer_lag: dict[str, Lag] = {}
        # Sections a service adds to ``GET /operations/status`` (audit: its checkpoints).
        self.status_sections: dict[str, StatusSection] = {}
        self._observe_platform()
        self._tasks: list[asyncio.Task[None]] = []
        self.startup: list[Callable[[], Any]] = []
        self.background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.repeat("outbox-pruner", settings.outbox_prune_seconds, self.prune_outbox)

    def _token_verifier(self, jwks: JwksSource | None) -> TokenVerifier:
        """The bearer-token check: identity's public keys (fetched over HTTP in the verifier's
        trace unless given), its issuer and audience, and the sessions and keys revoked."""
        settings = self.settings
        if jwks is None:
            keys = trace_outgoing(
                httpx.AsyncClient(),
                tracer_provider=self.tracer_provider,
                meter_provider=self.metrics.provider,
            )
            jwks = http_jwks(settings.jwks_url, client=keys)
            self.shutdown.append(keys.aclose)
        verifier = TokenVerifier(
            jwks=jwks,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            revocations=self.revocations,
        )
        self.revocations.on_key_revoked.append(verifier.drop_key)
        return verifier

    def consume(
        self, durable: str, handle: Handler, *, subjects: str | Sequence[str] = STREAM_SUBJECTS
    ) -> BatchConsumer:
        """Register this service's durable consumer of ``subjects`` (``dpa.>`` by default) whose
        handler takes one event at a time (:func:`shared.broker.each_event`)."""
        return self.consume_batches(durable, each_event(handle), subjects=subjects)

    def consume_batches(
        self,
        durable: str,
        handle: BatchHandler,
        *,
        subjects: Sequence[str] = (STREAM_SUBJECTS,),
        admit: Admit | None = None,
        in_order: bool = False,
    ) -> BatchConsumer:
        """Register a durable consumer of ``subjects`` (``dpa.>`` by default) that stores each
        fetched batch at once (``admit``: its own check of each event, :data:`Admit`;
        ``in_order``: redeliveries before newer events after a restart, :class:`BatchConsumer`)."""
        consumer = BatchConsumer(
            self.broker,
            settings=self.settings,
            durable=durable,
            sessions=self.sessions,
            handle=handle,
            subjects=subjects,
            tracer=self.tracer_provider.get_tracer("pactum.consumer"),
            admit=admit,
            in_order=in_order,
        )
        self.track(durable, consumer)
        self.background.append(consumer.run)
        return consumer

    def track(self, durable: str, consumer: BatchConsumer) -> None:
        """Count ``consumer``'s events and sample its lag in the metrics (a consumer the service
        starts itself, such as one of audit's partitions)."""
        self.consumers[durable] = consumer.tally
        self.consumer_streams[durable] = consumer.stream

    def repeat(self, name: str, every: float, step: Callable[[], Awaitable[object]]) -> None:
        """Run ``step`` in the background every ``every`` seconds, the first time after one
        interval (a start does not race its own requests); a failed round is logged and the next
        one tries again."""

        async def rounds() -> None:
            while True:
                await asyncio.sleep(every)
                try:
                    await step()
                except Exception as error:  # the database away: the next round tries again
                    log.warning(
                        "service.step_failed", step=name, error=f"{type(error).__name__}: {error}"
                    )

        rounds.__name__ = name
        self.background.append(rounds)

    async def record_grant_refusal(self, principal: Principal, method: str) -> None:
        """A token under a grant the customer revoked reached this service: file the attempt in
        the customer's log (TOM-T3c). Never in the way of the caller's 401: a failure is logged."""
        assert principal.grant_id is not None
        try:
            await record_grant_refusal(
                sessions=self.sessions,
                outbox=self.outbox,
                service=self.settings.service,
                actor=principal.actor,
                customer_id=principal.organisation_id,
                grant_id=principal.grant_id,
                reason="revoked",
                method=method,
            )
        except Exception as error:
            log.warning("access.grant_refusal_failed", error=f"{type(error).__name__}")

    def install(self, app: FastAPI) -> None:
        app.state.runtime = self
        api_reference.install(app)
        app.include_router(probes)
        app.include_router(operations.router)
        # Inside the request context (logged, timed), outside every route: a replayed answer
        # reaches no route and so emits nothing.
        app.add_middleware(IdempotentRequests, sessions=self.sessions, verifier=self.verifier)
        # Outside everything that reads a body (the idempotency check included).
        app.add_middleware(BodyLimit, max_bytes=self.settings.max_body_bytes)
        app.add_middleware(
            RequestContext,
            service=self.settings.service,
            metrics=self.metrics,
            pseudonyms=self.pseudonyms,
        )
        # One server span per request; the ASGI "http receive"/"http send" child spans (three
        # more per request) told nothing a trace is read for and cost CPU on every request.
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.tracer_provider,
            excluded_urls="healthz,readyz,metrics",
            exclude_spans=["receive", "send"],
        )

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        # No event leaves without the actor's name sealed: without audit's key, no start.
        self.names.load()
        # Alembic upgrade to head (services/<service>/migrations), one replica at a time.
        await migrate(self.settings, self.engine, self.tables)
        for step in self.startup:
            result = step()
            if asyncio.iscoroutine(result):
                await result
        await self.broker.connect()
        await ensure_stream(self.broker, self.settings)
        await self.broker.start()
        revocation_subscriptions = await listen(
            self.broker.connection, stream=self.settings.stream_name, revocations=self.revocations
        )
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        self._tasks.append(asyncio.create_task(self._sample_metrics(), name="metrics-sampler"))
        for run in self.background:
            self._tasks.append(asyncio.create_task(run(), name=getattr(run, "__name__", "task")))
        log.info("service.started", service=self.settings.service, port=self.settings.port)
        try:
            yield
        finally:
            await stop_tasks(self._tasks)
            self._tasks.clear()
            for close in self.shutdown:
                try:
                    await close()
                except Exception as error:
                    log.warning(
                        "service.shutdown_step_failed", error=f"{type(error).__name__}: {error}"
                    )
            for subscription in revocation_subscriptions:
                with suppress(Exception):
                    await subscription.unsubscribe()
            try:
                await self.broker.stop()
            except Exception as error:  # NATS may be gone first (make run stops all at once)
                log.warning("service.broker_stop_failed", error=f"{type(error).__name__}: {error}")
            await self.engine.dispose()
            self.tracer_provider.shutdown()
            self.metrics.shutdown()
            log.info("service.stopped", service=self.settings.service)

    async def sample_metrics(self) -> None:
        """Read the outbox backlog (one query) and each consumer's lag (one request each)."""
        try:
            self.outbox_backlog = await backlog(self.sessions)
        except Exception as error:
            self.outbox_backlog = None  # unknown, not stale
            log.debug("metrics.outbox_unavailable", error=str(error))
        connection = self.broker._connection
        if connection is None or not connection.is_connected:
            self.consumer_lag = {}
            return
        js = connection.jetstream()
        lag: dict[str, Lag] = {}
        for durable in self.consumers:
            try:
                stream = self.consumer_streams.get(durable, self.settings.stream_name)
                info = await js.consumer_info(stream, durable, timeout=2.0)
            except Exception as error:  # not created yet, or NATS just went away
                log.debug("metrics.consumer_unavailable", consumer=durable, error=str(error))
                continue
            lag[durable] = Lag(
                pending=info.num_pending or 0,
                ack_pending=info.num_ack_pending or 0,
                redelivered=info.num_redelivered or 0,
            )
        self.consumer_lag = lag

    async def prune_outbox(self, *, now: datetime | None = None) -> int:
        """Delete the published outbox rows past the duplicate window and its margin
        (``outbox_kept_seconds``); logs and counts how many, never what they held."""
        published_before = (now or datetime.now(UTC)) - timedelta(
            seconds=self.settings.outbox_kept_seconds
        )
        count = await prune_published(
            self.sessions,
            published_before=published_before,
            batch_size=self.settings.outbox_prune_batch_size,
        )
        self.outbox_pruned += count
        if count:
            log.info("outbox.pruned", count=count, published_before=published_before.isoformat())
        return count

    async def _sample_metrics(self) -> None:
        while True:
            await self.sample_metrics()
            await asyncio.sleep(self.settings.metrics_sample_seconds)

    def _observe_platform(self) -> None:
        """The instruments every service has, read from what the runtime keeps in memory."""
        observe = self.metrics.observe
        for name, read, unit, description in (
            ("pactum.outbox.pending_events", self._pending_events, "{event}",
             "Committed events the outbox relay has not yet published."),
            ("pactum.outbox.oldest_pending_age", self._oldest_pending_age, "s",
             "Age of the oldest unpublished outbox event (0 when none waits)."),
            ("pactum.consumer.pending_messages", self._lag("pending"), "{message}",
             "Messages in the stream not yet delivered to the durable consumer."),
            ("pactum.consumer.ack_pending_messages", self._lag("ack_pending"), "{message}",
             "Messages delivered to the durable consumer, not yet acknowledged."),
            ("pactum.consumer.redelivered_messages", self._lag("redelivered"), "{message}",
             "Unacknowledged messages the durable consumer was given more than once."),
            ("pactum.nats.connected", self._nats_connected, "",
             "1 while the connection to NATS is up, else 0."),
            ("pactum.revocations.active", self._revocations_active, "{revocation}",
             "Revoked sessions and grants this service currently refuses."),
        ):  # fmt: skip
            observe(name, read, unit=unit, description=description)
        for name, read, unit, description in (
            ("pactum.outbox.published_events", lambda: [(self.relay.published, {})], "{event}",
             "Outbox events published to JetStream by this process."),
            ("pactum.outbox.relay_failures", lambda: [(self.relay.failures, {})], "{pass}",
             "Outbox relay passes that failed (NATS or the database unreachable)."),
            ("pactum.outbox.pruned_events", lambda: [(self.outbox_pruned, {})], "{event}",
             "Published outbox events deleted past the duplicate window, by this process."),
            ("pactum.consumer.events", self._consumer_events, "{event}",
             "Events a durable consumer stored, skipped as duplicates, rejected, failed on "
             "(failed ones are redelivered) or dead-lettered after their last delivery, in this "
             "process."),
        ):  # fmt: skip
            observe(name, read, kind="counter", unit=unit, description=description)

    # The readings of the platform's instruments (:meth:`_observe_platform`).

    def _pending_events(self) -> Reading:
        return [] if self.outbox_backlog is None else [(self.outbox_backlog[0], {})]

    def _oldest_pending_age(self) -> Reading:
        if self.outbox_backlog is None:
            return []
        oldest = self.outbox_backlog[1]
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        return [(max(age, 0.0), {})]

    def _lag(self, field: str) -> Callable[[], Reading]:
        return lambda: [
            (getattr(position, field), {"consumer": durable})
            for durable, position in self.consumer_lag.items()
        ]

    def _consumer_events(self) -> Reading:
        return [
            (getattr(tally, outcome), {"consumer": durable, "outcome": outcome})
            for durable, tally in self.consumers.items()
            for outcome in ConsumerTally.OUTCOMES
        ]

    def _nats_connected(self) -> Reading:
        connection = self.broker._connection
        return [(int(connection is not None and connection.is_connected), {})]

    def _revocations_active(self) -> Reading:
        sessions, grants = self.revocations.sizes()
        return [(sessions, {"kind": "session"}), (grants, {"kind": "grant"})]

    async def ready(self) -> dict[str, bool]:
        connection = self.broker._connection
        return {
            "database": await is_reachable(self.engine),
            "nats": bool(connection is not None and connection.is_connected),
        }


async def stop_tasks(tasks: list[asyncio.Task[None]], *, grace: float = 2.0) -> None:
    """Cancel the tasks once and give them ``grace`` seconds to finish; cancel again only those
    still running after that.

    One cancel is enough for a task that honours it. A task cancelled in the middle of a database
    call has its connection invalidated, and SQLAlchemy then closes it gracefully under a shield;
    a second cancel landing during that close also force-stops the connection, which on SQLite
    once stranded the close (the event loop then hung at its end; ``database.SqliteConnection``
    makes that harmless). The cancel is repeated only for what Python 3.11's ``asyncio.wait_for``
    can do: swallow a cancel that lands as the awaited call completes, and run on.
    """
    while pending := [task for task in tasks if not task.done()]:
        for task in pending:
            task.cancel()
        _, still_running = await asyncio.wait(pending, timeout=grace)
        if still_running:
            log.warning(
                "service.task_ignored_cancel",
                tasks=sorted(task.get_name() for task in still_running),
            )
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            log.warning("service.task_failed", task=task.get_name(), error=str(task.exception()))


async def runtime_of(request: Request) -> ServiceRuntime:
    """Async on purpose: FastAPI runs a plain ``def`` dependency in its thread pool."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(runtime_of)]


async def _session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]

probes = APIRouter(tags=["probes"])


@probes.get("/healthz", summary="Liveness: the process answers.")
async def healthz() -> dict[str, str]:
    return {"status": "alive"}


@probes.get("/metrics", include_in_schema=False)  # operational: see docs/operations.md#metrics
async def metrics(runtime: RuntimeDep) -> Response:
    """The Prometheus text format, from OpenTelemetry's Prometheus exporter; no tenant data (no
    organisation ids, no raw paths)."""
    return Response(runtime.metrics.exposition(), media_type=CONTENT_TYPE)


@probes.get(
    "/readyz",
    summary="Readiness: the database and NATS are reachable.",
    responses={503: {"description": "A dependency is unreachable."}},
)
async def readyz(runtime: RuntimeDep) -> Response:
    checks = await runtime.ready()
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


OPERATIONAL_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # not logged, not measured


def _user_agent(scope: Scope) -> str | None:
    """The request's User-Agent header, cut to 300 characters."""
    for name, value in scope.get("headers") or ():
        if name == b"user-agent":
            agent: str = value.decode("latin-1")
            return agent[:300]
    return None


class RequestContext:
    """Binds the request's log context, logs one line per request, sets defensive headers, and
    records the request under the HTTP semantic conventions: its duration by route template (never
    the raw path) and status code, and the requests in flight."""

    def __init__(
        self, app: ASGIApp, *, service: str, metrics: ServiceMetrics, pseudonyms: Pseudonyms
    ) -> None:
        self.app = app
        self.service = service
        self.metrics = metrics
        self.pseudonyms = pseudonyms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        request_id = str(uuid.uuid4())
        structlog.contextvars.bind_contextvars(service=self.service, request_id=request_id)
        address = (scope.get("client") or (None, 0))[0]
        client_address.set(address)
        client_agent.set(_user_agent(scope))
        path = scope.get("path", "")
        measured = path not in OPERATIONAL_PATHS
        scheme = scope.get("scheme", "http")
        ended = (
            self.metrics.request_started(method=scope.get("method", ""), scheme=scheme)
            if measured
            else None
        )
        started = time.perf_counter()
        status_code = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message["headers"] = _answer_headers(message, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if ended is not None:
                ended()
                self._completed(
                    scope,
                    path=path,
                    scheme=scheme,
                    status=status_code,
                    seconds=time.perf_counter() - started,
                    address=address,
                )
            structlog.contextvars.clear_contextvars()

    def _completed(
        self,
        scope: Scope,
        *,
        path: str,
        scheme: str,
        status: int,
        seconds: float,
        address: str | None,
    ) -> None:
        """A measured request answered: its duration by route template (never the raw path) and
        status, and its one log line (the address's pseudonym, never the address: TOM-32a)."""
        self.metrics.record_request(
            method=scope.get("method", ""),
            route=getattr(scope.get("route"), "path", None),
            status=status,
            seconds=seconds,
            scheme=scheme,
        )
        log.info(
            "request.completed",
            method=scope.get("method"),
            path=path,
            status=status,
            duration_ms=round(seconds * 1000, 2),
            client=self.pseudonyms.of_address(address) if address else None,
        )


def _answer_headers(start: Message, request_id: str) -> list[tuple[bytes, bytes]]:
    """The answer's headers with the request's trace and request ids, and the defensive ones
    every answer carries."""
    headers = list(start.get("headers", []))
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        headers.append((b"x-trace-id", format(span_context.trace_id, "032x").encode()))
    headers += [
        (b"x-request-id", request_id.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"cache-control", b"no-store"),
        (b"referrer-policy", b"no-referrer"),
    ]
    return headers
