"""The async database engine: SQLite (aiosqlite) embedded, PostgreSQL (asyncpg) in production."""

import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite
from sqlalchemy import Column, DateTime, Table, event, exc, inspect, text
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, SQLModel

from shared.moments import as_utc

if TYPE_CHECKING:
    from shared.settings import ServiceSettings


def moment(nullable: bool = False) -> Any:
    """A model field for a moment in time, stored with its offset (``TIMESTAMPTZ``)."""
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite://`` URLs and pick the async driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


class SqliteConnection(aiosqlite.Connection):
    """aiosqlite's connection, whose worker thread is stopped once, however often it is asked.

    A task cancelled in the middle of a statement has its connection invalidated; SQLAlchemy
    then closes it gracefully under a shield and, if another cancel lands meanwhile, stops it
    (force close). aiosqlite 0.22.1's ``close()`` ends by queueing a second stop behind the one
    that already ended the worker thread, and awaits it forever: the event loop then hangs when
    it ends. A stop asked for when one is queued already returns nothing to wait for; the worker
    ends with the first one.
    """

    def stop(self) -> Any:
        if not self._running:
            return None
        return super().stop()


def _sqlite_creator(parsed: URL, connect_args: dict[str, Any]) -> Any:
    """Opens :class:`SqliteConnection` with the arguments SQLAlchemy's dialect would use."""
    args, params = SQLiteDialect_aiosqlite().create_connect_args(parsed)
    params = {**params, **connect_args}

    def connect() -> SqliteConnection:
        connection = SqliteConnection(partial(sqlite3.connect, *args, **params), 64)
        connection._thread.daemon = True  # as SQLAlchemy does: never keeps the process alive
        return connection

    return connect


def service_engine(settings: "ServiceSettings") -> AsyncEngine:
    """The engine a service runs on: its database, schema and pool from ``settings``."""
    return create_engine(
        settings.database_url,
        schema=settings.database_schema,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )


def create_engine(
    url: str,
    *,
    schema: str | None = None,
    echo: bool = False,
    pool_size: int = 10,
    max_overflow: int = 5,
) -> AsyncEngine:
    """An engine for one service's database; ``schema`` sets the PostgreSQL search path.

    On PostgreSQL the pool keeps ``pool_size`` connections and opens up to ``max_overflow`` more
    for a burst, each closed again when it is handed back (SQLAlchemy's default of 5 and 10
    opened and closed a server connection per transaction whenever more than five were in
    flight: measured in ``bench.fullstack``, a plain read service did 228 reads/s on 5 and 366 on
    20, and PostgreSQL spent its CPU starting backends)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, echo=echo, async_creator=_sqlite_creator(parsed, {"timeout": 30})
        )
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    # A server connection may have dropped (a file next to the process needs no liveness ping):
    # one that sat idle is pinged before use, one handed back moments ago is not (a ping per
    # checkout was a round trip per transaction); none lives longer than RECYCLE_SECONDS.
    engine = create_async_engine(
        url,
        echo=echo,
        connect_args=connect_args,
        pool_recycle=RECYCLE_SECONDS,
        pool_size=pool_size,
        max_overflow=max_overflow,
    )
    event.listen(engine.sync_engine.pool, "checkin", _checked_in)
    event.listen(engine.sync_engine.pool, "checkout", partial(_ping_if_idle, engine.dialect))
    return engine


IDLE_BEFORE_PING = 5.0
"""Seconds a pooled PostgreSQL connection may sit unused and still be trusted without a ping."""
RECYCLE_SECONDS = 1800


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["pactum_checked_in"] = time.monotonic()


def _ping_if_idle(dialect: Any, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """``pool_pre_ping`` for a connection that sat idle: a dead one is discarded and the pool
    connects again (``DisconnectionError``). A fresh connection, or one in use moments ago, is
    trusted; if the server dropped it meanwhile, the statement fails with a disconnect and
    SQLAlchemy discards the whole pool's older connections."""
    checked_in = record.info.get("pactum_checked_in")
    if checked_in is None or time.monotonic() - checked_in < IDLE_BEFORE_PING:
        return
    try:
        alive = dialect.do_ping(dbapi_connection)
    except Exception:
        alive = False
    if not alive:
        raise exc.DisconnectionError("the pooled connection did not answer its ping")


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@event.listens_for(SQLModel, "load", propagate=True)
def _utc_on_load(target: Any, _context: Any) -> None:
    _utc(target)


@event.listens_for(SQLModel, "refresh", propagate=True)
def _utc_on_refresh(target: Any, _context: Any, _attributes: Any) -> None:
    _utc(target)


def _utc(target: Any) -> None:
    """Every moment is written in UTC; SQLite gives it back without its offset. Loaded rows get it
    back, so an API never answers a date-time without one (found by API fuzzing)."""
    state = inspect(target)
    for key, value in state.dict.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            set_committed_value(target, key, as_utc(value))


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_tables(
    engine: AsyncEngine, tables: Sequence[Table], *, schema: str | None = None
) -> None:
    """Create this service's tables if they are missing (idempotent, safe on every start)."""
    async with engine.begin() as connection:
        if schema and not is_sqlite(engine):
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await connection.run_sync(SQLModel.metadata.create_all, tables=list(tables))


async def is_reachable(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on any exception."""
    async with sessions() as session, session.begin():
        yield session
