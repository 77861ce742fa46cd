"""Fixtures: a real nats-server per test, SQLite and (when reachable) PostgreSQL, the services."""

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

import deploy.migrations  # noqa: F401  (every service registers its migrations)
from shared.bus_access import bus_users
from tests.support.databases import (
    Database,
    PostgresRun,
    give_back,
    postgres_unavailable_reason,
    skip_or_fail_without_postgres,
    sqlite_database,
)
from tests.support.nats import NatsServer
from tests.support.platform import Platform
from tests.support.watchdog import watchdog

# Secret hygiene: every test's captured output and every event are scanned for secrets.
pytest_plugins = ["tests.support.secrets_scan"]


# The longest files first: with one file per worker at a time (``--dist loadfile``), a browser
# journey of a minute left for the end runs on one worker while the other has nothing to do.
LONGEST_FIRST = ("tests/console/", "tests/faults/", "tests/security/", "tests/e2e/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files in :data:`LONGEST_FIRST` order, the rest after them as collected (a stable sort,
    the same on every worker, as xdist requires)."""

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        ranks = [n for n, folder in enumerate(LONGEST_FIRST) if path.startswith(folder)]
        return ranks[0] if ranks else len(LONGEST_FIRST)

    items.sort(key=rank)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """Setup, call and teardown together: print the asyncio tasks of a test about to time out."""
    marker = item.get_closest_marker("timeout")
    configured = item.config.getini("timeout")
    limit = float(marker.args[0]) if marker and marker.args else float(configured)
    with watchdog(max(limit - 10.0, limit * 0.75), item.nodeid):
        return (yield)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server with one user per service and their permissions (shared/bus_access.py,
    TOM-T5): ``url`` logs in as the operator, for what a test does on the bus itself; the
    ``platform`` fixture's services each log in as their own user."""
    passwords = {user: secrets.token_hex(16) for user in bus_users()}
    server = NatsServer(tmp_path / "nats", passwords=passwords).start()
    yield server
    from tests.support.secrets_scan import scan_events  # the plugin registered above

    try:
        hits = scan_events(server.url)
    finally:
        # Killed, not stopped: its store is thrown away with the test's directory, and a clean
        # stop waits about 0.1 s for JetStream to flush it (most tests start a server: 0.1 s each).
        server.stop(kill=True)
    assert not hits, "secret hygiene: a secret in an event\n" + "\n".join(map(str, hits[:20]))


@pytest.fixture(scope="session")
def postgres_run() -> Iterator[PostgresRun | str]:
    """The run's PostgreSQL database, or the reason it is unavailable."""
    reason = postgres_unavailable_reason()
    if reason is not None:
        yield reason
        return
    run = PostgresRun()
    run.create()
    yield run
    run.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database(
    backend: str, tmp_path: Path, postgres_run: PostgresRun | str
) -> Iterator[Callable[[str], Database]]:
    """A factory: service name to that service's fresh database for this test. On PostgreSQL
    the migrated copies it was filled with are reset and kept for the next tests at its end
    (``give_back``), after the services that used them stopped."""
    if backend == "sqlite":
        yield lambda service: sqlite_database(tmp_path, service)
        return
    if isinstance(postgres_run, str):
        skip_or_fail_without_postgres(postgres_run)
    assert isinstance(postgres_run, PostgresRun)
    handed: list[str] = []

    def fresh(service: str) -> Database:
        database = postgres_run.database(service)
        handed.append(str(database.schema))
        return database

    yield fresh
    asyncio.run(give_back(handed, postgres_run.superuser_dsn))


@pytest.fixture
async def platform(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> AsyncIterator[Platform]:
    """Agreements, audit and notifier in-process on a real nats-server and real databases."""
    running = Platform(
        nats_url=nats_server.url,
        database=database,
        var_dir=tmp_path / "var",
        nats_passwords=nats_server.passwords,
    )
    await running.start()
    yield running
    await running.stop()
