"""Section: the audit service's ingest, export verification and query latency.

* ``ingest``: N real envelopes (a quarter with a client address, so sealing is paid) are published
  to a ``DPA_EVENTS`` stream on a throw-away nats-server; then, in the same run, (1) the raw
  JetStream consume-and-ack rate with a plain nats-py durable pull consumer (fetch 512, ack each),
  and (2) the audit service's own batch consumer (``shared.broker.BatchConsumer`` +
  ``services.audit.consumers.record_entries``: inbox claims, entries, Merkle frontier and nodes,
  one transaction per batch) into SQLite and into PostgreSQL, each from its own durable consumer.
* ``verify``: a complete JSON Lines export of the largest organisation, built by the service's
  export code from the SQLite store, verified in memory by the offline verifier (median of
  ``VERIFY_REPEATS`` runs, and entries per CPU-second).
* ``query``: PostgreSQL with one organisation of ``query_rows`` entries (bulk-inserted with
  ``generate_series``; the hashes are not valid, the plan and the indexes are the real ones);
  ``GET /audit/entries`` through the app over httpx ``ASGITransport``: filtered pages of 50,
  each an audited read (the access event commits with the page).

Beside each ingest rate, ``cpu_us_per_event`` is this process's CPU time per event (SQLite's writes
included, PostgreSQL's server side not), which a busy machine distorts far less than the rates.
The heap is frozen once set up (``gc.freeze()``), as ``shared.serve`` does in a service process.

``python -m bench.audit --partitions 1,2`` measures only audit's ingest into PostgreSQL split
by organisation (``PACTUM_AUDIT_PARTITIONS``, services/audit/partitions.py): for each count, a
fresh partitions' stream sources the published events (``partition()`` on the tenant) and one
consumer per partition, all in this one process, stores them; 1 is the plain ``audit`` durable on
``DPA_EVENTS``. One process uses one core, so this measures what the second stream and the extra
durables cost per event. With ``--processes``, each partition is stored by a process of its own
(as replicas sharing the partitions would), timed from the first one's start of consuming to the
last event stored (their start-up is not counted), and ``cpu_us_per_event`` sums their CPU.

``run()`` returns the figures as a dict; ``python -m bench.audit`` prints them as JSON.
"""

import asyncio
import gc
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
from asgi_lifespan import LifespanManager
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry.sdk.trace import TracerProvider
from pactum_verify.export import verify_export
from sqlalchemy import func, select, text

from bench.natsserver import NatsServer
from bench.stats import summarise
from services.audit.consumers import record_entries
from services.audit.export import _jsonl, _lines
from services.audit.main import AuditSettings, create_app
from services.audit.schemas import LogFilter
from services.audit.store import TABLES, AuditEntry, AuditTree
from shared.auth import JwksSource, Role, TokenSigner
from shared.broker import (
    BatchConsumer,
    ConsumerTally,
    build_broker,
    ensure_stream,
    partitioned_stream_config,
    put_stream,
)
from shared.database import create_engine, create_tables, session_factory
from shared.inbox import InboxReceipt
from shared.outbox import OutboxMessage

POSTGRES_URL = os.environ.get(
    "PACTUM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
VERIFY_REPEATS = 5
_OWN_TABLES = (*TABLES, InboxReceipt.__table__, OutboxMessage.__table__)  # type: ignore[attr-defined]


def _settle_heap() -> None:
    """What ``shared.serve`` does in a service process once its app is built: collect, then
    freeze what lives on, so the collector's full passes skip it while the figures are taken."""
    gc.collect()
    gc.freeze()


def _envelopes(count: int, organisations: int) -> list[tuple[str, bytes, str]]:
    from shared.events import Envelope

    orgs = [str(uuid.uuid4()) for _ in range(organisations)]
    now = datetime.now(UTC)
    out = []
    for i in range(count):
        org = orgs[i % organisations]
        agreement = str(uuid.uuid4())
        envelope = Envelope(
            id=uuid.uuid4(),
            source="/dpa/agreements",
            type="dpa.agreements.agreement.viewed.v1",
            subject=agreement,
            time=now,
            tenantid=org,
            actorid=f"user-{i % 50}",
            actortype="user",
            actororgid=org,
            clientaddr="192.0.2.1" if i % 4 == 0 else None,
            traceparent=f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01",
            data={"agreement_id": agreement, "fields": ["title", "status"]},
        )
        out.append((envelope.nats_subject, envelope.to_json(), str(envelope.id)))
    return out


async def _publish(js: Any, events: list[tuple[str, bytes, str]]) -> float:
    started = time.perf_counter()
    for start in range(0, len(events), 1000):
        for subject, body, event_id in events[start : start + 1000]:
            await js.publish_async(subject, body, headers={"Nats-Msg-Id": event_id})
        await js.publish_async_completed()
    return time.perf_counter() - started


async def _raw_consume(js: Any, stream: str, total: int) -> dict[str, Any]:
    subscription = await js.pull_subscribe(
        "dpa.>",
        durable="bench-raw",
        stream=stream,
        config=ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, max_ack_pending=8192
        ),
    )
    consumed = 0
    started, cpu = time.perf_counter(), time.process_time()
    while consumed < total:
        try:
            messages = await subscription.fetch(512, timeout=1.0)
        except TimeoutError:
            continue
        for message in messages:
            await message.ack()
        consumed += len(messages)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await subscription.unsubscribe()
    return {
        "messages": consumed,
        "seconds": elapsed,
        "rate_per_s": consumed / elapsed,
        "cpu_us_per_event": cpu * 1e6 / consumed,
    }


async def _ingest(
    nats_url: str, database_url: str, schema: str | None, total: int, durable: str
) -> dict[str, Any]:
    settings = AuditSettings(
        nats_url=nats_url,
        database_url=database_url,
        database_schema=schema,
        consumer_batch_size=1024,
        consumer_ack_wait_seconds=60,
    )
    engine = create_engine(settings.database_url, schema=schema)
    await create_tables(engine, _OWN_TABLES, schema=schema)
    sessions = session_factory(engine)
    broker = build_broker(settings, TracerProvider())
    await broker.connect()
    consumer = BatchConsumer(
        broker, settings=settings, durable=durable, sessions=sessions, handle=record_entries
    )
    started, cpu = time.perf_counter(), time.process_time()
    task = asyncio.create_task(consumer.run())
    # The consumer's own count of committed events, checked every 10 ms: counting the rows
    # every 100 ms cost this process CPU (SQLite counted in this process) and up to 100 ms.
    while consumer.tally.stored + consumer.tally.duplicates < total:
        await asyncio.sleep(0.01)
        if task.done():
            task.result()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await broker.stop()
    async with sessions() as session:
        stored = int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    if stored != total or consumer.tally.rejected:
        raise RuntimeError(f"ingest stored {stored} of {total} entries: {consumer.tally}")
    result = {
        "entries": stored,
        "batches": consumer.batches,
        "seconds": elapsed,
        "rate_per_s": stored / elapsed,
        # This process's CPU (SQLite's writes included, PostgreSQL's server side not): a figure
        # that a busy machine inflates far less than the rates.
        "cpu_us_per_event": cpu * 1e6 / stored,
    }
    return result | {"engine": engine}


def _partition_settings(nats_url: str, schema: str, database_url: str) -> AuditSettings:
    return AuditSettings(
        nats_url=nats_url,
        database_url=database_url,
        database_schema=schema,
        consumer_batch_size=1024,
        consumer_ack_wait_seconds=60,
    )


async def _consume_partitions(
    settings: AuditSettings, stream: str, prefix: str, mine: list[int]
) -> tuple[float, int, int, float, float]:
    """Store partitions ``mine`` until their durables have nothing left; (CPU seconds of this
    process, events stored, batches, when it began, when it stored its last event: wall clock).
    ``stream`` "" is the plain durable on DPA_EVENTS."""
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    sessions = session_factory(engine)
    broker = build_broker(settings, TracerProvider())
    await broker.connect()
    tally = ConsumerTally()
    cpu = time.process_time()
    if not stream:
        consumers = [
            BatchConsumer(
                broker,
                settings=settings,
                durable="p1",
                sessions=sessions,
                handle=record_entries,
                tally=tally,
            )
        ]
    else:
        consumers = [
            BatchConsumer(
                broker,
                settings=settings,
                durable=f"part-{partition}",
                sessions=sessions,
                handle=record_entries,
                subjects=(f"{prefix}.{partition}.>",),
                stream=stream,
                inbox="audit",
                unwrap=2,
                tally=tally,
            )
            for partition in mine
        ]
    began = last = time.time()
    tasks = [asyncio.create_task(consumer.run()) for consumer in consumers]
    js = broker.connection.jetstream()
    idle = stored = 0
    while idle < 3:  # nothing pending three checks in a row (the source may still be copying)
        await asyncio.sleep(0.05)
        for task in tasks:
            if task.done():
                task.result()
        infos = [
            await js.consumer_info(consumer.stream, consumer._durable) for consumer in consumers
        ]
        empty = all(not info.num_pending and not info.num_ack_pending for info in infos)
        idle = idle + 1 if empty and tally.stored else 0
        if tally.stored != stored:
            stored, last = tally.stored, time.time()
    cpu = time.process_time() - cpu
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await broker.stop()
    await engine.dispose()
    return cpu, tally.stored, sum(consumer.batches for consumer in consumers), began, last


def _consume_in_child(
    args: tuple[str, str, str, str, str, list[int]],
) -> tuple[float, int, int, float, float]:
    nats_url, schema, database_url, stream, prefix, mine = args
    settings = _partition_settings(nats_url, schema, database_url)
    return asyncio.run(_consume_partitions(settings, stream, prefix, mine))


async def _ingest_partitioned(
    nats_url: str,
    total: int,
    partitions: int,
    *,
    processes: int = 1,
    database_url: str = POSTGRES_URL,
) -> dict[str, Any]:
    """Ingest ``total`` events from ``partitions`` partitions (1: the ``DPA_EVENTS`` durable)
    into a fresh PostgreSQL schema, by ``processes`` processes (each taking every
    ``processes``-th partition, as the leases' fair share does)."""
    schema = f"bench_partitions_{uuid.uuid4().hex[:8]}"
    settings = _partition_settings(nats_url, schema, database_url)
    engine = create_engine(settings.database_url, schema=schema)
    await create_tables(engine, _OWN_TABLES, schema=schema)
    stream = prefix = ""
    if partitions > 1:
        stream = f"BENCH_P{partitions}_{uuid.uuid4().hex[:6]}"
        prefix = f"p{uuid.uuid4().hex[:6]}"
        broker = build_broker(settings, TracerProvider())
        await broker.connect()
        await put_stream(
            broker,
            partitioned_stream_config(settings, name=stream, prefix=prefix, partitions=partitions),
        )
        await broker.stop()
    shares = [[p for p in range(partitions) if p % processes == i] for i in range(processes)]
    if processes == 1:
        results = [await _consume_partitions(settings, stream, prefix, shares[0])]
    else:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        loop = asyncio.get_running_loop()
        with context.Pool(processes) as pool:
            results = await loop.run_in_executor(
                None,
                pool.map,
                _consume_in_child,
                [(nats_url, schema, database_url, stream, prefix, mine) for mine in shares],
            )
    # From the first process's start of consuming to the last event stored (granularity 50 ms;
    # the spawned processes' start-up is not counted).
    elapsed = max(result[4] for result in results) - min(result[3] for result in results)
    sessions = session_factory(engine)
    async with sessions() as session:
        stored = int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    async with engine.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await engine.dispose()
    if stored != total:
        raise RuntimeError(f"ingest stored {stored} of {total} entries")
    cpu = sum(result[0] for result in results)
    return {
        "partitions": partitions,
        "processes": processes,
        "entries": stored,
        "batches": sum(result[2] for result in results),
        "seconds": elapsed,
        "rate_per_s": stored / elapsed,
        "cpu_us_per_event": cpu * 1e6 / stored,
    }


async def run_partitions(
    counts: list[int], *, events: int = 20_000, organisations: int = 20, processes: bool = False
) -> dict[str, Any]:
    """Raw consume, then ingest into PostgreSQL with each count of partitions, one run."""
    work = Path(tempfile.mkdtemp(prefix="pactum-bench-partitions-"))
    server = NatsServer(work / "nats").start()
    results: dict[str, Any] = {"events": events, "organisations": organisations}
    try:
        nc = await nats.connect(server.url)
        js = nc.jetstream(publish_async_max_pending=4000)
        settings = AuditSettings(nats_url=server.url)
        broker = build_broker(settings, TracerProvider())
        await broker.connect()
        await ensure_stream(broker, settings)
        await broker.stop()
        _settle_heap()
        results["publish_seconds"] = await _publish(js, _envelopes(events, organisations))
        results["raw_consume"] = await _raw_consume(js, settings.stream_name, events)
        raw = results["raw_consume"]["rate_per_s"]
        for count in counts:
            # With ``processes``, one process per partition (the replicas), else all in one.
            workers = count if processes else 1
            figures = await _ingest_partitioned(server.url, events, count, processes=workers)
            results[f"ingest_postgres_{count}_partitions_{workers}_processes"] = figures | {
                "share_of_raw": figures["rate_per_s"] / raw
            }
        await nc.close()
    finally:
        server.stop()
    return results


async def _verify_rate(engine: Any) -> dict[str, Any]:
    sessions = session_factory(engine)
    async with sessions() as session:
        tree = (
            await session.scalars(select(AuditTree).order_by(AuditTree.size.desc()).limit(1))  # type: ignore[attr-defined]
        ).one()
    from services.audit.checkpoints import CheckpointSigner, checkpoint

    signer = CheckpointSigner.load_or_create(Path(tempfile.mkdtemp()) / "key.pem")
    async with sessions() as session, session.begin():
        signed = await checkpoint(session, signer, organisation_id=tree.organisation_id)
    assert signed is not None
    point = {k: getattr(signed, k) for k in ("organisation_id", "size", "root", "signed_at")} | {
        "key_id": signed.key_id,
        "signature": signed.signature,
    }
    header = {  # as services/audit/export.py writes it: the verifier checks every field
        "record": "header",
        "format": "pactum-audit-export/1",
        "organisation_id": tree.organisation_id,
        "filters": {},
        "complete": True,
        "checkpoint": point,
        "checkpoints": [point],
        "key_id": signer.key_id,
        "public_key": signer.public_key,
        "keys": [key.published() for key in signer.key_ring()],
    }
    chunks = [
        chunk
        async for chunk in _jsonl(
            _lines(sessions, tree.organisation_id, LogFilter(), signed.size, header, "en")
        )
    ]
    lines = b"".join(chunks).decode().splitlines()
    rates, cpu_rates = [], []
    for _ in range(VERIFY_REPEATS):  # a few milliseconds each: the median of a few runs
        started, cpu = time.perf_counter(), time.process_time()
        report = verify_export(lines, public_key=signer.public_key)
        rates.append(report.entries_checked / (time.perf_counter() - started))
        cpu_rates.append(report.entries_checked / max(time.process_time() - cpu, 1e-9))
    return {
        "entries": report.entries_checked,
        "valid": report.valid,
        "bytes": sum(len(chunk) for chunk in chunks),
        "repeats": VERIFY_REPEATS,
        "rate_per_s": statistics.median(rates),
        "best_rate_per_s": max(rates),
        "cpu_rate_per_s": statistics.median(cpu_rates),  # entries per second of CPU time
    }


def _jwks(signer: TokenSigner) -> JwksSource:
    async def fetch() -> dict[str, Any]:
        return signer.jwks()

    return fetch


async def _query(work: Path, rows: int, requests: int) -> dict[str, Any]:
    server = NatsServer(work / "nats-query").start()  # its own stream on dpa.>
    try:
        return await _query_on(server.url, rows, requests)
    finally:
        server.stop()


async def _query_on(nats_url: str, rows: int, requests: int) -> dict[str, Any]:
    schema = f"bench_audit_{uuid.uuid4().hex[:8]}"
    settings = AuditSettings(
        nats_url=nats_url,
        database_url=POSTGRES_URL,
        database_schema=schema,
        var_dir=Path(tempfile.mkdtemp()),
    )
    signer = TokenSigner.generate(issuer=settings.token_issuer, audience=settings.token_audience)
    app = create_app(settings, jwks=_jwks(signer))
    _settle_heap()
    organisation = str(uuid.uuid4())
    runtime = app.state.runtime
    figures: dict[str, Any] = {"rows": rows, "organisation_entries": rows}
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        started = time.perf_counter()
        async with runtime.engine.begin() as connection:
            await connection.execute(text(_BULK), {"org": organisation, "rows": rows})
            await connection.execute(text("ANALYZE audit_entry"))
        figures["bulk_insert_seconds"] = time.perf_counter() - started
        token = signer.issue(user_id="bench", organisation_id=organisation, roles=[Role.auditor])
        headers = {"Authorization": f"Bearer {token}"}
        since = (datetime.now(UTC) - timedelta(days=200)).isoformat().replace("+00:00", "Z")
        queries = {
            "newest_page": "limit=50",
            "actor": "limit=50&actor=user-17",
            "action_prefix": "limit=50&action=dpa.identity.",
            "time_range_supplier": f"limit=50&since={since}&supplier_only=true",
            "outcome_oldest_first": "limit=50&outcome=denied&order=oldest",
            "deep_cursor": f"limit=50&cursor={rows // 2}",
        }
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://audit") as client:
            samples: dict[str, list[float]] = {name: [] for name in queries}
            names = list(queries) * (requests // len(queries))
            random.Random(7).shuffle(names)
            for name in names:
                began = time.perf_counter()
                response = await client.get(f"/audit/entries?{queries[name]}", headers=headers)
                samples[name].append(time.perf_counter() - began)
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: {response.status_code} {response.text}")
        figures["by_query"] = {name: summarise(s).as_dict() for name, s in samples.items()}
        figures["all"] = summarise([x for s in samples.values() for x in s]).as_dict()
    engine = create_engine(POSTGRES_URL)
    async with engine.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await engine.dispose()
    return figures


_BULK = """
INSERT INTO audit_entry (organisation_id, log_index, event_id, event_type, source, subject,
  actor_id, actor_type, actor_organisation_id, outcome, supplier_intervention, agreement_id,
  occurred_at, recorded_at, requirements, data, leaf_hash)
SELECT :org, g - 1, md5(g::text)::uuid,
  (ARRAY['dpa.agreements.agreement.viewed.v1', 'dpa.identity.user.updated.v1',
         'dpa.agreements.agreement.created.v1', 'dpa.audit.log.viewed.v1'])[1 + g % 4],
  '/dpa/bench', 'record-' || (g % 1000), 'user-' || (g % 200), 'user', :org,
  CASE WHEN g % 50 = 0 THEN 'denied' ELSE 'succeeded' END, g % 100 = 0,
  'agreement-' || (g % 500),
  now() - make_interval(secs => (:rows - g) * 30), now(), '["TOM-T3a"]', '{}', repeat('0', 64)
FROM generate_series(1, :rows) AS g
"""


async def run_all(
    *, events: int = 50_000, organisations: int = 20, query_rows: int = 1_000_000
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="pactum-bench-audit-"))
    server = NatsServer(work / "nats").start()
    results: dict[str, Any] = {"events": events, "organisations": organisations}
    try:
        nc = await nats.connect(server.url)
        js = nc.jetstream(publish_async_max_pending=4000)
        settings = AuditSettings(nats_url=server.url)
        broker = build_broker(settings, TracerProvider())
        await broker.connect()
        await ensure_stream(broker, settings)
        await broker.stop()
        batch = _envelopes(events, organisations)
        _settle_heap()
        results["publish_seconds"] = await _publish(js, batch)
        results["raw_consume"] = await _raw_consume(js, settings.stream_name, events)
        sqlite = await _ingest(
            server.url, f"sqlite+aiosqlite:///{work}/audit.db", None, events, "a1"
        )
        engine = sqlite.pop("engine")
        results["ingest_sqlite"] = sqlite
        results["verify_export"] = await _verify_rate(engine)
        await engine.dispose()
        schema = f"bench_ingest_{uuid.uuid4().hex[:8]}"
        postgres = await _ingest(server.url, POSTGRES_URL, schema, events, "a2")
        engine = postgres.pop("engine")
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()
        results["ingest_postgres"] = postgres
        raw = results["raw_consume"]["rate_per_s"]
        for name in ("ingest_sqlite", "ingest_postgres"):
            results[name]["share_of_raw"] = results[name]["rate_per_s"] / raw
        await nc.close()
        results["query_postgres"] = await _query(work, query_rows, requests=300)
    finally:
        server.stop()
    return results


def run() -> dict[str, Any]:
    return asyncio.run(run_all())


if __name__ == "__main__":
    import sys

    small = "--small" in sys.argv
    if "--partitions" in sys.argv:
        counts = [int(n) for n in sys.argv[sys.argv.index("--partitions") + 1].split(",")]
        figures = asyncio.run(
            run_partitions(
                counts, events=5000 if small else 20_000, processes="--processes" in sys.argv
            )
        )
    else:
        figures = asyncio.run(run_all(events=5000, query_rows=20_000) if small else run_all())
    print(json.dumps(figures, indent=2, default=str))
