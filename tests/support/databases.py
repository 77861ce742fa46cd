"""Databases for the tests: a fresh SQLite file, or a fresh PostgreSQL schema per service and test.

PostgreSQL is used when reachable at ``PACTUM_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``); otherwise its tests are skipped, unless
``REQUIRE_POSTGRES=1``, which turns an unreachable server into a failure.

On PostgreSQL each service has the two roles of production (shared/database_roles.py), made once
per run with the run's database and dropped with it: ``<run>_<service>_owner`` creates the
service's schemas and migrates them (``Database.url``), ``<run>_<service>`` is what the service
runs as (``Database.service_url``), granted its rights by each upgrade. The server trusts
loopback logins, so the roles have no passwords.
"""

import asyncio
import os
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get(
    "PACTUM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


SERVICES = ("identity", "agreements", "audit", "notifier", "console")


@dataclass(frozen=True)
class Database:
    """``url`` owns and migrates the database (the migration role); ``service_url`` is the
    service's own least-privilege role, where there is one (PostgreSQL), else ``url``."""

    url: str
    schema: str | None = None
    runtime_url: str | None = None

    @property
    def service_url(self) -> str:
        return self.runtime_url or self.url


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

    def role(self, service: str, *, owner: bool = False) -> str:
        return f"{self.name}_{service}_owner" if owner else f"{self.name}_{service}"

    def _as(self, role: str) -> str:
        """The run's database URL, logging in as ``role``."""
        scheme, rest = self.url.split("://", 1)
        return f"{scheme}://{role}@{rest.rpartition('@')[2]}"

    async def _admin(self, *statements: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    def create(self) -> None:
        """The run's database and two roles per service: the owners may create schemas."""
        asyncio.run(self._drop_orphans())
        statements = [f'CREATE DATABASE "{self.name}"']
        for service in SERVICES:
            owner, runtime = self.role(service, owner=True), self.role(service)
            statements += [
                f'CREATE ROLE "{owner}" LOGIN',
                f'CREATE ROLE "{runtime}" LOGIN',
                f'GRANT CREATE ON DATABASE "{self.name}" TO "{owner}"',
            ]
        asyncio.run(self._admin(*statements))

    async def _drop_orphans(self) -> None:
        """Roles of earlier runs whose database is gone (a run stopped between its database's
        drop and its roles'): a run makes its database before its roles, so a role without one
        belongs to no run in progress."""
        import asyncpg

        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            orphans = await connection.fetch(
                "SELECT rolname FROM pg_roles r WHERE rolname LIKE 'pactum\\_test\\_%' AND NOT"
                " EXISTS (SELECT FROM pg_database d WHERE r.rolname LIKE d.datname || '\\_%')"
            )
            for (role,) in orphans:
                with suppress(asyncpg.PostgresError):  # another run may drop it at once
                    await connection.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await connection.close()

    def drop(self) -> None:
        """The database first: its objects are all the roles owned, so they drop after it."""
        roles = [self.role(s, owner=owner) for s in SERVICES for owner in (True, False)]
        asyncio.run(
            self._admin(
                f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                *(f'DROP ROLE IF EXISTS "{role}"' for role in roles),
            )
        )

    def database(self, service: str) -> Database:
        """A fresh schema for ``service``, owned by its migration role once migrated (by the
        superuser for a name that is no service's, such as one shared table's test)."""
        schema = f"t{uuid.uuid4().hex[:8]}_{service}"
        if service not in SERVICES:
            return Database(url=self.url, schema=schema)
        return Database(
            url=self._as(self.role(service, owner=True)),
            schema=schema,
            runtime_url=self._as(self.role(service)),
        )


def sqlite_database(directory: Path, service: str) -> Database:
    return Database(url=f"sqlite+aiosqlite:///{directory / f'{service}.db'}")


def skip_or_fail_without_postgres(reason: str) -> None:
    message = f"PostgreSQL unreachable at {POSTGRES_URL}: {reason}"
    if REQUIRE_POSTGRES:
        pytest.fail(message + " (REQUIRE_POSTGRES=1)", pytrace=False)
    pytest.skip(message)
