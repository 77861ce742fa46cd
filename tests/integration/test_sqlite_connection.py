"""Stopping the service never hangs on an SQLite connection: a task cancelled twice in the middle
of a statement (once by the shutdown, once more while SQLAlchemy closes the invalidated
connection) leaves nothing behind that never finishes, and a connection stopped while it closes
still closes (aiosqlite 0.22.1 otherwise awaits a second stop of a worker that already ended).

Real aiosqlite worker threads on a real SQLite file; the waits bound a hang, they time nothing.
"""

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from shared.database import SqliteConnection, create_engine

# About a second of SQLite's own work: the cancels land while it runs on the worker thread.
SLOW_STATEMENT = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
    "SELECT count(*) FROM n"
)
HANG = 10.0  # seconds after which something that should have finished is taken to hang


async def test_a_statement_cancelled_twice_leaves_no_close_that_never_ends(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'service.db'}")
    before = asyncio.all_tasks()
    threads_before = set(threading.enumerate())

    async def statement() -> None:
        async with engine.connect() as connection:
            await connection.execute(text(SLOW_STATEMENT))

    task = asyncio.create_task(statement())
    await asyncio.sleep(0.2)
    task.cancel()  # the shutdown's cancel: SQLAlchemy invalidates and closes under a shield
    await asyncio.sleep(0.01)
    task.cancel()  # a second one during that close: SQLAlchemy stops the connection as well
    await asyncio.wait([task], timeout=HANG)
    await engine.dispose()
    left = [t for t in asyncio.all_tasks() - before if t is not asyncio.current_task()]
    _, hanging = await asyncio.wait(left, timeout=HANG) if left else (set(), set())

    # The worker thread still runs the cancelled statement to its end, then hands its result to
    # this loop: it must be done before the loop closes, or it raises in its thread (a warning
    # pinned on whichever test runs next).
    started = [t for t in set(threading.enumerate()) - threads_before if t.daemon or t.is_alive()]
    for thread in started:
        await asyncio.to_thread(thread.join, HANG)

    assert task.cancelled()
    assert not hanging, f"never finished: {hanging}"
    assert not [t for t in started if t.is_alive()], "a worker thread never ended"


@pytest.mark.parametrize("order", ["close_then_stop", "stop_then_close"])
async def test_a_connection_stopped_while_it_closes_still_closes(order: str) -> None:
    connection = await SqliteConnection(lambda: sqlite3.connect(":memory:"), 64)
    if order == "close_then_stop":
        closing = asyncio.ensure_future(connection.close())
        await asyncio.sleep(0)
        connection.stop()
    else:
        connection.stop()
        closing = asyncio.ensure_future(connection.close())

    done, _ = await asyncio.wait([closing], timeout=HANG)

    assert closing in done
    if order == "stop_then_close":
        # A close after a stop ends either way: aiosqlite answers ValueError once its worker has
        # taken the stop (SQLAlchemy's close() takes that as closed), or closes as usual when
        # the close reaches the worker first; which one is up to the worker thread's timing.
        assert closing.exception() is None or isinstance(closing.exception(), ValueError)
    else:
        assert closing.exception() is None
    connection._thread.join(timeout=HANG)
    assert not connection._thread.is_alive()


async def test_the_engine_opens_its_sqlite_connections_as_configured(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'nested' / 'service.db'}")
    try:
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            busy = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
    finally:
        await engine.dispose()
    assert isinstance(raw, SqliteConnection)
    assert (journal, busy) == ("wal", 30000)
