"""Databases for the tests: a fresh SQLite file, or a fresh PostgreSQL schema per service and test.

PostgreSQL is used when reachable at ``PACTUM_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``); otherwise its tests are skipped, unless
``REQUIRE_POSTGRES=1``, which turns an unreachable server into a failure.
"""

import asyncio
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get(
    "PACTUM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


@dataclass(frozen=True)
class Database:
    url: str
    schema: str | None = None


async def _postgres_reachable() -> str | None:
    import asyncpg

    try:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=3)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


def postgres_unavailable_reason() -> str | None:
    return asyncio.run(_postgres_reachable())


class PostgresRun:
    """One database for the whole test run, dropped at the end; a schema per service per test."""

    def __init__(self) -> None:
        self.name = f"pactum_test_{uuid.uuid4().hex[:10]}"
        self.url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{self.name}"

    async def _admin(self, sql: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    def create(self) -> None:
        asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))

    def drop(self) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    def database(self, service: str) -> Database:
        return Database(url=self.url, schema=f"t{uuid.uuid4().hex[:8]}_{service}")


def sqlite_database(directory: Path, service: str) -> Database:
    return Database(url=f"sqlite+aiosqlite:///{directory / f'{service}.db'}")


def skip_or_fail_without_postgres(reason: str) -> None:
    message = f"PostgreSQL unreachable at {POSTGRES_URL}: {reason}"
    if REQUIRE_POSTGRES:
        pytest.fail(message + " (REQUIRE_POSTGRES=1)", pytrace=False)
    pytest.skip(message)
