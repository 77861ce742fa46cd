"""Measuring instruments attached to the running services, without changing their code.

* :class:`LogTally` renders pactum's structured logs as production does (JSON, INFO) into a sink
  and counts the events, so warnings such as ``event.handler_failed`` show up in the report.
* :class:`RelayProbe` wraps the outbox relay's batch and publish calls to time them and to stamp,
  per event, when the relay picked it up and when its PubAck arrived.
* :class:`SqlProbe` counts statements and commits per engine and times statement execution.
* :class:`GcProbe` times the garbage collector's pauses (they stop the whole event loop).
* :class:`CpuSnapshot` reads the CPU time of this process, of nats-server and of the machine,
  so a figure taken while something else kept the machine busy can be told apart.
"""

import gc
import logging
import os
import time
from collections import Counter
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.logging import shared_processors
from shared.outbox import MSG_ID_HEADER, OutboxRelay


class LogTally:
    """Counts log events by ``level:event`` while rendering them like production, into ``sink``."""

    def __init__(self, sink: TextIO) -> None:
        self.counts: Counter[str] = Counter()
        self.sink = sink

    def _count(
        self, _logger: Any, method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        self.counts[f"{method}:{event_dict.get('event')}"] += 1
        return event_dict

    def install(self) -> None:
        structlog.configure(
            processors=[self._count, *shared_processors(), structlog.processors.JSONRenderer()],
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            logger_factory=structlog.PrintLoggerFactory(self.sink),
            cache_logger_on_first_use=False,
        )
        root = logging.getLogger()
        root.handlers[:] = [logging.StreamHandler(self.sink)]
        root.setLevel(logging.WARNING)

    def snapshot(self) -> Counter[str]:
        return Counter(self.counts)

    def since(self, before: Counter[str]) -> dict[str, int]:
        """Events other than the per-request access line logged since ``before``."""
        delta = self.counts - before
        return {
            key: value for key, value in sorted(delta.items()) if "request.completed" not in key
        }


class RelayProbe:
    """Times the relay's batches and publishes; stamps each event's pick-up and PubAck."""

    def __init__(self, relay: OutboxRelay) -> None:
        self.relay = relay
        self.batches: list[tuple[float, int]] = []
        self.publish_calls: list[float] = []
        self.picked_at: dict[str, datetime] = {}
        self.acked_at: dict[str, datetime] = {}
        self._batch_started: datetime | None = None
        self._original_batch = relay.publish_pending
        self._original_publish = relay._publish
        relay.publish_pending = self._publish_pending  # type: ignore[method-assign]
        relay._publish = self._publish

    def reset(self) -> None:
        self.batches.clear()
        self.publish_calls.clear()
        self.picked_at.clear()
        self.acked_at.clear()

    async def _publish_pending(self) -> int:
        self._batch_started = datetime.now(UTC)
        started = time.perf_counter()
        count = await self._original_batch()
        if count:
            self.batches.append((time.perf_counter() - started, count))
        return count

    async def _publish(self, payload: bytes, **kwargs: Any) -> Any:
        event_id = kwargs["headers"][MSG_ID_HEADER]
        started = time.perf_counter()
        ack = await self._original_publish(payload, **kwargs)
        self.publish_calls.append(time.perf_counter() - started)
        if self._batch_started is not None:
            self.picked_at[event_id] = self._batch_started
        self.acked_at[event_id] = datetime.now(UTC)
        return ack


class SqlProbe:
    """Statements and commits issued through one engine, and the time spent executing statements."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.statements = 0
        self.commits = 0
        self.execute_seconds = 0.0
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", self._before)
        event.listen(sync_engine, "after_cursor_execute", self._after)
        event.listen(sync_engine, "commit", self._commit)

    def _before(self, conn: Any, *_args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, *_args: Any) -> None:
        self.statements += 1
        self.execute_seconds += time.perf_counter() - conn.info.pop(
            "bench_started", time.perf_counter()
        )

    def _commit(self, _conn: Any) -> None:
        self.commits += 1

    def snapshot(self) -> tuple[int, int, float]:
        return self.statements, self.commits, self.execute_seconds


class GcProbe:
    """Counts and times garbage-collector runs by generation."""

    def __init__(self) -> None:
        self.collections: Counter[int] = Counter()
        self.pauses: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)
            self.collections[info["generation"]] += 1

    def reset(self) -> None:
        self.collections.clear()
        self.pauses.clear()

    def report(self) -> dict[str, Any]:
        return {
            "collections_by_generation": {str(k): v for k, v in sorted(self.collections.items())},
            "total_pause_ms": 1000 * sum(self.pauses),
            "max_pause_ms": 1000 * max(self.pauses, default=0.0),
        }

    def close(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of another process, from /proc (None where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def machine_busy_seconds() -> float | None:
    """CPU seconds all processes on the machine have used since boot (None where unavailable)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / _TICKS


def load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds used so far: this process, nats-server, and the whole machine."""

    python: float
    nats: float | None
    machine: float | None

    @classmethod
    def take(cls, nats_pid: int | None) -> "CpuSnapshot":
        return cls(
            python=time.process_time(),
            nats=process_cpu_seconds(nats_pid) if nats_pid else None,
            machine=machine_busy_seconds(),
        )

    def since(self, before: "CpuSnapshot", wall: float) -> dict[str, float | None]:
        """CPU seconds used between two snapshots; ``other`` is everything but us and nats."""
        python = self.python - before.python
        nats = (
            self.nats - before.nats if self.nats is not None and before.nats is not None else None
        )
        machine = (
            self.machine - before.machine
            if self.machine is not None and before.machine is not None
            else None
        )
        other = machine - python - (nats or 0.0) if machine is not None else None
        return {
            "wall_seconds": wall,
            "python_seconds": python,
            "nats_server_seconds": nats,
            "other_processes_seconds": max(0.0, other) if other is not None else None,
        }
