"""What JetStream's durability settings cost the event stream's publish path (docs/deployment.md).

Four set-ups, each a stream configured like ``DPA_EVENTS`` (file storage, the duplicate window,
``Nats-Msg-Id`` on every message, a real pactum envelope as payload):

- R1, default fsync: one server; the store is flushed to disk every 2 minutes (``sync_interval``
  default), so a power loss can take the last acknowledged messages with it;
- R1, ``sync_interval: always``: the server fsyncs each message before acknowledging it;
- R3, default fsync: a three-node loopback cluster; an acknowledgement means a majority (2 of 3)
  holds the message in memory/page cache, not necessarily on disk;
- R3, ``always``: a majority has it on disk (what docker-compose.yml runs).

Each set-up is measured two ways: sequential publishes, each awaiting its PubAck (what one outbox
relay does per row), and windowed publishes (up to ``--window`` awaiting PubAcks at once: the
ceiling of the stream). The set-ups are run in turn, ``--rounds`` times, and the best round of
each is kept, so a burst of load from something else on the machine hurts one round, not the
figure. ``python -m bench.durability [--seconds 3] [--rounds 2] [--window 64] [--store-dir var]``
"""

import argparse
import asyncio
import dataclasses
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import nats

from bench.machine import describe
from bench.raw import sample_envelope
from bench.stats import summarise
from deploy.natsserver import NatsCluster, NatsServer
from services.agreements.settings import AgreementsSettings
from shared.broker import stream_config
from shared.outbox import CONTENT_TYPE, MSG_ID_HEADER

STREAM = "BENCH_DURABILITY"
SUBJECTS = "bench.>"
SETUPS = (("R1", False), ("R1", True), ("R3", False), ("R3", True))


def _headers() -> dict[str, str]:
    return {MSG_ID_HEADER: str(uuid.uuid4()), "content-type": CONTENT_TYPE}


async def _measure(url: str, replicas: int, *, seconds: float, window: int) -> dict[str, Any]:
    subject, payload = sample_envelope()
    connection = await nats.connect(url.split(","), name="pactum-bench-durability")
    stream = connection.jetstream(publish_async_max_pending=window)
    settings = AgreementsSettings(nats_url=url, stream_replicas=replicas)
    config = dataclasses.replace(stream_config(settings), name=STREAM, subjects=[SUBJECTS])
    config.deny_delete = False
    config.deny_purge = False
    await stream.add_stream(config)
    try:
        for _ in range(100):  # warm the connection, the stream and its leader
            await stream.publish(subject, payload, headers=_headers(), stream=STREAM, timeout=10)

        round_trips: list[float] = []
        started = time.perf_counter()
        while (now := time.perf_counter()) < started + seconds:
            await stream.publish(subject, payload, headers=_headers(), stream=STREAM, timeout=10)
            round_trips.append(time.perf_counter() - now)
        sequential_seconds = time.perf_counter() - started

        futures: list[asyncio.Future[Any]] = []
        started = time.perf_counter()
        while time.perf_counter() < started + seconds:
            for _ in range(window):
                futures.append(
                    await stream.publish_async(subject, payload, headers=_headers(), stream=STREAM)
                )
        await asyncio.wait_for(stream.publish_async_completed(), timeout=60)
        windowed_seconds = time.perf_counter() - started
        failed = sum(1 for future in futures if future.exception() is not None)
        await stream.delete_stream(STREAM)
    finally:
        await connection.close()
    return {
        "sequential_per_s": len(round_trips) / sequential_seconds,
        "puback": summarise(round_trips).as_dict(),
        "windowed_per_s": (len(futures) - failed) / windowed_seconds,
        "windowed_failed": failed,
    }


async def _run(seconds: float, rounds: int, window: int, store_dir: Path) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="durability-", dir=store_dir) as directory:
        root = Path(directory)
        for number in range(rounds):
            for replicas_name, always in SETUPS:
                name = f"{replicas_name} {'always' if always else 'default'}"
                store = root / f"{number}-{name.replace(' ', '-')}"
                if replicas_name == "R1":
                    server = NatsServer(store, name="n1", sync_always=always).start()
                    try:
                        figures = await _measure(server.url, 1, seconds=seconds, window=window)
                    finally:
                        server.stop()
                else:
                    cluster = NatsCluster(store, sync_always=always).start()
                    try:
                        figures = await _measure(cluster.url, 3, seconds=seconds, window=window)
                    finally:
                        cluster.stop()
                results.setdefault(name, []).append(figures)
    best = {
        name: max(runs, key=lambda figures: figures["sequential_per_s"])
        for name, runs in results.items()
    }
    return {
        "machine": describe(),
        "store_dir": str(store_dir),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "seconds_per_measurement": seconds,
        "rounds": rounds,
        "window": window,
        "best": best,
        "all": results,
    }


def table(report: dict[str, Any]) -> str:
    """The Markdown table of docs/deployment.md."""
    reference = report["best"]["R1 default"]
    lines = [
        "| Stream | fsync | Sequential publishes/s (relay-like) | PubAck p50 / p99 ms "
        "| Windowed publishes/s | vs R1 default (sequential) |",
        "|---|---|---|---|---|---|",
    ]
    for name, figures in report["best"].items():
        replicas, sync = name.split()
        share = figures["sequential_per_s"] / reference["sequential_per_s"]
        lines.append(
            f"| {replicas} | {sync} | {figures['sequential_per_s']:.0f} "
            f"| {figures['puback']['p50_ms']:.2f} / {figures['puback']['p99_ms']:.2f} "
            f"| {figures['windowed_per_s']:.0f} | {share:.0%} |"
        )
    return "\n".join(lines)


def run(
    seconds: float = 3.0, rounds: int = 2, window: int = 64, store_dir: Path = Path("var")
) -> dict[str, Any]:
    store_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_run(seconds, rounds, window, store_dir.resolve()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="each set-up this many times")
    parser.add_argument("--window", type=int, default=64, help="PubAcks awaited at once")
    parser.add_argument(
        "--store-dir",
        type=Path,
        default=Path("var"),
        help="where the JetStream stores go: a real disk, not tmpfs, or fsync costs nothing",
    )
    arguments = parser.parse_args()
    report = run(arguments.seconds, arguments.rounds, arguments.window, arguments.store_dir)
    print(json.dumps(report, indent=2))
    print()
    print(table(report))


if __name__ == "__main__":
    main()
