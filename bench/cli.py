"""``python -m bench``: run section A (raw JetStream) and section B (pactum pipeline), print, save.

The whole run is bounded: fixed durations for the raw figures, fixed event counts for the
flat-out phases, and steady phases offered a fraction of the flat-out rate just measured, for a
fixed time. Every phase that waits for audit entries gives up after ``--drain-timeout`` seconds
and is then reported as incomplete rather than hanging the run.
"""

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import shared
from bench import machine, report
from bench.natsserver import NatsServer
from bench.pipeline import SOURCES, Load, Pipeline, Source
from bench.probes import CpuSnapshot, load_average
from bench.raw import run_raw

DEFAULT_OUT = Path(__file__).parent / "results" / "latest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="pactum's event-pipeline benchmark."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run with small counts (figures not comparable)",
    )
    parser.add_argument("--publish-seconds", type=float, default=4.0)
    parser.add_argument(
        "--window", type=int, default=64, help="PubAcks in flight, windowed publish"
    )
    parser.add_argument("--outbox-events", type=int, default=1200, help="flat-out outbox events")
    parser.add_argument("--http-events", type=int, default=800, help="flat-out HTTP events")
    parser.add_argument("--concurrency", type=int, default=8, help="flat-out producers")
    parser.add_argument(
        "--rounds", type=int, default=3, help="flat-out rounds per path; the median is reported"
    )
    parser.add_argument(
        "--audit-batch",
        type=int,
        default=None,
        help="override the audit consumer's fetch batch (consumer_batch_size) for an experiment",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="experiment: gc.freeze() once the services have started",
    )
    parser.add_argument(
        "--steady-fraction",
        type=float,
        default=0.5,
        help="steady phases offer this fraction of the flat-out rate",
    )
    parser.add_argument("--steady-seconds", type=float, default=12.0)
    parser.add_argument("--drain-timeout", type=float, default=60.0)
    parser.add_argument(
        "--budget",
        type=float,
        default=170.0,
        help="seconds the whole run aims to stay within; extra flat-out rounds are dropped",
    )
    parser.add_argument("--skip-raw", action="store_true")
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.publish_seconds = 1.0
        args.outbox_events = 200
        args.http_events = 100
        args.steady_seconds = 3.0
        args.drain_timeout = 20.0
        args.rounds = 1
    return args


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def drain_timeout(args: argparse.Namespace, deadline: float) -> float:
    """How long a phase may wait for its audit entries: the option, capped by the budget."""
    return max(10.0, min(float(args.drain_timeout), deadline - time.monotonic()))


async def run_pipeline(
    server: NatsServer,
    work_dir: Path,
    args: argparse.Namespace,
    log_sink: TextIO,
    deadline: float,
) -> dict[str, Any]:
    pid = server.process.pid if server.process is not None else None
    pipeline = Pipeline(
        nats_url=server.url,
        nats_pid=pid,
        work_dir=work_dir / "pipeline",
        log_sink=log_sink,
        audit_batch=args.audit_batch,
        gc_freeze=args.gc_freeze,
    )
    async with pipeline.running():
        progress("pipeline: warm-up")
        await pipeline.warm_up(50)
        phases: list[dict[str, Any]] = []
        flat_rates: dict[Source, float] = {}
        counts: dict[Source, int] = {"outbox": args.outbox_events, "http": args.http_events}
        # Time kept for the two steady phases; extra flat-out rounds only run if they fit.
        reserve = 2 * (args.steady_seconds + 10)
        last = 0.0  # how long the latest flat-out round took
        for index, source in enumerate(SOURCES):
            count = counts[source]
            rounds: list[dict[str, Any]] = []
            for round_number in range(1, args.rounds + 1):
                later_sources = len(SOURCES) - index - 1
                if rounds and time.monotonic() + last * (1 + later_sources) + reserve > deadline:
                    progress(f"pipeline: {source}, no time left for round {round_number}")
                    break
                progress(
                    f"pipeline: {source}, flat out, {count} events, "
                    f"round {round_number}/{args.rounds}"
                )
                load = Load(source=source, count=count, concurrency=args.concurrency)
                clock = time.monotonic()
                rounds.append(
                    await pipeline.run_phase(
                        f"{source} flat-out", load, drain_timeout=drain_timeout(args, deadline)
                    )
                )
                last = time.monotonic() - clock
            # Report the median round, keep every round's rate beside it.
            rounds.sort(key=lambda phase: float(phase["events_per_s"]))
            median = rounds[len(rounds) // 2]
            median["rounds"] = [
                {
                    "events_per_s": phase["events_per_s"],
                    "produce_rate_per_s": phase["produce_rate_per_s"],
                    "lag_p50_ms": phase["lag"]["p50_ms"],
                    "lag_p99_ms": phase["lag"]["p99_ms"],
                    "complete": phase["complete"],
                }
                for phase in rounds
            ]
            phases.append(median)
            flat_rates[source] = median["events_per_s"]
        for source in SOURCES:
            rate = max(1.0, round(flat_rates[source] * args.steady_fraction))
            count = max(20, int(rate * args.steady_seconds))
            progress(f"pipeline: {source}, steady {rate:.0f}/s, {count} events")
            load = Load(source=source, count=count, rate=rate)
            phases.append(
                await pipeline.run_phase(
                    f"{source} steady",
                    load,
                    drain_timeout=drain_timeout(args, deadline),
                    keep_samples=True,
                )
            )
        return {"settings": pipeline.settings_in_use(), "phases": phases}


def git_revision() -> dict[str, Any] | None:
    """The commit the benchmarked code is at, and whether the work tree differs from it."""
    root = Path(shared.__file__).resolve().parent.parent  # the code under test, not bench/
    git = shutil.which("git")
    if git is None:
        return None
    try:
        commit = subprocess.run(
            [git, "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": commit, "modified_files": len(status.splitlines())}


async def run(args: argparse.Namespace, work_dir: Path, log_sink: TextIO) -> dict[str, Any]:
    started = datetime.now(UTC)
    clock = time.perf_counter()
    deadline = time.monotonic() + args.budget
    results: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine.describe(),
        "git": git_revision(),
        "load_average_before": load_average(),
        "niceness": os.nice(0),
        "work_dir": str(work_dir),
        "arguments": {
            key: str(value) if isinstance(value, Path) else value
            for key, value in vars(args).items()
        },
    }
    server = NatsServer(work_dir / "nats").start()
    pid = server.process.pid if server.process is not None else None
    try:
        if not args.skip_raw:
            progress(f"raw JetStream baseline on {server.url}")
            before = CpuSnapshot.take(pid)
            clock = time.perf_counter()
            results["raw"] = await run_raw(
                server.url,
                work_dir / "raw",
                publish_seconds=args.publish_seconds,
                window=args.window,
                consume_timeout=60.0,
            )
            results["raw"]["cpu"] = CpuSnapshot.take(pid).since(before, time.perf_counter() - clock)
        if not args.skip_pipeline:
            results["pipeline"] = await run_pipeline(server, work_dir, args, log_sink, deadline)
    finally:
        server.stop()
    results["load_average_after"] = load_average()
    results["ratios"] = report.ratios(results)
    results["seconds"] = time.perf_counter() - clock
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="pactum-bench-"))
    try:
        # The services log as in production (JSON, INFO), into a file that goes with the work dir.
        with (work_dir / "services.log").open("w") as log_sink:
            results = asyncio.run(run(args, work_dir, log_sink))
    finally:
        if args.keep:
            progress(f"kept {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    print(report.render(results))
    report.write_json(results, args.out)
    progress(f"wrote {args.out}")
    return 0
