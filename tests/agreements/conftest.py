"""Fixtures of the agreements tests: the two parties of an agreement, on the smallest platform
the test needs (the agreements service alone, unless the test asks for ``platform`` to read the
audit log or the notifier's receipts)."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.agreements.contract import Parties
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform


@pytest.fixture
async def solo(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> AsyncIterator[Platform]:
    """The agreements service alone, on a real nats-server and a real database."""
    running = Platform(nats_url=nats_server.url, database=database, var_dir=tmp_path / "var")
    await running.start("agreements")
    yield running
    await running.stop()


@pytest.fixture
def running(request: pytest.FixtureRequest, database: Callable[[str], Database]) -> Platform:
    """The full platform when the test also uses ``platform``, else the agreements service alone.

    ``database`` is named so that the test is parametrised over SQLite and PostgreSQL.
    """
    name = "platform" if "platform" in request.fixturenames else "solo"
    platform = request.getfixturevalue(name)
    assert isinstance(platform, Platform)
    return platform


@pytest.fixture
async def parties(running: Platform) -> Parties:
    """A controller and a processor the agreements service knows (from identity's events)."""
    known = Parties(running)
    await known.introduce()
    return known
