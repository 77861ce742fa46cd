"""Fixtures of the security proofs: a world of real tenants on all four services."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.security.world import World, build_world
from tests.support.databases import Database
from tests.support.nats import NatsServer


@pytest.fixture
async def world(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> AsyncIterator[World]:
    async for built in build_world(nats_server.url, database, tmp_path / "var"):
        yield built
