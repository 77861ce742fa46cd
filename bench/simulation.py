"""Section: a working day of many organisations on a scaled-out platform (docs/scaling.md).

    python -m bench.simulation [--organisations 200] [--day-seconds 240] [--peak-rate 30]
                               [--replicas 2] [--quick]

The capacity model in ``docs/scaling.md`` is arithmetic on measured costs; this run checks it
against the platform as it would be deployed: a three-node NATS JetStream cluster (the event
stream on three replicas), PostgreSQL, and ``--replicas`` processes of each of the four services
(``python -m services.<name>``, as compose's ``--scale`` runs them), all on this machine.

A generator in this process plays ``--organisations`` controller organisations through one
working day compressed into ``--day-seconds``. Organisations differ in size (a Zipf weight: a
few cities, many small municipalities); requests arrive as a Poisson process whose rate follows
the hour of the day (night near zero, the morning and afternoon peaks, a lunch dip: ``DAY``),
scaled so that the busiest hour runs at ``--peak-rate`` requests per second. The mix is what the
console's people do: mostly reading an agreement (an audited read), listing, sometimes a new
draft (a write), and a DPO reading her audit log. Each request goes to a random replica.

When the day ends it waits until the platform is quiet and reconciles, with the fault proof's
own code (``tests/faults/reconcile.py``): every event committed to an outbox was published, and
is in the audit log exactly once (**loss** and **doubles**); the audit **lag** of every entry
(recorded - occurred) per hour of the day; each sampled organisation's log verifies against its
signed checkpoints. It records the CPU seconds of every replica, of the NATS nodes and of
PostgreSQL's processes per request, the load average and the machine's busy cores, and writes
everything to ``bench/results/simulation.json``. Nothing is asserted: the figures are reported.
"""

import argparse
import asyncio
import json
import math
import random
import shutil
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlmodel import col

from bench.machine import describe
from bench.probes import load_average, machine_busy_seconds, process_cpu_seconds
from bench.stats import summarise
from deploy.mailsink import MailSink
from deploy.natsserver import NatsCluster
from services.audit.store import AuditEntry
from tests.agreements.organisations import announce
from tests.faults.reconcile import Databases, check_outboxes, settle, verify_trees
from tests.support.databases import PostgresRun, postgres_unavailable_reason
from tests.support.fleet import Fleet
from tests.support.nats import free_port
from tests.support.replicas import SERVICES

RESULTS = Path(__file__).parent / "results" / "simulation.json"

# Share of the busiest hour's rate, per hour of the day (Europe/Brussels office hours).
DAY = (
    0.01, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.20,
    0.60, 0.95, 1.00, 0.90, 0.45, 0.70, 0.95, 0.85,
    0.60, 0.30, 0.12, 0.06, 0.04, 0.03, 0.02, 0.01,
)  # fmt: skip

# What the console's people do, by share of requests.
MIX = (("read", 0.78), ("list", 0.12), ("write", 0.06), ("log", 0.04))


@dataclass(frozen=True)
class Request:
    hour: int
    kind: str
    status: int
    seconds: float


def zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    """Organisation sizes: the organisation of rank r weighs 1 / r^exponent."""
    return [1.0 / (rank**exponent) for rank in range(1, count + 1)]


def expected_requests(peak_rate: float, day_seconds: float) -> float:
    return sum(DAY) * peak_rate * day_seconds / len(DAY)


def postgres_cpu_seconds() -> float:
    """CPU seconds of every process named ``postgres`` on the machine (the server is shared
    with whatever else uses it, so this is an upper bound for the run's share)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
        except OSError:
            continue
        total += process_cpu_seconds(int(entry.name)) or 0.0
    return total


class Day:
    """The generator: the organisations, their first agreements, and the requests of a day."""

    def __init__(self, fleet: Fleet, organisations: list[str], seed: int) -> None:
        self.fleet = fleet
        self.organisations = organisations
        self.weights = zipf_weights(len(organisations))
        self.random = random.Random(seed)  # a load pattern, not a secret
        self.agreements: dict[str, str] = {}
        self.headers = {organisation: fleet.auth(organisation) for organisation in organisations}
        self.requests: list[Request] = []

    def url(self, service: str) -> str:
        return self.random.choice(self.fleet.of(service)).url

    async def prepare(self, client: httpx.AsyncClient) -> None:
        """Each organisation drafts its agreement with the processor, before the day starts."""
        for organisation in self.organisations:
            answer = await client.post(
                f"{self.url('agreements')}/agreements",
                json={"title": "Verwerkersovereenkomst"},
                headers=self.headers[organisation],
            )
            answer.raise_for_status()
            self.agreements[organisation] = str(answer.json()["id"])

    async def one(self, client: httpx.AsyncClient, hour: int, kind: str, organisation: str) -> None:
        headers = self.headers[organisation]
        if kind == "read":
            agreement = self.agreements[organisation]
            call = client.get(f"{self.url('agreements')}/agreements/{agreement}", headers=headers)
        elif kind == "list":
            call = client.get(f"{self.url('agreements')}/agreements?limit=20", headers=headers)
        elif kind == "write":
            body = {"title": f"Addendum {uuid.uuid4().hex[:6]}"}
            call = client.post(f"{self.url('agreements')}/agreements", json=body, headers=headers)
        else:
            call = client.get(f"{self.url('audit')}/audit/entries?limit=50", headers=headers)
        started = time.perf_counter()
        try:
            status = (await call).status_code
        except httpx.HTTPError:
            status = 0
        self.requests.append(Request(hour, kind, status, time.perf_counter() - started))

    async def run(
        self, client: httpx.AsyncClient, *, day_seconds: float, peak_rate: float, concurrency: int
    ) -> None:
        """Open loop: arrivals follow the day's rate whether or not earlier answers came."""
        hour_seconds = day_seconds / len(DAY)
        kinds = [kind for kind, _ in MIX]
        shares = [share for _, share in MIX]
        gate = asyncio.Semaphore(concurrency)
        running: set[asyncio.Task[None]] = set()

        async def gated(hour: int, kind: str, organisation: str) -> None:
            async with gate:
                await self.one(client, hour, kind, organisation)

        start = time.monotonic()
        elapsed = 0.0
        while elapsed < day_seconds:
            hour = min(int(elapsed / hour_seconds), len(DAY) - 1)
            rate = max(peak_rate * DAY[hour], 0.05)
            elapsed += self.random.expovariate(rate)
            delay = start + elapsed - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            [kind] = self.random.choices(kinds, shares)
            [organisation] = self.random.choices(self.organisations, self.weights)
            task = asyncio.create_task(gated(hour, kind, organisation))
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.gather(*running)


async def lags_by_hour(
    databases: Databases, since: datetime, hour_seconds: float
) -> dict[int, list[float]]:
    """Each audit entry's lag (recorded - occurred), by the day's hour it occurred in."""
    query = select(col(AuditEntry.occurred_at), col(AuditEntry.recorded_at)).where(
        col(AuditEntry.occurred_at) >= since
    )
    found: dict[int, list[float]] = defaultdict(list)
    for occurred, recorded in await databases.rows("audit", query):
        occurred = occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC)
        recorded = recorded if recorded.tzinfo else recorded.replace(tzinfo=UTC)
        hour = min(int((occurred - since).total_seconds() / hour_seconds), len(DAY) - 1)
        found[hour].append((recorded - occurred).total_seconds())
    return found


async def audit_storage(databases: Databases, schema: str | None) -> tuple[int, int]:
    """How many audit entries the audit schema holds and its size on disk, indexes included."""
    [(entries,)] = await databases.rows("audit", select(func.count()).select_from(AuditEntry))
    size = text(
        "SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))), 0)"
        " FROM pg_tables WHERE schemaname = :schema"
    )
    [(total,)] = await databases.rows("audit", size.bindparams(schema=schema))
    return int(entries), int(total)


def cpu_now(fleet: Fleet, cluster: NatsCluster) -> dict[str, float]:
    """CPU seconds so far: per service (its replicas summed), NATS, PostgreSQL, the machine."""
    found: dict[str, float] = defaultdict(float)
    for replica in fleet.replicas:
        if replica.process is not None:
            found[replica.service] += process_cpu_seconds(replica.process.pid) or 0.0
    for node in cluster.nodes:
        if node.process is not None:
            found["nats"] += process_cpu_seconds(node.process.pid) or 0.0
    found["postgres"] = postgres_cpu_seconds()
    found["machine"] = machine_busy_seconds() or 0.0
    return dict(found)


async def simulate(
    arguments: argparse.Namespace, work: Path, postgres: PostgresRun
) -> dict[str, Any]:
    cluster = NatsCluster(work / "nats").start()
    mail = MailSink(work / "mail", port=free_port()).start()
    fleet = Fleet(
        work_dir=work,
        nats_url=cluster.url,
        databases={service: postgres.database(service) for service in SERVICES},
        mail_port=mail.port,
    )
    databases = Databases(fleet.databases)
    try:
        await fleet.ready(fleet.start("identity"), within=120)
        rest = [fleet.start("identity") for _ in range(arguments.replicas - 1)]
        rest += [
            fleet.start(service)
            for service in SERVICES
            if service != "identity"
            for _ in range(arguments.replicas)
        ]
        await fleet.ready(*rest, within=180)
        organisations = [str(uuid.uuid4()) for _ in range(arguments.organisations)]
        await announce(cluster.url, dict.fromkeys(organisations, "controller"), within=120)
        day = Day(fleet, organisations, arguments.seed)
        limits = httpx.Limits(max_connections=arguments.concurrency)
        async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
            await day.prepare(client)
            await settle(databases, within=120)
            idle_before = cpu_now(fleet, cluster)
            await asyncio.sleep(arguments.idle_seconds)
            idle = {
                name: (value - idle_before.get(name, 0.0)) / arguments.idle_seconds
                for name, value in cpu_now(fleet, cluster).items()
            }
            since = datetime.now(UTC)
            load_before, cpu_before = load_average(), cpu_now(fleet, cluster)
            began = time.monotonic()
            await day.run(
                client,
                day_seconds=arguments.day_seconds,
                peak_rate=arguments.peak_rate,
                concurrency=arguments.concurrency,
            )
            generated = time.monotonic() - began
            cpu_after, load_after = cpu_now(fleet, cluster), load_average()
        evidence, unsettled = await settle(databases, within=arguments.settle_seconds)
        stuck, _ = check_outboxes(evidence, bound=timedelta(seconds=60))
        logged = Counter(entry.event_id for entry in evidence.logged)
        emitted = [e for e in evidence.emitted if e.created_at.replace(tzinfo=UTC) >= since]
        lost = [e for e in emitted if logged.get(e.event_id, 0) == 0]
        doubled = [e for e in emitted if logged.get(e.event_id, 0) > 1]
        hour_seconds = arguments.day_seconds / len(DAY)
        lags = await lags_by_hour(databases, since, hour_seconds)
        sample = organisations[: arguments.verify]
        trees = await verify_trees(fleet.of("audit")[0].url, sample, lambda o: day.headers[o])
        entries, audit_bytes = await audit_storage(databases, fleet.databases["audit"].schema)
    finally:
        await databases.close()
        fleet.stop()
        mail.stop()
        cluster.stop()
    requests = day.requests
    cpu = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
    # What the day cost beyond what the same processes burn doing nothing (polling, timers).
    marginal = {name: cpu[name] - idle.get(name, 0.0) * generated for name in cpu}
    return {
        "machine": describe(),
        "settings": vars(arguments) | {"day": DAY, "mix": dict(MIX)},
        "load_average": {"before": load_before, "after": load_after},
        "generated_seconds": round(generated, 1),
        "requests": len(requests),
        "requests_expected": round(expected_requests(arguments.peak_rate, arguments.day_seconds)),
        "failed": sum(1 for r in requests if not 200 <= r.status < 300),
        "statuses": dict(Counter(r.status for r in requests)),
        "latency_ms": {
            kind: asdict(summarise([r.seconds for r in requests if r.kind == kind]))
            for kind, _ in MIX
        },
        "events_emitted": len(emitted),
        "events_lost": len(lost),
        "events_doubled": len(doubled),
        "outbox_stuck": len(stuck),
        "unsettled": unsettled,
        "lag_ms": asdict(summarise([lag for hour in lags.values() for lag in hour])),
        "lag_ms_by_hour": {hour: asdict(summarise(lags[hour])) for hour in sorted(lags)},
        "trees_verified": len(sample),
        "trees_failing": [str(problem) for problem in trees],
        "cpu_seconds": {name: round(value, 2) for name, value in cpu.items()},
        "cpu_ms_per_request": {
            name: round(1000.0 * value / max(len(requests), 1), 2) for name, value in cpu.items()
        },
        "machine_busy_cores": round(cpu.get("machine", 0.0) / max(generated, 1e-9), 2),
        "idle_cores": {name: round(value, 3) for name, value in idle.items()},
        "marginal_cpu_ms_per_request": {
            name: round(1000.0 * value / max(len(requests), 1), 2)
            for name, value in marginal.items()
            if name != "machine"
        },
        "audit_entries_stored": entries,
        "audit_bytes_per_entry": round(audit_bytes / max(entries, 1)),
    }


def report(result: dict[str, Any]) -> str:
    settings = result["settings"]
    lines = [
        f"{settings['organisations']} organisations, {settings['replicas']} replicas per service, "
        f"a day in {settings['day_seconds']} s, peak {settings['peak_rate']} requests/s; "
        f"load {result['load_average']['before']} -> {result['load_average']['after']}, "
        f"machine busy {result['machine_busy_cores']} cores",
        f"requests {result['requests']} (expected ~{result['requests_expected']}), "
        f"failed {result['failed']}, statuses {result['statuses']}",
        f"events {result['events_emitted']}: lost {result['events_lost']}, doubled "
        f"{result['events_doubled']}, stuck in an outbox {result['outbox_stuck']}; "
        f"unsettled {result['unsettled'] or 'nothing'}",
        f"trees verified {result['trees_verified']}, failing {len(result['trees_failing'])}",
        "",
        "| hour | entries | lag p50 ms | p95 | p99 | max |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for hour, lag in result["lag_ms_by_hour"].items():
        lines.append(
            f"| {hour:02d} | {lag['count']} | {lag['p50_ms']:.0f} | {lag['p95_ms']:.0f} "
            f"| {lag['p99_ms']:.0f} | {lag['max_ms']:.0f} |"
        )
    lag = result["lag_ms"]
    lines += [
        f"| day | {lag['count']} | {lag['p50_ms']:.0f} | {lag['p95_ms']:.0f} "
        f"| {lag['p99_ms']:.0f} | {lag['max_ms']:.0f} |",
        "",
        "| request | count | p50 ms | p95 | p99 |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, latency in result["latency_ms"].items():
        if latency["count"]:
            lines.append(
                f"| {kind} | {latency['count']} | {latency['p50_ms']:.0f} "
                f"| {latency['p95_ms']:.0f} | {latency['p99_ms']:.0f} |"
            )
    lines += ["", "CPU ms per request: " + ", ".join(
        f"{name} {value}" for name, value in result["cpu_ms_per_request"].items()
    )]  # fmt: skip
    lines += ["beyond idle: " + ", ".join(
        f"{name} {value}" for name, value in result["marginal_cpu_ms_per_request"].items()
    )]  # fmt: skip
    lines += [f"idle cores: {result['idle_cores']}",
              f"audit storage: {result['audit_bytes_per_entry']} bytes per entry "
              f"({result['audit_entries_stored']} entries)"]  # fmt: skip
    return "\n".join(lines)


def _positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    """An argparse type: a finite number above zero, or a clear usage error."""

    def read(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a finite number above zero: {text!r}")
        return value

    return read


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.simulation", description=__doc__)
    whole, real = _positive(int), _positive(float)
    parser.add_argument("--organisations", type=whole, default=200)
    parser.add_argument("--day-seconds", type=real, default=240.0)
    parser.add_argument("--peak-rate", type=real, default=30.0, help="requests/s, busiest hour")
    parser.add_argument("--replicas", type=whole, default=2, help="processes per service")
    parser.add_argument("--concurrency", type=whole, default=64, help="requests in flight at most")
    parser.add_argument("--verify", type=whole, default=20, help="logs to verify")
    parser.add_argument("--settle-seconds", type=real, default=300.0)
    parser.add_argument("--idle-seconds", type=real, default=20.0, help="idle CPU measured first")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--quick", action="store_true", help="20 organisations, a 48-second day")
    parser.add_argument("--out", type=Path, default=RESULTS)
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.organisations, arguments.day_seconds, arguments.verify = 20, 48.0, 5
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse(argv)
    reason = postgres_unavailable_reason()
    if reason is not None:
        print(f"the simulation runs on PostgreSQL, which is unavailable: {reason}")
        return 2
    postgres = PostgresRun()
    postgres.create()
    work = Path(tempfile.mkdtemp(prefix="pactum-simulation-"))
    try:
        result = asyncio.run(simulate(arguments, work, postgres))
    finally:
        postgres.drop()
        shutil.rmtree(work, ignore_errors=True)
    out: Path = arguments.out
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = result["settings"] | {"out": str(out)}
    out.write_text(json.dumps(result | {"settings": settings}, indent=2, default=str) + "\n")
    print(report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
