"""Section: the whole platform as real processes under load, beside its raw baselines.

    python -m bench.fullstack [--quick] [--seconds 15] [--rounds 3] [--postgres postgresql://...]

nats-server and the four services run as separate processes on this machine, as ``make run``
starts them (``python -m services.<name>``, one uvicorn worker each, SQLite by default), with the
demo data off. A load generator in this process (httpx, asyncio, loopback) drives the agreements
API with an admin's access token signed by identity's own key:

* **audited reads**: ``GET /agreements/{id}`` (each read commits a ``viewed`` event to the outbox,
  which reaches the audit log through JetStream);
* **audited writes**: ``POST /agreements`` (a new draft and its ``created`` event);

each at **full load** (a closed loop of ``--concurrency`` clients, as fast as answers come) and at
**half load** (an open loop at half the full-load rate just measured). For every request of
those phases it measures the **audit lag**: each request carries its own W3C ``traceparent``, the
event keeps that trace id and audit stores it on the entry with the moment it recorded it; a
request's lag runs from its response to that moment. The log is read after the load, so that
measuring adds no work to the phase it measures (``AuditTail``). Beside, in the same run:

* a **bare endpoint**: a FastAPI app under the same uvicorn settings (``shared/serve.py``) that
  answers the same read with the same JSON body, with no token check, no database and no event;
* the **unaudited baseline** a user would pick instead (``bench/crud.py``): the same read and
  write as a plain FastAPI CRUD service over the agreements service's own database, with the
  same token check and the same tenant-scoped use cases, and no event. Audited ÷ unaudited is
  the cost of auditing, for reads and for writes;
* the **same service with its event left out** (``bench/unrecorded.py``): the agreements app
  itself, its middleware and routes, whose requests' outbox records nothing. Audited ÷ this is
  the cost of the event alone (the issue's "same endpoint with auditing switched off"); the
  plain CRUD service above also leaves out the platform's request plumbing;
* **raw JetStream** publish and consume rates on the same nats-server (``bench/raw.py``).

It also records each process's CPU seconds per phase (where the time goes) and its peak resident
memory (``VmHWM``). Results: a table on stdout and the raw figures in
``bench/results/fullstack.json``.
"""

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench.machine import describe
from bench.natsserver import NatsServer, free_port
from bench.probes import load_average, machine_busy_seconds, process_cpu_seconds
from bench.raw import run_raw
from bench.stats import summarise
from shared.auth import Role, TokenSigner

SERVICES = ("identity", "agreements", "audit", "notifier")
RESULTS = Path(__file__).parent / "results" / "fullstack.json"
LAG_GIVE_UP_SECONDS = 15.0
ACTION = "dpa.agreements.agreement."  # viewed (reads) and created (writes)

Request = Callable[["AuditTail | None"], Awaitable[str]]


# ------------------------------------------------------------------------------------------------
# The processes


@dataclass
class Stack:
    """nats-server, the four services and the bare endpoint, each its own process."""

    work: Path
    postgres_url: str | None = None
    nats: NatsServer | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    schema_suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        assert self.nats is not None
        ports = {service: free_port() for service in SERVICES}
        self.urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PACTUM_", "OTEL_"))}
        env |= {
            "PACTUM_VAR_DIR": str(self.work / "var"),
            "PACTUM_NATS_URL": self.nats.url,
            "PACTUM_JWKS_URL": f"{self.urls['identity']}/.well-known/jwks.json",
            "PACTUM_NOTIFIER_IDENTITY_URL": self.urls["identity"],
            "PACTUM_SMTP_PORT": str(free_port()),  # nothing listens: no notice is due anyway
            "PACTUM_LOG_LEVEL": "WARNING",
            "PACTUM_DEMO_DATA": "false",
        }
        env |= {f"PACTUM_{service.upper()}_PORT": str(port) for service, port in ports.items()}
        if self.postgres_url:
            for service in SERVICES:
                env[f"PACTUM_{service.upper()}_DATABASE_URL"] = self.postgres_url
                env[f"PACTUM_{service.upper()}_DATABASE_SCHEMA"] = self.schema(service)
        return env

    def schema(self, service: str) -> str:
        return f"bench_{service}_{self.schema_suffix}"

    def start(self) -> None:
        self.nats = NatsServer(self.work / "nats").start()
        self._env = self.env()
        # Audit first: it writes the ingest key's public half, which the others (in production,
        # as here) need to start (shared/ingest_keys.py); started together they raced for it.
        public_key = self.work / "var" / "ingest-public-key.pem"
        for service in ("audit", *(s for s in SERVICES if s != "audit")):
            self.processes[service] = self._spawn(
                [sys.executable, "-m", f"services.{service}"], self._env, service
            )
            deadline = time.monotonic() + 60
            while service == "audit" and not public_key.exists():
                if self.processes["audit"].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"audit wrote no ingest key: {self.log_tail('audit')}")
                time.sleep(0.05)

    def start_crud(self) -> None:
        """The unaudited baseline, on the agreements service's database and token settings."""
        port = free_port()
        self.processes["crud"] = self._spawn(
            [sys.executable, "-m", "bench.crud", str(port)], self._env, "crud"
        )
        self.urls["crud"] = f"http://127.0.0.1:{port}"

    def start_unrecorded(self) -> None:
        """The agreements service itself with its requests' event left out (bench/unrecorded.py)."""
        port = free_port()
        self.processes["unrecorded"] = self._spawn(
            [sys.executable, "-m", "bench.unrecorded", str(port)], self._env, "unrecorded"
        )
        self.urls["unrecorded"] = f"http://127.0.0.1:{port}"

    def start_bare(self, bare_body: Path, bare_port: int) -> None:
        """The bare endpoint, once the body it answers is known."""
        self.processes["bare"] = self._spawn(
            [
                sys.executable,
                "-m",
                "bench.fullstack",
                "--serve-bare",
                str(bare_port),
                str(bare_body),
            ],
            self._env,
            "bare",
        )
        self.urls["bare"] = f"http://127.0.0.1:{bare_port}"

    def create_organisation(self) -> str:
        """A controller organisation made by identity's operator CLI; its event reaches the other
        services through the running identity's outbox, as in production."""
        made = subprocess.run(
            [
                sys.executable,
                "-m",
                "services.identity.cli",
                "create-organisation",
                "--name",
                "Bench controller",
                "--kind",
                "controller",
                "--mfa",
                "none",
            ],
            env=self._env,
            capture_output=True,
            text=True,
            check=False,
        )
        if made.returncode != 0:
            raise RuntimeError(f"create-organisation failed: {made.stdout} {made.stderr}")
        return str(uuid.UUID(made.stdout.strip().splitlines()[-1]))

    def _spawn(self, argv: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        log = (self.work / f"{name}.log").open("wb")
        return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)

    async def wait_ready(self, client: httpx.AsyncClient, names: tuple[str, ...]) -> None:
        deadline = time.monotonic() + 90
        pending = set(names)
        while pending:
            for name in list(pending):
                if self.processes[name].poll() is not None:
                    raise RuntimeError(f"{name} exited: {self.log_tail(name)}")
                try:
                    answer = await client.get(f"{self.urls[name]}/readyz")
                except httpx.TransportError:
                    continue
                if answer.status_code == 200:
                    pending.discard(name)
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after 90 s: {sorted(pending)}")
            await asyncio.sleep(0.2)

    def log_tail(self, name: str) -> str:
        return (self.work / f"{name}.log").read_text(errors="replace")[-2000:]

    def pids(self) -> dict[str, int]:
        pids = {name: process.pid for name, process in self.processes.items()}
        if self.nats is not None and self.nats.process is not None:
            pids["nats-server"] = self.nats.process.pid
        return pids

    def cpu(self) -> dict[str, float | None]:
        figures = {name: process_cpu_seconds(pid) for name, pid in self.pids().items()}
        figures["load generator"] = time.process_time()
        return figures

    def peak_rss_mib(self) -> dict[str, float | None]:
        return {name: _vm_hwm_mib(pid) for name, pid in self.pids().items()}

    def stop_one(self, name: str) -> None:
        """Stop one process; the phases after it no longer count it."""
        _stop([self.processes.pop(name)])

    def stop(self) -> None:
        _stop(list(self.processes.values()))
        if self.nats is not None:
            self.nats.stop()


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Terminate them all, then wait for each (20 s) before killing it."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _vm_hwm_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


async def drop_schemas(stack: Stack) -> None:
    import asyncpg

    assert stack.postgres_url is not None
    connection = await asyncpg.connect(stack.postgres_url.replace("+asyncpg", ""))
    try:
        for service in SERVICES:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{stack.schema(service)}" CASCADE')
    finally:
        await connection.close()


# ------------------------------------------------------------------------------------------------
# Load

_STARTED = time.monotonic()


def _progress(step: str) -> None:
    print(f"  [{time.monotonic() - _STARTED:5.1f} s] {step} ...", file=sys.stderr, flush=True)


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response


@dataclass
class AuditTail:
    """Times each traced request's entry in the audit log, read after the load.

    Every load request carries its own W3C ``traceparent``; the service's event keeps that trace
    id, and audit stores it on the entry beside ``recorded_at``, the moment it stored the entry's
    batch (the batch's commit follows within milliseconds). A request's lag runs from its
    response to that moment: one clock, as every process runs on this machine. The entries are
    read (``GET /audit/entries?order=oldest&cursor=...``, action ``ACTION``) only after the load,
    outside the measured window, until every answered request's entry is there or
    ``LAG_GIVE_UP_SECONDS`` pass. Nothing reads the log while the load runs, so measuring the lag
    adds no work to the phase it measures. (Until 2026-12-07 a poller read the log every 10 ms
    during the load, each read an audited event itself: about 100 extra audited reads a second
    on the same two cores, charged to the audited phases.)
    """

    client: httpx.AsyncClient
    url: str
    headers: dict[str, str]
    answered: dict[str, float] = field(default_factory=dict)  # trace id -> the answer's time
    before_answer: int = 0
    lags: list[float] = field(default_factory=list)
    last_recorded: float | None = None  # the latest entry's recorded_at (time.time())
    cursor: int = 0
    polls: int = 0

    async def skip_to_end(self) -> None:
        while page := await self._page():
            self.cursor = page[-1]["position"]

    async def _page(self) -> list[dict[str, Any]]:
        self.polls += 1
        query = {"order": "oldest", "limit": "500", "action": ACTION}
        if self.cursor:
            query["cursor"] = str(self.cursor)
        answer = _checked(await self.client.get(self.url, params=query, headers=self.headers))
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    def answer(self, trace_id: str, at: float) -> None:
        """The request was answered at ``at`` (``time.time()``)."""
        self.answered[trace_id] = at

    async def collect(self) -> None:
        """Read the entries written since :meth:`skip_to_end` until each answered request's
        entry is found (or the give-up time passes) and time them."""
        give_up = time.monotonic() + LAG_GIVE_UP_SECONDS
        while self.answered and time.monotonic() < give_up:
            page = await self._page()
            for item in page:
                answered = self.answered.pop(item.get("trace_id") or "", None)
                if answered is None:
                    continue
                recorded = datetime.fromisoformat(item["recorded_at"]).timestamp()
                self.last_recorded = max(self.last_recorded or recorded, recorded)
                lag = recorded - answered
                if lag < 0:  # recorded before this process got round to reading the answer
                    self.before_answer += 1
                self.lags.append(max(0.0, lag))
            if page:
                self.cursor = page[-1]["position"]
            if len(page) < 500:
                await asyncio.sleep(0.1)

    def report(self, requests: int) -> dict[str, Any]:
        return {
            "entries_timed": len(self.lags),
            "requests": requests,
            "missing": len(self.answered),
            "recorded_before_the_answer_was_read": self.before_answer,
            "reads_of_the_log_after_the_load": self.polls,
            "lag": summarise(self.lags).as_dict(),
        }


def _traced(headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    trace_id = secrets.token_hex(16)
    return trace_id, headers | {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}


async def closed_loop(
    request: Request, tail: AuditTail | None, *, concurrency: int, seconds: float
) -> dict[str, Any]:
    """``concurrency`` clients, each sending its next request when the last one is answered."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            trace_id, started = await _one(request, tail)
            if trace_id is None:
                errors += 1
            else:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "mode": f"closed loop, {concurrency} clients",
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 3),
        "rate_per_s": round(len(latencies) / elapsed, 1),
        "latency": summarise(latencies).as_dict(),
    }


async def _one(request: Request, tail: AuditTail | None) -> tuple[str | None, float]:
    started = time.perf_counter()
    try:
        trace_id = await request(tail)
    except (httpx.HTTPError, RuntimeError):
        return None, started
    return trace_id, started


async def open_loop(
    request: Request, tail: AuditTail | None, *, rate: float, seconds: float
) -> dict[str, Any]:
    """Requests sent at a fixed rate whatever the answers (arrivals do not wait for the server)."""
    latencies: list[float] = []
    errors = 0
    interval = 1.0 / rate
    tasks: list[asyncio.Task[None]] = []

    async def one() -> None:
        nonlocal errors
        trace_id, started = await _one(request, tail)
        if trace_id is None:
            errors += 1
        else:
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    sent = 0
    while (now := time.perf_counter()) < started + seconds:
        due = started + sent * interval
        if due > now:
            await asyncio.sleep(due - now)
        tasks.append(asyncio.create_task(one()))
        sent += 1
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    return {
        "mode": f"open loop at {rate:.0f}/s",
        "target_rate_per_s": round(rate, 1),
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 3),
        "rate_per_s": round(len(latencies) / elapsed, 1),
        "latency": summarise(latencies).as_dict(),
    }


# ------------------------------------------------------------------------------------------------
# The run


@dataclass
class Bench:
    stack: Stack
    client: httpx.AsyncClient
    headers: dict[str, str]
    agreements: list[str] = field(default_factory=list)

    async def _traced_call(
        self,
        tail: AuditTail | None,
        send: Callable[..., Awaitable[httpx.Response]],
    ) -> str:
        """Send one request with its own trace id, telling the audit tail when it was answered."""
        trace_id, headers = _traced(self.headers)
        _checked(await send(headers=headers))
        if tail is not None:
            tail.answer(trace_id, time.time())
        return trace_id

    def read(self, base: str) -> Request:
        async def request(tail: AuditTail | None) -> str:
            url = f"{base}/agreements/{random.choice(self.agreements)}"
            return await self._traced_call(tail, partial(self.client.get, url))

        return request

    def write(self, base: str) -> Request:
        async def request(tail: AuditTail | None) -> str:
            url = f"{base}/agreements"
            body = {"title": "Verwerkersovereenkomst (bench)"}
            return await self._traced_call(tail, partial(self.client.post, url, json=body))

        return request

    async def create(self, count: int) -> list[str]:
        ids: list[str] = []
        deadline = time.monotonic() + 60
        while len(ids) < count:
            created = await self.client.post(
                f"{self.stack.urls['agreements']}/agreements",
                json={"title": "Verwerkersovereenkomst (bench)"},
                headers=self.headers,
            )
            if created.status_code == 409 and not ids and time.monotonic() < deadline:
                await asyncio.sleep(0.2)  # the organisation's event is still on its way
                continue
            ids.append(_checked(created).json()["id"])
        return ids

    async def phase(
        self,
        name: str,
        load: Callable[[AuditTail | None], Awaitable[dict[str, Any]]],
        *,
        audited: bool,
    ) -> dict[str, Any]:
        _progress(f"phase {name}")
        tail = None
        if audited:
            tail = AuditTail(self.client, f"{self.stack.urls['audit']}/audit/entries", self.headers)
            await tail.skip_to_end()
        cpu_before, busy_before = self.stack.cpu(), machine_busy_seconds()
        started = time.time()
        wall_before = time.perf_counter()
        figures = await load(tail)
        if tail is not None:
            # The phase ends when audit has recorded every entry: work the services deferred
            # (an outbox or a stream backlog) is the phase's too, in its CPU and in its rate.
            load_seconds = time.perf_counter() - wall_before
            await tail.collect()
            figures["audit_lag"] = tail.report(figures["requests"])
            recorded = (tail.last_recorded or started) - started
            figures["seconds_until_all_recorded"] = round(max(load_seconds, recorded), 3)
            figures["sustained_per_s"] = round(
                figures["requests"] / figures["seconds_until_all_recorded"], 1
            )
        wall = time.perf_counter() - wall_before
        cpu_after, busy_after = self.stack.cpu(), machine_busy_seconds()
        figures["cpu_share_of_one_core"] = {
            process: round((cpu_after[process] - before) / wall, 2)  # type: ignore[operator]
            for process, before in cpu_before.items()
            if before is not None and cpu_after.get(process) is not None
        }
        if busy_before is not None and busy_after is not None:
            figures["machine_cpu_cores_busy"] = round((busy_after - busy_before) / wall, 2)
        served = figures["requests"] or 1
        figures["cpu_ms_per_request"] = {
            process: round(share * wall * 1000 / served, 2)
            for process, share in figures["cpu_share_of_one_core"].items()
        }
        return figures


@contextlib.contextmanager
def _work_directory(keep: bool) -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="pactum-fullstack-")
    try:
        yield directory
    finally:
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)


async def run(
    *,
    seconds: float,
    concurrency: int,
    postgres_url: str | None,
    raw_seconds: float,
    keep: bool = False,
    rounds_wanted: int = 1,
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": describe(),
        "load_average_before": load_average(),
        "settings": {
            "phase_seconds": seconds,
            "concurrency": concurrency,
            "rounds": rounds_wanted,
            "database": "postgresql" if postgres_url else "sqlite",
            "audit_lag_from": "the entry's recorded_at, read after the load",
        },
    }
    with _work_directory(keep) as directory:
        if keep:
            _progress(f"keeping the databases and the processes' logs in {directory}")
        work = Path(directory)
        stack = Stack(work, postgres_url=postgres_url)
        limits = httpx.Limits(
            max_connections=concurrency + 8, max_keepalive_connections=concurrency + 8
        )
        async with httpx.AsyncClient(timeout=60, limits=limits, trust_env=False) as client:
            try:
                _progress("starting nats-server and the four services")
                stack.start()
                await stack.wait_ready(client, SERVICES)
                _progress("services ready; creating an organisation and agreements")
                signer = TokenSigner.from_pem(
                    (work / "var" / "identity" / "signing-key.pem").read_bytes(),
                    issuer="pactum-identity",
                    audience="pactum",
                )
                organisation = await asyncio.to_thread(stack.create_organisation)
                token = signer.issue(
                    user_id=str(uuid.uuid4()),
                    organisation_id=organisation,
                    roles=[Role.admin],
                    ttl=timedelta(minutes=10),
                )
                bench = Bench(stack, client, {"Authorization": f"Bearer {token}"})
                bench.agreements = await bench.create(20 if seconds < 5 else 50)
                # The bare endpoint answers the very body the audited read answers.
                sample = _checked(
                    await client.get(
                        f"{stack.urls['agreements']}/agreements/{bench.agreements[0]}",
                        headers=bench.headers,
                    )
                )
                body_file = work / "bare-body.json"
                body_file.write_bytes(sample.content)
                stack.start_bare(body_file, free_port())
                stack.start_crud()
                stack.start_unrecorded()
                await stack.wait_ready(client, ("bare", "crud", "unrecorded"))
                results["read_body_bytes"] = len(sample.content)

                phases: dict[str, Any] = {}
                bare, agreements = stack.urls["bare"], stack.urls["agreements"]
                crud, unrecorded = stack.urls["crud"], stack.urls["unrecorded"]

                def full(request: Request) -> Callable[[AuditTail | None], Awaitable[Any]]:
                    return partial(closed_loop, request, concurrency=concurrency, seconds=seconds)

                def half(request: Request, rate: float) -> Callable[[AuditTail | None], Any]:
                    return partial(open_loop, request, rate=rate / 2, seconds=seconds)

                phases["bare_read_full"] = await bench.phase(
                    "bare read, full load", full(bench.read(bare)), audited=False
                )
                phases["crud_read_full"] = await bench.phase(
                    "unaudited read (plain CRUD), full load", full(bench.read(crud)), audited=False
                )
                phases["unrecorded_read_full"] = await bench.phase(
                    "unaudited read (the service, its event left out), full load",
                    full(bench.read(unrecorded)),
                    audited=False,
                )
                phases["unrecorded_write_full"] = await bench.phase(
                    "unaudited write (the service, its event left out), full load",
                    full(bench.write(unrecorded)),
                    audited=False,
                )
                # Stopped before the audited phases: its relay and consumers, idle here, would
                # otherwise share the real service's outbox and durables while they are measured.
                results["unrecorded_peak_rss_mib"] = _vm_hwm_mib(stack.processes["unrecorded"].pid)
                stack.stop_one("unrecorded")
                phases["read_full"] = await bench.phase(
                    "audited read, full load", full(bench.read(agreements)), audited=True
                )
                phases["read_half"] = await bench.phase(
                    "audited read, half load",
                    half(bench.read(agreements), phases["read_full"]["rate_per_s"]),
                    audited=True,
                )
                phases["crud_write_full"] = await bench.phase(
                    "unaudited write (plain CRUD), full load",
                    full(bench.write(crud)),
                    audited=False,
                )
                phases["write_full"] = await bench.phase(
                    "audited write, full load", full(bench.write(agreements)), audited=True
                )
                phases["write_half"] = await bench.phase(
                    "audited write, half load",
                    half(bench.write(agreements), phases["write_full"]["rate_per_s"]),
                    audited=True,
                )
                results["phases"] = phases
                # Further rounds of the full-load phases that the ratios compare, in alternating
                # order: this host's speed drifts by up to a quarter within minutes, so one
                # sequence of phases can flatter either side; the targets use the rounds' median.
                rounds = [ratios(phases)]
                for number in range(2, rounds_wanted + 1):
                    again = await _round(
                        bench, stack, client, full, reverse=number % 2 == 0, number=number
                    )
                    rounds.append(ratios(again))
                results["rounds"] = rounds
                _progress("raw JetStream")
                assert stack.nats is not None
                results["raw_jetstream"] = await run_raw(
                    stack.nats.url,
                    work / "raw",
                    publish_seconds=raw_seconds,
                    window=256,
                    consume_timeout=60,
                )
                results["peak_rss_mib"] = stack.peak_rss_mib()
                results["targets"] = targets(phases, rounds)
                results["machine_saturated"] = any(
                    phase.get("machine_cpu_cores_busy", 0) >= 0.95 * (os.cpu_count() or 1)
                    for phase in phases.values()
                )
            finally:
                stack.stop()
                if postgres_url:
                    await drop_schemas(stack)
    results["load_average_after"] = load_average()
    return results


async def _round(
    bench: "Bench",
    stack: Stack,
    client: httpx.AsyncClient,
    full: Callable[[Request], Callable[[AuditTail | None], Awaitable[Any]]],
    *,
    reverse: bool,
    number: int,
) -> dict[str, Any]:
    """One more round of the full-load phases the ratios compare (reads, then writes), each
    unaudited service and the audited one in turn; ``reverse`` runs the audited one first."""
    phases: dict[str, Any] = {}
    for kind in ("read", "write"):
        steps = ["crud", "unrecorded", "audited"]
        for step in reversed(steps) if reverse else steps:
            label = f"round {number}: {step} {kind}, full load"
            if step == "audited":
                request = getattr(bench, kind)(stack.urls["agreements"])
                phases[f"{kind}_full"] = await bench.phase(label, full(request), audited=True)
            elif step == "crud":
                request = getattr(bench, kind)(stack.urls["crud"])
                phases[f"crud_{kind}_full"] = await bench.phase(label, full(request), audited=False)
            else:  # started for its phase only, as in the first round
                stack.start_unrecorded()
                await stack.wait_ready(client, ("unrecorded",))
                request = getattr(bench, kind)(stack.urls["unrecorded"])
                phases[f"unrecorded_{kind}_full"] = await bench.phase(
                    label, full(request), audited=False
                )
                stack.stop_one("unrecorded")
    return phases


def ratios(phases: dict[str, Any]) -> dict[str, float | None]:
    """Audited (sustained until audit recorded the last entry) ÷ each unaudited baseline."""

    def ratio(audited: str, baseline: str) -> float | None:
        rate = phases[audited].get("sustained_per_s", phases[audited]["rate_per_s"])
        base = phases[baseline]["rate_per_s"]
        return round(rate / base, 3) if base else None

    return {
        "read_vs_crud": ratio("read_full", "crud_read_full"),
        "write_vs_crud": ratio("write_full", "crud_write_full"),
        "read_vs_same_service": ratio("read_full", "unrecorded_read_full"),
        "write_vs_same_service": ratio("write_full", "unrecorded_write_full"),
    }


def _median(rounds: list[dict[str, float | None]], key: str) -> float | None:
    values = [value for value in (r[key] for r in rounds) if value is not None]
    return round(statistics.median(values), 3) if values else None


def targets(phases: dict[str, Any], rounds: list[dict[str, float | None]]) -> dict[str, Any]:
    bare = phases["bare_read_full"]["rate_per_s"]
    # Audited phases count until audit recorded the last entry (sustained), not only the load.
    read = phases["read_full"].get("sustained_per_s", phases["read_full"]["rate_per_s"])
    lag_read = phases["read_half"]["audit_lag"]["lag"]["p99_ms"]
    lag_write = phases["write_half"]["audit_lag"]["lag"]["p99_ms"]
    # The medians over the rounds (one round: its own ratios).
    read_crud, write_crud = _median(rounds, "read_vs_crud"), _median(rounds, "write_vs_crud")
    read_same = _median(rounds, "read_vs_same_service")
    write_same = _median(rounds, "write_vs_same_service")
    return {
        "rounds": len(rounds),
        # The cost of the event alone: the same service with its requests' event left out.
        "audited_read_vs_same_service": read_same,
        "audited_read_vs_same_service_met": read_same is not None and read_same >= 0.6,
        "audited_write_vs_same_service": write_same,
        "audited_write_vs_same_service_met": write_same is not None and write_same >= 0.5,
        # The cost a user compares with: a plain FastAPI CRUD service, no plumbing.
        "audited_read_vs_unaudited": read_crud,
        "audited_read_vs_unaudited_target": 0.6,
        "audited_read_vs_unaudited_met": read_crud is not None and read_crud >= 0.6,
        "audited_write_vs_unaudited": write_crud,
        "audited_write_vs_unaudited_target": 0.5,
        "audited_write_vs_unaudited_met": write_crud is not None and write_crud >= 0.5,
        "audited_read_vs_bare": round(read / bare, 3) if bare else None,
        "audited_read_vs_bare_target": 0.5,
        "audited_read_vs_bare_met": bool(bare) and read / bare >= 0.5,
        "audit_lag_p99_half_load_ms": {"read": lag_read, "write": lag_write},
        "audit_lag_p99_target_ms": 250,
        "audit_lag_p99_met": max(lag_read, lag_write) < 250,
    }


# ------------------------------------------------------------------------------------------------
# Report


def table(results: dict[str, Any]) -> str:
    phases = results["phases"]
    lines = [
        "| phase | requests/s (sustained) | latency p50 / p99 (ms) |"
        " audit lag p50 / p95 / p99 (ms) | CPU ms per request: endpoint, audit, notifier |"
        " generator CPU (cores) | machine busy (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    names = {
        "bare_read_full": "bare FastAPI read, full load",
        "crud_read_full": "unaudited read (plain CRUD), full load",
        "unrecorded_read_full": "unaudited read (the service, its event left out), full load",
        "read_full": "audited read, full load",
        "read_half": "audited read, half load",
        "crud_write_full": "unaudited write (plain CRUD), full load",
        "unrecorded_write_full": "unaudited write (the service, its event left out), full load",
        "write_full": "audited write, full load",
        "write_half": "audited write, half load",
    }
    for key, label in names.items():
        phase = phases[key]
        latency = phase["latency"]
        lag = phase.get("audit_lag", {}).get("lag")
        lag_text = (
            f"{lag['p50_ms']:.0f} / {lag['p95_ms']:.0f} / {lag['p99_ms']:.0f}" if lag else "-"
        )
        cpu = phase["cpu_ms_per_request"]
        endpoint = (
            key.split("_")[0] if key.startswith(("bare", "crud", "unrecorded")) else "agreements"
        )
        audit = f"{cpu.get('audit', 0):.2f}, {cpu.get('notifier', 0):.2f}" if lag else "-, -"
        rate = f"{phase['rate_per_s']:.0f}"
        if "sustained_per_s" in phase:
            rate += f" ({phase['sustained_per_s']:.0f})"
        lines.append(
            f"| {label} | {rate} | {latency['p50_ms']:.1f} / "
            f"{latency['p99_ms']:.1f} | {lag_text} | {cpu.get(endpoint, 0):.2f}, {audit} | "
            f"{phase['cpu_share_of_one_core'].get('load generator', 0):.2f} | "
            f"{phase.get('machine_cpu_cores_busy', '-')} |"
        )
    goals = results["targets"]
    lines += [
        "",
        f"Cost of auditing (audited, sustained until audit recorded the last entry, ÷ unaudited "
        f"plain CRUD, full load; the median of {goals['rounds']} round(s)): "
        f"reads {goals['audited_read_vs_unaudited']} (target ≥ 0.6), "
        f"writes {goals['audited_write_vs_unaudited']} (target ≥ 0.5); ÷ the same service with "
        f"its event left out: reads {goals['audited_read_vs_same_service']}, "
        f"writes {goals['audited_write_vs_same_service']}.",
    ]
    for number, each in enumerate(results.get("rounds", []), start=1):
        lines.append(
            f"  round {number}: reads {each['read_vs_crud']} (÷ CRUD), "
            f"{each['read_vs_same_service']} (÷ the same service); writes {each['write_vs_crud']}, "
            f"{each['write_vs_same_service']}"
        )
    raw = results["raw_jetstream"]
    lines += [
        "",
        "Raw JetStream on the same server: "
        f"{raw['publish_sequential']['rate_per_s']:.0f} publishes/s one at a time, "
        f"{raw['publish_windowed']['rate_per_s']:.0f}/s with "
        f"{raw['publish_windowed']['window']} in flight, "
        f"consumed at {raw['consume']['rate_per_s']:.0f}/s.",
        "Peak RSS (MiB): "
        + ", ".join(f"{name} {mib}" for name, mib in results["peak_rss_mib"].items()),
    ]
    if results.get("machine_saturated"):
        lines.append(
            "The machine's cores were all busy in at least one phase (other work than this run): "
            "the figures are lower bounds and not comparable between phases."
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# The bare endpoint (a process of its own)


def serve_bare(port: int, body_file: Path) -> None:
    import uvicorn
    from fastapi import FastAPI, Response

    app = FastAPI()
    body = body_file.read_bytes()

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/agreements/{agreement_id}")
    async def read(agreement_id: uuid.UUID) -> Response:
        return Response(body, media_type="application/json")

    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=10,
    )


def _commit() -> str | None:
    answer = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, fixed arguments
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parent,
    )
    return answer.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fullstack", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="2.5 s phases, for a check (< 60 s)")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each load phase")
    parser.add_argument("--concurrency", type=int, default=16, help="clients at full load")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of the compared full-load phases, in alternating order (median reported)",
    )
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL instead of SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--serve-bare", nargs=2, metavar=("PORT", "BODY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_bare:
        serve_bare(int(args.serve_bare[0]), Path(args.serve_bare[1]))
        return 0
    seconds = 2.5 if args.quick else args.seconds
    results = asyncio.run(
        run(
            seconds=seconds,
            concurrency=args.concurrency,
            postgres_url=args.postgres,
            keep=args.keep,
            raw_seconds=0.5 if args.quick else 3.0,
            rounds_wanted=1 if args.quick else args.rounds,
        )
    )
    results["quick"] = bool(args.quick)
    results["commit"] = _commit()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nRaw figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
