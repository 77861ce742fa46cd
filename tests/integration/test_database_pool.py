"""The PostgreSQL pool pings only a connection that sat idle (issue 17 item 4): one handed back
moments ago goes straight to work (a ping per checkout was a round trip per transaction, two per
login), and one the server dropped while it was idle is replaced before use, as
``pool_pre_ping`` did."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import database
from shared.database import create_engine
from tests.support.databases import (
    POSTGRES_URL,
    PostgresRun,
    skip_or_fail_without_postgres,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
async def engine(postgres_run: PostgresRun | str) -> AsyncIterator[AsyncEngine]:
    if isinstance(postgres_run, str):
        skip_or_fail_without_postgres(postgres_run)
    made = create_engine(POSTGRES_URL)
    yield made
    await made.dispose()


class Pings:
    """How often the dialect pings (SQLAlchemy's own ``do_ping``, counted, still called)."""

    def __init__(self, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        dialect = engine.dialect
        real = dialect.do_ping

        def counted(dbapi_connection: Any) -> bool:
            self.count += 1
            return real(dbapi_connection)

        monkeypatch.setattr(dialect, "do_ping", counted)


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_used_moments_ago_is_not_pinged_again(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = Pings(engine, monkeypatch)
    first = await _backend_pid(engine)
    for _ in range(5):
        assert await _backend_pid(engine) == first  # the same pooled connection
    assert pings.count == 0


async def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "IDLE_BEFORE_PING", 0.2)
    pings = Pings(engine, monkeypatch)
    dropped = await _backend_pid(engine)
    killer = create_engine(POSTGRES_URL)
    try:
        async with killer.connect() as connection:
            await connection.execute(text(f"SELECT pg_terminate_backend({dropped})"))
    finally:
        await killer.dispose()
    await asyncio.sleep(0.3)  # idle past the limit
    replaced = await _backend_pid(engine)  # no error: the dead one was pinged and replaced
    assert replaced != dropped
    assert pings.count >= 1
