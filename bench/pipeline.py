"""Section B: the pactum event pipeline, outbox → relay → JetStream → audit consumer → audit entry.

The agreements and audit services run in this process with their default settings (relay poll
and batch, consumer fetch batch: the values in use go into the JSON), each on its own SQLite
database, logging as in production (JSON, INFO) into a file. Load is driven in two ways:

* ``http``: ``POST /agreements`` through the agreements app (httpx ``ASGITransport``), so each
  event costs a full request: token check, agreement row, outbox row, one transaction;
* ``outbox``: :meth:`Outbox.add` in a transaction of its own, nothing else, to isolate the
  event pipeline.

Each phase uses a fresh organisation id, so its audit entries are told apart by
``organisation_id``, and waits until every one of its events has an audit entry.
"""

import asyncio
import gc
import math
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import col

from bench.probes import CpuSnapshot, GcProbe, LogTally, RelayProbe, SqlProbe
from bench.stats import summarise
from services.agreements.main import create_app as agreements_app
from services.agreements.settings import AgreementsSettings
from services.audit.consumers import DURABLE as AUDIT_DURABLE
from services.audit.main import create_app as audit_app
from services.audit.settings import AuditSettings
from services.audit.store import AuditEntry
from shared.auth import JwksSource, Role, TokenSigner
from shared.events import Actor
from shared.events.contracts.agreements import AgreementCreated
from shared.outbox import OutboxMessage
from shared.runtime import ServiceRuntime

ISSUER = "pactum-identity"
AUDIENCE = "pactum"
EVENT_TYPE = "dpa.agreements.agreement.created.v1"

Source = Literal["outbox", "http"]
SOURCES: tuple[Source, ...] = ("outbox", "http")


def static_jwks(signer: TokenSigner) -> JwksSource:
    async def fetch() -> dict[str, Any]:
        return signer.jwks()

    return fetch


def _utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


@dataclass
class Produced:
    """What the load generator knows about one event it caused."""

    sent: datetime
    response_seconds: float | None = None


@dataclass
class Load:
    """How one phase drives the pipeline."""

    source: Source
    count: int
    rate: float | None = None  # events per second offered; None for flat out
    concurrency: int = 8  # flat out: producers running at once
    produced: dict[str, Produced] = field(default_factory=dict)
    late_starts: int = 0
    max_in_flight: int = 0


class Pipeline:
    """Agreements and audit running in-process on one nats-server, with probes attached."""

    def __init__(
        self,
        *,
        nats_url: str,
        nats_pid: int | None,
        work_dir: Path,
        log_sink: TextIO,
        audit_batch: int | None = None,
        gc_freeze: bool = False,
    ) -> None:
        self.audit_batch = audit_batch
        self.gc_freeze = gc_freeze
        self.nats_url = nats_url
        self.nats_pid = nats_pid
        self.work_dir = work_dir
        self.logs = LogTally(log_sink)
        self.signer = TokenSigner.generate(issuer=ISSUER, audience=AUDIENCE)
        self.apps: dict[str, FastAPI] = {}
        self.client: httpx.AsyncClient | None = None
        self._stack = AsyncExitStack()

    def _settings(self, service: str) -> AgreementsSettings | AuditSettings:
        settings_class = AgreementsSettings if service == "agreements" else AuditSettings
        values: dict[str, Any] = {
            "var_dir": self.work_dir / "var",
            "nats_url": self.nats_url,
            "database_url": f"sqlite+aiosqlite:///{self.work_dir / f'{service}.db'}",
            "token_issuer": ISSUER,
            "token_audience": AUDIENCE,
        }
        if service == "audit" and self.audit_batch is not None:
            values["consumer_batch_size"] = self.audit_batch
        return settings_class(**values)

    def runtime(self, service: str) -> ServiceRuntime:
        runtime: ServiceRuntime = self.apps[service].state.runtime
        return runtime

    @asynccontextmanager
    async def running(self) -> AsyncIterator["Pipeline"]:
        self.logs.install()
        async with self._stack:
            for service, create_app in (("audit", audit_app), ("agreements", agreements_app)):
                app = create_app(self._settings(service), jwks=static_jwks(self.signer))
                # The app's own lifespan: the runtime's, plus whatever the service adds to it.
                await self._stack.enter_async_context(app.router.lifespan_context(app))
                self.apps[service] = app
            self.client = await self._stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=self.apps["agreements"]),
                    base_url="http://agreements",
                )
            )
            self.relay_probe = RelayProbe(self.runtime("agreements").relay)
            self.sql = {
                service: SqlProbe(self.runtime(service).engine)
                for service in ("agreements", "audit")
            }
            if self.gc_freeze:
                # Experiment: keep everything alive after start-up out of later full collections.
                gc.collect()
                gc.freeze()
            self.gc = GcProbe()
            try:
                yield self
            finally:
                self.gc.close()

    def settings_in_use(self) -> dict[str, Any]:
        agreements = self.runtime("agreements").settings
        audit = self.runtime("audit").settings
        return {
            "outbox_poll_seconds": agreements.outbox_poll_seconds,
            "outbox_batch_size": agreements.outbox_batch_size,
            "consumer_batch_size": audit.consumer_batch_size,
            "gc_freeze_after_start": self.gc_freeze,
            "databases": "SQLite (aiosqlite), WAL, synchronous=NORMAL, one file per service",
        }

    # -- producing events ---------------------------------------------------------------------

    def producer(self, load: Load, organisation: str) -> Callable[[int], Coroutine[Any, Any, None]]:
        if load.source == "http":
            return self._http_producer(load, organisation)
        return self._outbox_producer(load, organisation)

    def _http_producer(
        self, load: Load, organisation: str
    ) -> Callable[[int], Coroutine[Any, Any, None]]:
        assert self.client is not None
        client = self.client
        headers = {
            "Authorization": "Bearer "
            + self.signer.issue(
                user_id=f"bench-{uuid.uuid4().hex[:8]}",
                organisation_id=organisation,
                roles=(Role.admin,),
            )
        }

        async def produce(index: int) -> None:
            sent = datetime.now(UTC)
            started = time.perf_counter()
            response = await client.post(
                "/agreements", json={"title": f"Bench agreement {index}"}, headers=headers
            )
            elapsed = time.perf_counter() - started
            if response.status_code != 201:
                raise RuntimeError(f"POST /agreements: {response.status_code} {response.text}")
            load.produced[response.json()["id"]] = Produced(sent=sent, response_seconds=elapsed)

        return produce

    def _outbox_producer(
        self, load: Load, organisation: str
    ) -> Callable[[int], Coroutine[Any, Any, None]]:
        runtime = self.runtime("agreements")
        tracer = runtime.tracer_provider.get_tracer("pactum.bench")
        actor = Actor(id=f"bench-{uuid.uuid4().hex[:8]}", organisation_id=organisation)

        async def produce(_index: int) -> None:
            subject = uuid.uuid4()
            sent = datetime.now(UTC)
            # A span, as in a request, so the envelope carries a traceparent like a real one.
            with tracer.start_as_current_span("bench outbox.add"):
                async with runtime.sessions() as session, session.begin():
                    runtime.outbox.add(
                        session,
                        type=EVENT_TYPE,
                        tenant=organisation,
                        actor=actor,
                        subject=str(subject),
                        data=AgreementCreated(agreement_id=subject),
                    )
            load.produced[str(subject)] = Produced(sent=sent)

        return produce

    @staticmethod
    async def _flat_out(load: Load, produce: Callable[[int], Coroutine[Any, Any, None]]) -> None:
        indexes = iter(range(load.count))

        async def worker() -> None:
            for index in indexes:
                await produce(index)

        await asyncio.gather(*(worker() for _ in range(load.concurrency)))

    @staticmethod
    async def _steady(load: Load, produce: Callable[[int], Coroutine[Any, Any, None]]) -> None:
        """Open loop: event ``i`` starts at ``i / rate`` whether or not earlier ones finished."""
        assert load.rate is not None
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks: list[asyncio.Task[None]] = []
        in_flight: set[asyncio.Task[None]] = set()
        for index in range(load.count):
            delay = start + index / load.rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.005:
                load.late_starts += 1
            task = asyncio.create_task(produce(index))
            tasks.append(task)
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            load.max_in_flight = max(load.max_in_flight, len(in_flight))
        await asyncio.gather(*tasks)

    # -- one phase ----------------------------------------------------------------------------

    async def audit_count(self, organisation: str) -> int:
        async with self.runtime("audit").sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(col(AuditEntry.organisation_id) == organisation)
            )
        return int(count or 0)

    async def wait_for_audit(
        self, organisation: str, count: int, within: float, interval: float = 0.05
    ) -> int:
        """Poll until ``count`` audit entries exist for ``organisation``; the number seen."""
        deadline = time.monotonic() + within
        seen = 0
        while time.monotonic() < deadline:
            seen = await self.audit_count(organisation)
            if seen >= count:
                return seen
            await asyncio.sleep(interval)
        return seen

    async def _redelivered(self) -> int | None:
        """Messages the audit consumer has had redelivered so far (None if it cannot be read)."""
        runtime = self.runtime("audit")
        js = runtime.broker.connection.jetstream()
        try:
            info = await js.consumer_info(runtime.settings.stream_name, AUDIT_DURABLE)
        except Exception:
            return None
        return int(info.num_redelivered)

    async def _outbox_position(self) -> int:
        async with self.runtime("agreements").sessions() as session:
            return int(await session.scalar(select(func.max(OutboxMessage.position))) or 0)

    async def run_phase(
        self, name: str, load: Load, *, drain_timeout: float, keep_samples: bool = False
    ) -> dict[str, Any]:
        organisation = str(uuid.uuid4())
        produce = self.producer(load, organisation)
        self.relay_probe.reset()
        self.gc.reset()
        first_position = await self._outbox_position()
        redelivered_before = await self._redelivered()
        logs_before = self.logs.snapshot()
        sql_before = {service: probe.snapshot() for service, probe in self.sql.items()}
        cpu_before = CpuSnapshot.take(self.nats_pid)
        cpu_clock = time.perf_counter()

        started = datetime.now(UTC)
        clock = time.perf_counter()
        if load.rate is None:
            await self._flat_out(load, produce)
        else:
            await self._steady(load, produce)
        produce_seconds = time.perf_counter() - clock
        seen = await self.wait_for_audit(organisation, load.count, drain_timeout)
        cpu_after = CpuSnapshot.take(self.nats_pid)
        cpu_wall = time.perf_counter() - cpu_clock
        gc_report = self.gc.report()
        redelivered_after = await self._redelivered()

        async with self.runtime("audit").sessions() as session:
            entries = (
                await session.execute(
                    select(
                        col(AuditEntry.event_id),
                        col(AuditEntry.subject),
                        col(AuditEntry.occurred_at),
                        col(AuditEntry.recorded_at),
                    ).where(col(AuditEntry.organisation_id) == organisation)
                )
            ).all()
        async with self.runtime("agreements").sessions() as session:
            rows = await session.execute(
                select(col(OutboxMessage.event_id), col(OutboxMessage.created_at)).where(
                    col(OutboxMessage.position) > first_position
                )
            )
            created: dict[uuid.UUID, datetime] = {row[0]: row[1] for row in rows.all()}

        lags: list[float] = []
        to_pickup: list[float] = []
        to_puback: list[float] = []
        to_recorded: list[float] = []
        from_sent: list[float] = []
        samples: list[list[float | None]] = []
        last_recorded = started
        for event_id, subject, occurred_at, recorded_at in entries:
            occurred = _utc(created.get(event_id, occurred_at))
            recorded = _utc(recorded_at)
            last_recorded = max(last_recorded, recorded)
            lag = _seconds(recorded, occurred)
            lags.append(lag)
            picked = self.relay_probe.picked_at.get(str(event_id))
            acked = self.relay_probe.acked_at.get(str(event_id))
            stages: list[float | None] = [None, None, None]
            if picked is not None and acked is not None:
                stages = [
                    max(0.0, _seconds(picked, occurred)),
                    _seconds(acked, max(picked, occurred)),
                    _seconds(recorded, acked),
                ]
                to_pickup.append(stages[0] or 0.0)
                to_puback.append(stages[1] or 0.0)
                to_recorded.append(stages[2] or 0.0)
            samples.append(
                [
                    round(1000 * value, 2) if value is not None else None
                    for value in (_seconds(occurred, started), lag, *stages)
                ]
            )
            produced = load.produced.get(subject or "")
            if produced is not None:
                from_sent.append(_seconds(recorded, produced.sent))

        end_to_end = _seconds(last_recorded, started)
        batches = self.relay_probe.batches
        sql: dict[str, Any] = {}
        for service, probe in self.sql.items():
            statements, commits, seconds = (
                after - before
                for after, before in zip(probe.snapshot(), sql_before[service], strict=True)
            )
            sql[service] = {
                "statements_per_event": statements / max(1, len(entries)),
                "commits_per_event": commits / max(1, len(entries)),
                "execute_seconds": seconds,
            }
        result: dict[str, Any] = {
            "name": name,
            "source": load.source,
            "mode": "flat-out" if load.rate is None else "steady",
            "events": load.count,
            "audit_entries": seen,
            "complete": seen >= load.count,
            "concurrency": load.concurrency if load.rate is None else None,
            "offered_rate_per_s": load.rate,
            "late_starts": load.late_starts,
            "max_in_flight": load.max_in_flight,
            "produce_seconds": produce_seconds,
            "produce_rate_per_s": load.count / produce_seconds if produce_seconds else math.nan,
            "end_to_end_seconds": end_to_end,
            "events_per_s": len(entries) / end_to_end if end_to_end > 0 else math.nan,
            "lag": summarise(lags).as_dict(),
            "stages": {
                "commit_to_relay_pickup": summarise(to_pickup).as_dict(),
                "relay_pickup_to_puback": summarise(to_puback).as_dict(),
                "puback_to_audit_recorded": summarise(to_recorded).as_dict(),
            },
            "relay": {
                "batches": len(batches),
                "rows_per_batch": sum(rows for _, rows in batches) / len(batches) if batches else 0,
                "busy_seconds": sum(seconds for seconds, _ in batches),
                "publish_seconds": sum(self.relay_probe.publish_calls),
                "publish_call": summarise(self.relay_probe.publish_calls).as_dict(),
            },
            "sql": sql,
            "cpu": cpu_after.since(cpu_before, cpu_wall),
            "gc": gc_report,
            "redelivered": (
                redelivered_after - redelivered_before
                if redelivered_after is not None and redelivered_before is not None
                else None
            ),
            "log_events": self.logs.since(logs_before),
        }
        if keep_samples:
            samples.sort(key=lambda sample: sample[0] or 0.0)
            result["samples"] = {
                "fields": ["created_ms", "lag_ms", "pickup_ms", "publish_ms", "consume_ms"],
                "note": "created_ms counts from the phase start; one row per audit entry",
                "rows": samples,
            }
        if load.source == "http":
            result["http"] = {
                "response": summarise(
                    [p.response_seconds for p in load.produced.values() if p.response_seconds]
                ).as_dict(),
                "request_to_audit_recorded": summarise(from_sent).as_dict(),
            }
        return result

    async def warm_up(self, events: int) -> None:
        """Unmeasured: first requests, statement caches, the consumer's first fetch."""
        for source in SOURCES:
            load = Load(source=source, count=events, concurrency=4)
            organisation = str(uuid.uuid4())
            await self._flat_out(load, self.producer(load, organisation))
            await self.wait_for_audit(organisation, events, 30)
