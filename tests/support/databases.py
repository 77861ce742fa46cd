"""Databases for the tests: a fresh SQLite file, or a fresh PostgreSQL schema per service and test.

PostgreSQL is used when reachable at ``PACTUM_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``); otherwise its tests are skipped, unless
``REQUIRE_POSTGRES=1``, which turns an unreachable server into a failure.

A service started by the tests' ``Platform`` gets a copy of its database migrated to head
(:func:`migrated_copy`) instead of running its dozen alembic revisions again in every test: each
test process migrates one template per service and backend, the way the service does on
start-up, and copies it (SQLite: the file, with SQLite's backup API; PostgreSQL: ``pg_dump`` of
the template schema, replayed under the test's schema name). The copy holds exactly what the
migrations made, ``alembic_version`` at head included, so the service's own upgrade on start-up
finds nothing to do. Tests that call ``database(service)`` themselves (the migration tests) still
get an empty database.

On PostgreSQL, building a copy is DDL, 0.06 to 0.2 s per service; the ``database`` fixture
therefore gives its copies back when its test ends (:func:`give_back`): each is renamed, checked
to be still in the template's shape, emptied and refilled with the template's rows and sequence
positions, and the next copy of that service in the same test process is that schema renamed to
the new test's name (a few milliseconds). A copy whose shape a test changed is never given again.

On PostgreSQL each service has the two roles of production (shared/database_roles.py), made once
per run with the run's database and dropped with it: ``<run>_<service>_owner`` creates the
service's schemas and migrates them (``Database.url``), ``<run>_<service>`` is what the service
runs as (``Database.service_url``), granted its rights by each upgrade. The server trusts
loopback logins, so the roles have no passwords.
"""

import asyncio
import atexit
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    import asyncpg

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

    @property
    def superuser_dsn(self) -> str:
        """The run's database as the superuser the run was made with (asyncpg's form)."""
        return _postgres_dsn(self.url)

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


# Template name -> a migrated SQLite file, or the SQL that rebuilds a migrated PostgreSQL schema
# under the placeholder schema name; one per test process (an xdist worker has its own).
_TEMPLATES: dict[tuple[str, str], Path | str] = {}
_TEMPLATE_DIRECTORY: list[Path] = []
_UNCOPIABLE: dict[str, str] = {}  # PostgreSQL URL -> why no template (then services migrate)
PLACEHOLDER = "__pactum_template_schema__"
# PostgreSQL: (URL, service) -> the template's rows and sequence positions (pg_dump --data-only),
# what a used copy is reset to; the copies a test may give back, by schema; the copies given back.
_TEMPLATE_ROWS: dict[tuple[str, str], str] = {}
_COPIES: dict[str, tuple[str, str]] = {}
_SHAPES: dict[tuple[str, str], str] = {}
_SPARE: dict[tuple[str, str], list[str]] = {}


@atexit.register
def _remove_templates() -> None:
    for directory in _TEMPLATE_DIRECTORY:
        shutil.rmtree(directory, ignore_errors=True)


def _postgres_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _migrate(database: Database, service: str) -> None:
    from shared.database import create_engine
    from shared.migrations import upgrade

    engine = create_engine(database.url, schema=database.schema)
    try:
        await upgrade(engine, service, schema=database.schema)
    finally:
        await engine.dispose()


async def _sqlite_template(service: str) -> Path:
    key = ("sqlite", service)
    if key not in _TEMPLATES:
        if not _TEMPLATE_DIRECTORY:
            _TEMPLATE_DIRECTORY.append(Path(tempfile.mkdtemp(prefix="pactum-templates-")))
        path = _TEMPLATE_DIRECTORY[0] / f"{service}.db"
        await _migrate(Database(url=f"sqlite+aiosqlite:///{path}"), service)
        _TEMPLATES[key] = path
    template = _TEMPLATES[key]
    assert isinstance(template, Path)
    return template


def _copy_sqlite(template: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    source, copy = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


async def _pg_dump(pg_dump: str, *options: str) -> "subprocess.CompletedProcess[str]":
    """``pg_dump`` of one schema (the last two options: the schema and the database)."""
    *flags, schema, dsn = options
    command = [pg_dump, *flags, "--schema", schema, dsn]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, check=False
    )


async def _postgres_template(database: Database, service: str) -> str | None:
    """The SQL that builds the migrated schema under :data:`PLACEHOLDER`, or None (no pg_dump)."""
    key = (database.url, service)
    if key in _TEMPLATES:
        template = _TEMPLATES[key]
        assert isinstance(template, str)
        return template
    if database.url in _UNCOPIABLE:
        return None
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        _UNCOPIABLE[database.url] = "no pg_dump on PATH"
        return None
    schema = f"template_{uuid.uuid4().hex[:10]}_{service}"
    await _migrate(Database(url=database.url, schema=schema), service)
    dsn = _postgres_dsn(database.url)
    dumped = await _pg_dump(pg_dump, "--schema-only", "--no-owner", "--no-privileges", schema, dsn)
    data = await _pg_dump(pg_dump, "--data-only", "--inserts", schema, dsn)
    if dumped.returncode or data.returncode:  # e.g. a pg_dump older than the server
        _UNCOPIABLE[database.url] = (dumped.stderr or data.stderr).strip()
        return None

    # psql meta-commands (pg_dump's ``\restrict``) are not SQL; every statement names the schema.
    def sql(dump: str) -> str:
        lines = dump.splitlines()
        return "\n".join(line for line in lines if not line.startswith("\\")).replace(
            schema, PLACEHOLDER
        )

    _TEMPLATES[key] = template = sql(dumped.stdout) + "\n" + sql(data.stdout)
    _TEMPLATE_ROWS[key] = sql(data.stdout)
    return template


async def migrated_copy(database: Database, service: str) -> None:
    """Fill a service's empty test database with a copy of its migrated template.

    A database that already exists is left as it is (a service restarted within a test keeps
    its rows); a service without migrations, or PostgreSQL without a usable ``pg_dump``, is left
    to the service, which migrates on start-up as it does in production.
    """
    from shared.migrations import migrations_dir

    if migrations_dir(service) is None:
        return
    url = make_url(database.url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return
        target = Path(url.database)
        if not await asyncio.to_thread(target.exists):
            await asyncio.to_thread(_copy_sqlite, await _sqlite_template(service), target)
        return
    if database.schema is None or not database.schema.isidentifier():
        return
    import asyncpg

    connection = await asyncpg.connect(_postgres_dsn(database.url), timeout=10)
    try:
        exists = await connection.fetchval(
            "SELECT 1 FROM pg_namespace WHERE nspname = $1", database.schema
        )
        if exists:
            return
        key = (database.url, service)
        spare = _SPARE.get(key)
        if spare:  # a copy an earlier test gave back, reset: renamed, it is this test's
            await connection.execute(f'ALTER SCHEMA "{spare.pop()}" RENAME TO "{database.schema}"')
            _COPIES[database.schema] = key
            return
        template = await _postgres_template(database, service)
        if template is not None:
            async with connection.transaction():
                await connection.execute(template.replace(PLACEHOLDER, database.schema))
            if key not in _SHAPES:
                _SHAPES[key] = await _shape(connection, database.schema)
            _COPIES[database.schema] = key
    finally:
        await connection.close()


# What a schema is made of, its own name left out: tables and their columns, indexes,
# constraints, triggers and functions. A copy given back is reused only in the template's shape.
_SHAPE = """
SELECT md5(coalesce(string_agg(replace(part, $1, '~'), '|' ORDER BY part), '')) FROM (
  SELECT 'relation ' || c.relname || ' ' || c.relkind::text AS part
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1
  UNION ALL
  SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
    || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE n.nspname = $1 AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1
  UNION ALL
  SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(o.oid) FROM pg_constraint o
  JOIN pg_namespace n ON n.oid = o.connamespace WHERE n.nspname = $1
  UNION ALL
  SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND NOT t.tgisinternal
  UNION ALL
  SELECT 'function ' || p.proname || ' ' || md5(p.prosrc) FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1
) AS parts
"""


async def _shape(connection: "asyncpg.Connection", schema: str) -> str:
    return str(await connection.fetchval(_SHAPE, schema))


async def give_back(schemas: list[str], url: str) -> None:
    """Reset the copies among ``schemas`` (a finished test's, its services stopped) to the
    template's rows and keep them for the next tests: a copy takes 0.06 to 0.2 s of DDL per
    service to build, a reset a few milliseconds. Renamed first, so that nothing still holding
    the test's schema name reaches it; one whose shape a test changed (a migration, a dropped
    trigger) is not kept. Rights need no reset: every service start grants them afresh. Runs as
    ``url``, a superuser: the reset passes the append-only triggers (replica mode)."""
    import asyncpg

    copies = [(schema, _COPIES.pop(schema)) for schema in schemas if schema in _COPIES]
    if not copies:
        return
    connection = await asyncpg.connect(url, timeout=10)
    try:
        for schema, key in copies:
            spare = f"spare_{uuid.uuid4().hex[:10]}_{key[1]}"
            try:
                async with connection.transaction():
                    await connection.execute("SET LOCAL lock_timeout = '2s'")
                    await connection.execute("SET LOCAL session_replication_role = replica")
                    await connection.execute(f'ALTER SCHEMA "{schema}" RENAME TO "{spare}"')
                    if await _shape(connection, spare) != _SHAPES.get(key):
                        raise _Reshaped
                    tables = await connection.fetch(
                        "SELECT tablename FROM pg_tables WHERE schemaname = $1", spare
                    )
                    for (table,) in tables:  # names from the catalogue, not from a caller
                        await connection.execute(f'DELETE FROM "{spare}"."{table}"')  # noqa: S608
                    await connection.execute(_TEMPLATE_ROWS[key].replace(PLACEHOLDER, spare))
            except (_Reshaped, asyncpg.PostgresError):
                continue  # left as the test left it; the run's database is dropped at its end
            _SPARE.setdefault(key, []).append(spare)
    finally:
        await connection.close()


class _Reshaped(Exception):
    """A copy whose shape a test changed."""
