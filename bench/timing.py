"""Do identity's unauthenticated answers take as long whatever the account? (issue 18.2)

An outside test found a password reset for a known address answering about 35 % slower than for
an unknown one (median 11.7 ms against 8.5 ms over 200 interleaved pairs): an account oracle
(TOM-T2d, ASVS 6.4.1). This section measures it the way that test did, over real HTTP (uvicorn on
a loopback port, keep-alive), for every unauthenticated route that names an account or a link:

- ``POST /password-reset``: a known, active address against an unknown one;
- ``POST /login``: a known address with a wrong password against an unknown address;
- ``POST /invitations/accept`` and ``POST /password-reset/complete``: a used token against one
  that never existed (a token's secret is the credential, so there is no account to guess, but
  the answer must not tell a spent link from a made-up one either).

Each pair is sent back to back in a random order, pairs interleaved, so both sides see the same
machine. The test: the two medians within 5 % of each other (``passed``). Beside it, a sign test
on the paired differences (exact binomial, two-sided) shows whether one side is systematically
slower even when the medians are close.

    python -m bench.timing [--pairs N] [--backend sqlite|postgres]

Exits 1 when any route fails the test. The default (200 pairs per route, SQLite) takes seconds.
"""

import argparse
import asyncio
import json
import math
import random
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bench.identity import POSTGRES_URL, _drop_schema, _postgres_reachable
from bench.natsserver import NatsServer
from bench.probes import load_average
from services.identity import organisations
from services.identity.authority import Authority
from services.identity.domain import MfaRequirement, OrganisationKind
from services.identity.main import create_app
from services.identity.settings import IdentitySettings
from shared.logging import configure_logging

PASSWORD = "a long benchmark passphrase"  # noqa: S105 (a throw-away benchmark user)
TOLERANCE = 0.05  # the medians may differ by at most 5 %
USERS = 6
LOGIN_SHARE = 4  # logins hash with argon2id (about 0.1 s each): a quarter of the pairs
Request = Callable[[], Awaitable[httpx.Response]]


def sign_test(differences: list[float]) -> float:
    """Two-sided exact sign test: the chance of a split at least this uneven if neither side of
    each pair were slower more often than the other."""
    above = sum(1 for d in differences if d > 0)
    below = sum(1 for d in differences if d < 0)
    n, k = above + below, min(above, below)
    if n == 0:
        return 1.0
    tail: float = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


async def compare(pairs: int, one: Request, other: Request, rng: random.Random) -> dict[str, Any]:
    """``pairs`` interleaved pairs; each side's median, their ratio and the verdict."""
    times: dict[str, list[float]] = {"one": [], "other": []}
    statuses: dict[str, set[int]] = {"one": set(), "other": set()}
    for _ in range(pairs):
        order = [("one", one), ("other", other)]
        rng.shuffle(order)
        for name, request in order:
            started = time.perf_counter()
            response = await request()
            times[name].append(time.perf_counter() - started)
            statuses[name].add(response.status_code)
    one_median = statistics.median(times["one"]) * 1000
    other_median = statistics.median(times["other"]) * 1000
    ratio = one_median / other_median
    differences = [a - b for a, b in zip(times["one"], times["other"], strict=True)]
    return {
        "median_ms": [round(one_median, 3), round(other_median, 3)],
        "ratio": round(ratio, 4),
        "sign_test_p": round(sign_test(differences), 4),
        "statuses": [sorted(statuses["one"]), sorted(statuses["other"])],
        "passed": abs(ratio - 1) <= TOLERANCE,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _people(app: Any, http: httpx.AsyncClient) -> tuple[list[str], list[str]]:
    """A few active users (their addresses) and their used invitation tokens."""
    authority: Authority = app.state.authority
    runtime = app.state.runtime
    async with runtime.sessions() as session, session.begin():
        organisation = await organisations.create_organisation(
            session=session,
            authority=authority,
            name="Timing",
            kind=OrganisationKind.controller,
            mfa=MfaRequirement.none,
        )
        # A failed login counts toward the lockout: keep the run of wrong passwords (spread over
        # the users) from locking a known account (a locked one answers like an unknown one).
        organisation.lock_threshold = 100
        links = [
            await organisations.create_first_admin(
                session=session,
                authority=authority,
                organisation_id=organisation.id,
                email=f"user{number}@timing.example",
            )
            for number in range(USERS)
        ]
    tokens = [link.split("#token=", 1)[1] for link in links]
    for token in tokens:
        accepted = await http.post(
            "/invitations/accept", json={"token": token, "password": PASSWORD}
        )
        accepted.raise_for_status()
    return [f"user{number}@timing.example" for number in range(USERS)], tokens


async def _measure(work: Path, backend: str, pairs: int) -> dict[str, Any]:
    nats = NatsServer(work / "nats").start()
    schema = f"bench_timing_{uuid.uuid4().hex[:8]}" if backend == "postgres" else None
    port = _free_port()
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
    configure_logging(service="identity", level="WARNING")
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            known, used = await _people(app, http)
            turn = iter(range(10**9))

            def known_address() -> str:
                return known[next(turn) % len(known)]

            rng = random.Random(18)  # the order within a pair, not a secret

            def post(path: str, body: Callable[[], dict[str, Any]]) -> Request:
                return lambda: http.post(path, json=body())

            def fresh_token() -> str:
                return uuid.uuid4().hex + uuid.uuid4().hex

            routes = {
                "password_reset": (
                    post("/password-reset", lambda: {"email": known_address()}),
                    post(
                        "/password-reset", lambda: {"email": f"{uuid.uuid4().hex}@timing.example"}
                    ),
                ),
                "login": (
                    post(
                        "/login",
                        lambda: {"email": known_address(), "password": "wrong " + PASSWORD},
                    ),
                    post(
                        "/login",
                        lambda: {"email": f"{uuid.uuid4().hex}@timing.example", "password": "x"},
                    ),
                ),
                "invitation_accept": (
                    post("/invitations/accept", lambda: {"token": used[1], "password": PASSWORD}),
                    post(
                        "/invitations/accept",
                        lambda: {"token": fresh_token(), "password": PASSWORD},
                    ),
                ),
                "reset_complete": (
                    post(
                        "/password-reset/complete",
                        lambda: {"token": used[2], "password": PASSWORD},
                    ),
                    post(
                        "/password-reset/complete",
                        lambda: {"token": fresh_token(), "password": PASSWORD},
                    ),
                ),
            }
            results: dict[str, Any] = {}
            for name, (one, other) in routes.items():
                count = max(10, pairs // LOGIN_SHARE) if name == "login" else pairs
                await compare(max(5, count // 10), one, other, rng)  # warm-up
                results[name] = await compare(count, one, other, rng)
        return results
    finally:
        server.should_exit = True
        await serving
        nats.stop()
        if schema is not None:
            await _drop_schema(schema)


def run(*, pairs: int = 200, backends: tuple[str, ...] = ("sqlite",)) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for backend in backends:
        if backend == "postgres" and not asyncio.run(_postgres_reachable()):
            results[backend] = {"skipped": f"PostgreSQL unreachable at {POSTGRES_URL}"}
            continue
        with tempfile.TemporaryDirectory(prefix="pactum-bench-timing-") as directory:
            before = load_average()
            measured = asyncio.run(_measure(Path(directory), backend, pairs))
            results[backend] = {"load_average": [before, load_average()], **measured}
    return {
        "pairs": pairs,
        "tolerance": TOLERANCE,
        "sides": "[known account or used token, unknown]",
        **results,
    }


def passed(report: dict[str, Any]) -> bool:
    return all(
        route["passed"]
        for backend in report.values()
        if isinstance(backend, dict)
        for route in backend.values()
        if isinstance(route, dict) and "passed" in route
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.timing")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    arguments = parser.parse_args()
    chosen = ("sqlite", "postgres") if arguments.backend == "both" else (arguments.backend,)
    report = run(pairs=arguments.pairs, backends=chosen)
    print(json.dumps(report, indent=2))
    sys.exit(0 if passed(report) else 1)
