"""Login throughput and latency beside the raw argon2id verify rate, in the same run.

``run()`` starts a throw-away nats-server and the identity service in-process (httpx over ASGI,
no network) on SQLite and on PostgreSQL (when reachable), creates one organisation with 50 users,
then at 1, 10 and 50 concurrent clients measures (a) raw argon2id verifications with the
service's parameters, run the way the service runs them (``asyncio.to_thread``), and (b) complete
password logins over the API (attempt admission, verification, session, refresh token, signed
access token, outbox event, and the relay publishing that event), in alternating rounds so that
both see the same machine load. The figure that matters is ``login_cost_ratio``: seconds per
login over seconds per bare hash at the same concurrency (target: at most 1.25). Beside it, the
SQL statements and transactions per login (counted with SQLAlchemy engine events, the outbox
relay's included), by statement kind, and the connection checkouts (on PostgreSQL a ping round
trip only for a connection that sat idle: ``shared/database.py``).

    python -m bench.identity [--backend sqlite|postgres|both] [--per-level N]
"""

import argparse
import asyncio
import os
import re
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.natsserver import NatsServer
from bench.probes import load_average
from bench.stats import summarise
from services.identity import organisations
from services.identity.authority import Authority
from services.identity.domain import MfaRequirement, OrganisationKind
from services.identity.main import create_app
from services.identity.settings import IdentitySettings
from shared.database import create_engine
from shared.logging import configure_logging

PASSWORD = "a long benchmark passphrase"  # noqa: S105 (a throw-away benchmark user)
LEVELS = (1, 10, 50)
ROUNDS = 5  # alternating rounds of bare verifications and logins per level
POSTGRES_URL = os.environ.get(
    "PACTUM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)


class StatementCount:
    """SQL statements and transactions an engine runs, by kind (``UPDATE user_account``)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.kinds: Counter[str] = Counter()
        self.transactions = 0
        self.checkouts = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "begin", self._begin)
        event.listen(engine.sync_engine.pool, "checkout", self._checkout)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
        table = _TABLE.search(statement)
        self.kinds[f"{verb} {table.group(1) if table else ''}".strip()] += 1

    def _begin(self, _conn: Any) -> None:
        self.transactions += 1

    def _checkout(self, *_args: Any) -> None:
        self.checkouts += 1  # on PostgreSQL each one is a pre-ping round trip as well

    def reset(self) -> None:
        self.kinds.clear()
        self.transactions = 0
        self.checkouts = 0

    def per(self, operations: int) -> dict[str, Any]:
        return {
            "statements": round(sum(self.kinds.values()) / operations, 2),
            "transactions": round(self.transactions / operations, 2),
            "connection_checkouts": round(self.checkouts / operations, 2),
            "by_kind": {
                kind: round(count / operations, 2) for kind, count in self.kinds.most_common()
            },
        }


async def _timed(
    clients: int, total: int, operation: Callable[[int], Awaitable[None]], samples: list[float]
) -> float:
    """Run ``total`` operations with ``clients`` concurrent workers; the seconds it took."""
    counter = iter(range(total))

    async def worker() -> None:
        for index in counter:
            started = time.perf_counter()
            await operation(index)
            samples.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return time.perf_counter() - started


async def _side_by_side(
    clients: int,
    total: int,
    verify: Callable[[int], Awaitable[None]],
    login: Callable[[int], Awaitable[None]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``total`` bare verifications and ``total`` logins in alternating rounds, so that both see
    the same machine (on a shared machine the load drifts within seconds); throughput and
    latency of each."""
    samples: dict[str, list[float]] = {"verify": [], "login": []}
    elapsed = {"verify": 0.0, "login": 0.0}
    per_round = max(clients, total // ROUNDS)
    for _ in range(ROUNDS):
        elapsed["verify"] += await _timed(clients, per_round, verify, samples["verify"])
        elapsed["login"] += await _timed(clients, per_round, login, samples["login"])

    def figures(kind: str) -> dict[str, Any]:
        summary = summarise(samples[kind]).as_dict()
        rate = len(samples[kind]) / elapsed[kind]
        return {"per_second": round(rate, 1), **{k: round(v, 2) for k, v in summary.items()}}

    return figures("verify"), figures("login")


async def _users(app: Any, authority: Authority, count: int) -> list[str]:
    runtime = app.state.runtime
    links: list[str] = []
    async with runtime.sessions() as session, session.begin():
        organisation = await organisations.create_organisation(
            session=session,
            authority=authority,
            name="Bench",
            kind=OrganisationKind.controller,
            mfa=MfaRequirement.none,
        )
        emails = [f"user{number}@bench.example" for number in range(count)]
        for email in emails:
            links.append(
                await organisations.create_first_admin(
                    session=session,
                    authority=authority,
                    organisation_id=organisation.id,
                    email=email,
                )
            )
    return [link.split("#token=", 1)[1] for link in links]


async def _postgres_reachable() -> bool:
    engine = create_engine(POSTGRES_URL)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    finally:
        await engine.dispose()
    return True


async def _drop_schema(schema: str) -> None:
    engine = create_engine(POSTGRES_URL)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await engine.dispose()


async def _measure(
    work: Path, backend: str, per_level: int, levels: tuple[int, ...]
) -> dict[str, Any]:
    nats = NatsServer(work / "nats").start()
    schema = f"bench_identity_{uuid.uuid4().hex[:8]}" if backend == "postgres" else None
    try:
        settings = IdentitySettings(
            environment="test",
            var_dir=work / "var",
            nats_url=nats.url,
            database_url=POSTGRES_URL
            if backend == "postgres"
            else f"sqlite+aiosqlite:///{work / 'identity.db'}",
            database_schema=schema,
            log_level="WARNING",
            client_failure_limit=1_000_000,
        )
        configure_logging(service="identity", level="WARNING")  # one log line per login is noise
        app = create_app(settings)
        statements = StatementCount(app.state.runtime.engine)  # before any thread runs SQL
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
            authority: Authority = app.state.authority
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://identity") as http:
                tokens = await _users(app, authority, max(levels))
                for token in tokens:
                    accepted = await http.post(
                        "/invitations/accept", json={"token": token, "password": PASSWORD}
                    )
                    accepted.raise_for_status()
                stored = authority.passwords.hash(PASSWORD)

                async def verify(_index: int) -> None:
                    assert await asyncio.to_thread(authority.passwords.verify, stored, PASSWORD)

                async def login(index: int) -> None:
                    email = f"user{index % max(levels)}@bench.example"
                    answer = await http.post("/login", json={"email": email, "password": PASSWORD})
                    answer.raise_for_status()

                await _timed(4, 8, login, [])  # warm-up: connections, caches
                await asyncio.sleep(0.6)  # the relay publishes the warm-up's events
                results: dict[str, Any] = {}
                for clients in levels:
                    statements.reset()
                    raw, logins = await _side_by_side(clients, per_level, verify, login)
                    await asyncio.sleep(0.6)  # the relay publishes this level's last events
                    results[f"clients_{clients}"] = {
                        "argon2_verify": raw,
                        "login": logins,
                        "login_cost_ratio": round(raw["per_second"] / logins["per_second"], 3),
                        "sql_per_login": statements.per(logins["count"]),
                    }
        return results
    finally:
        nats.stop()
        if schema is not None:
            await _drop_schema(schema)


def run(
    *,
    per_level: int = 200,
    levels: tuple[int, ...] = LEVELS,
    backends: tuple[str, ...] = ("sqlite", "postgres"),
) -> dict[str, Any]:
    """The identity benchmark; figures in operations per second and milliseconds."""
    results: dict[str, Any] = {}
    for backend in backends:
        if backend == "postgres" and not asyncio.run(_postgres_reachable()):
            results[backend] = {"skipped": f"PostgreSQL unreachable at {POSTGRES_URL}"}
            continue
        with tempfile.TemporaryDirectory(prefix="pactum-bench-identity-") as directory:
            before = load_average()
            measured = asyncio.run(_measure(Path(directory), backend, per_level, levels))
            results[backend] = {"load_average": [before, load_average()], **measured}
    defaults = IdentitySettings()
    return {
        "argon2id": {
            "memory_kib": defaults.argon2_memory_kib,
            "time_cost": defaults.argon2_time_cost,
            "parallelism": defaults.argon2_parallelism,
        },
        "cpus": os.cpu_count(),
        "requests_per_level": per_level,
        "target_login_cost_ratio": 1.25,
        **results,
    }


if __name__ == "__main__":
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.identity")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--per-level", type=int, default=200)
    arguments = parser.parse_args()
    chosen = ("sqlite", "postgres") if arguments.backend == "both" else (arguments.backend,)
    print(json.dumps(run(per_level=arguments.per_level, backends=chosen), indent=2))
