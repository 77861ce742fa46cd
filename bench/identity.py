"""Login throughput and latency beside the raw argon2id verify rate, in the same run.

``run()`` starts a throw-away nats-server and the identity service in-process (SQLite, httpx over
ASGI, no network), creates one organisation with 50 users, then at 1, 10 and 50 concurrent
clients measures (a) raw argon2id verifications with the service's parameters, run the way the
service runs them (``asyncio.to_thread``), and (b) complete password logins over the API (lookup,
attempt reservation, verification, session, refresh token, signed access token, outbox event).
The figure that matters is ``login_cost_ratio``: seconds per login over seconds per bare hash at
the same concurrency (target: at most 1.25).

    python -m bench.identity
"""

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from bench.natsserver import NatsServer
from bench.stats import summarise
from services.identity import organisations
from services.identity.authority import Authority
from services.identity.domain import OrganisationKind
from services.identity.main import create_app
from services.identity.settings import IdentitySettings
from shared.logging import configure_logging

PASSWORD = "a long benchmark passphrase"  # noqa: S105 (a throw-away benchmark user)
LEVELS = (1, 10, 50)


async def _timed(
    clients: int, total: int, operation: Callable[[int], Awaitable[None]]
) -> dict[str, Any]:
    """Run ``total`` operations with ``clients`` concurrent workers; throughput and latency."""
    samples: list[float] = []
    counter = iter(range(total))

    async def worker() -> None:
        for index in counter:
            started = time.perf_counter()
            await operation(index)
            samples.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    summary = summarise(samples).as_dict()
    return {"per_second": round(total / elapsed, 1), **{k: round(v, 2) for k, v in summary.items()}}


async def _users(app: Any, authority: Authority, count: int) -> list[str]:
    runtime = app.state.runtime
    links: list[str] = []
    async with runtime.sessions() as session, session.begin():
        organisation = await organisations.create_organisation(
            session=session, authority=authority, name="Bench", kind=OrganisationKind.controller
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


async def _measure(work: Path, per_level: int, levels: tuple[int, ...]) -> dict[str, Any]:
    nats = NatsServer(work / "nats").start()
    try:
        settings = IdentitySettings(
            environment="test",
            var_dir=work / "var",
            nats_url=nats.url,
            database_url=f"sqlite+aiosqlite:///{work / 'identity.db'}",
            log_level="WARNING",
            client_failure_limit=1_000_000,
        )
        configure_logging(service="identity", level="WARNING")  # one log line per login is noise
        app = create_app(settings)
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

                await _timed(4, 8, login)  # warm-up: connections, caches
                results: dict[str, Any] = {}
                for clients in levels:
                    raw = await _timed(clients, per_level, verify)
                    logins = await _timed(clients, per_level, login)
                    results[f"clients_{clients}"] = {
                        "argon2_verify": raw,
                        "login": logins,
                        "login_cost_ratio": round(raw["per_second"] / logins["per_second"], 3),
                    }
        return results
    finally:
        nats.stop()


def run(*, per_level: int = 200, levels: tuple[int, ...] = LEVELS) -> dict[str, Any]:
    """The identity benchmark; figures in operations per second and milliseconds."""
    with tempfile.TemporaryDirectory(prefix="pactum-bench-identity-") as directory:
        results = asyncio.run(_measure(Path(directory), per_level, levels))
    defaults = IdentitySettings()
    return {
        "argon2id": {
            "memory_kib": defaults.argon2_memory_kib,
            "time_cost": defaults.argon2_time_cost,
            "parallelism": defaults.argon2_parallelism,
        },
        "requests_per_level": per_level,
        "target_login_cost_ratio": 1.25,
        **results,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
