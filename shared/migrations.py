"""Alembic migrations of each service's database: upgrade on start-up, or by command.

Every service keeps its revisions in ``services/<service>/migrations/versions``; its ``env.py``
names the service's tables and hands over to :func:`run_environment`. The service's
``migrations`` package registers them here (:func:`register`: the directory, the tables, what its
runtime role may do) when it is imported; this module loads no service by name. The service's
``main.py`` imports its own package; ``deploy/migrations.py`` imports all of them for the command
line and the operator's tools. Services upgrade their own
database to head when they start (:func:`upgrade`), so two replicas starting at once must not
both run a revision: on PostgreSQL the upgrade runs in one transaction under an advisory lock
keyed on the database schema, on SQLite under an exclusive lock on a file next to the database.

On PostgreSQL the upgrade may connect as the service's migration role (the owner of its schema
and tables, ``PACTUM_<SERVICE>_MIGRATION_DATABASE_URL``) while the service runs as a role that
owns nothing: each upgrade then grants that role the service's ``RUNTIME_RIGHTS`` in the same
transaction (shared/database_roles.py; :func:`migrate` is what start-up calls).

A database built by ``create_tables`` before migrations existed (``make run``'s ``var/*.db`` of an
earlier version) has the tables but no ``alembic_version``: when its schema already matches the
models it is stamped at head; otherwise it is upgraded from the start, and the first revision
creates only the tables and indexes that are missing (``if_not_exists``), so no row is touched.
(A stamped database skips data-only revisions; one built before migrations existed differs from
the models as soon as any revision changed the schema, so it takes the upgrade path.)

    python -m deploy.migrations audit upgrade       # to head (what start-up does)
    python -m deploy.migrations audit current       # the revision the database is at
    python -m deploy.migrations audit check         # exit 1 when models and database differ
    python -m deploy.migrations audit revision -m "audit: entry size"   # autogenerate a draft
"""

import argparse
import asyncio
import fcntl
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, Table, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.sql.sqltypes import AutoString

from shared.database import create_engine, create_tables, is_sqlite
from shared.database_roles import RuntimeRights, grant_runtime_rights
from shared.idempotency import IdempotentRequest
from shared.inbox import InboxReceipt
from shared.outbox import OutboxMessage

if TYPE_CHECKING:
    from shared.settings import ServiceSettings

log = structlog.get_logger("pactum.migrations")

SERVICES = ("identity", "agreements", "audit", "notifier", "console")
VERSION_TABLE = "alembic_version"

# The tables every service has beside its own: outbox, inbox and idempotent requests.
SHARED_TABLES: tuple[Table, ...] = (
    OutboxMessage.__table__,  # type: ignore[attr-defined]
    InboxReceipt.__table__,  # type: ignore[attr-defined]
    IdempotentRequest.__table__,  # type: ignore[attr-defined]
)


@dataclass(frozen=True)
class ServiceMigrations:
    """What a service's ``migrations`` package registers: where its revisions are, the tables
    they migrate to, and what the service's runtime role may do (shared/database_roles.py)."""

    service: str
    directory: Path
    tables: tuple[Table, ...]
    rights: RuntimeRights = field(default_factory=RuntimeRights)


_registered: dict[str, ServiceMigrations] = {}


def register(
    service: str,
    *,
    directory: Path,
    tables: Sequence[Table],
    rights: RuntimeRights | None = None,
) -> ServiceMigrations:
    """Called by ``services/<service>/migrations/__init__.py`` when it is imported."""
    migrations = ServiceMigrations(service, directory, tuple(tables), rights or RuntimeRights())
    _registered[service] = migrations
    return migrations


def registered(service: str) -> ServiceMigrations | None:
    """The service's registered migrations; None for a service that has none (a test's own).

    One of the platform's services that has not registered is a wiring fault (its ``migrations``
    package was not imported), never a reason to create its tables without revisions.
    """
    migrations = _registered.get(service)
    if migrations is None and service in SERVICES:
        raise LookupError(
            f"the migrations of {service!r} are not registered: import "
            f"services.{service}.migrations first (deploy/migrations.py imports them all)"
        )
    return migrations


def migrations_dir(service: str) -> Path | None:
    """``services/<service>/migrations``, or None when the service has none."""
    migrations = registered(service)
    if migrations is None:
        return None
    return migrations.directory if (migrations.directory / "env.py").is_file() else None


def service_metadata(tables: Sequence[Table]) -> MetaData:
    """The service's own tables and the shared outbox and inbox, apart from other services'."""
    metadata = MetaData()
    for table in (*tables, *SHARED_TABLES):
        if table.name not in metadata.tables:
            table.to_metadata(metadata)
    return metadata


def run_environment(context: Any, tables: Sequence[Table]) -> None:
    """The body of every service's ``env.py``: migrate the connection the runner passes in.

    ``context`` is ``alembic.context`` (a module proxying the current ``EnvironmentContext``).
    """
    connection: Connection | None = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "run migrations through shared.migrations (python -m deploy.migrations <service> ...),"
            " which passes the service's database connection; offline --sql mode is not supported"
        )
    schema: str | None = context.config.attributes.get("schema")
    context.configure(
        connection=connection,
        target_metadata=service_metadata(tables),
        version_table_schema=schema,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER on SQLite copies the table
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _render_item(kind: str, item: Any, _context: Any) -> str | bool:
    """Drafts say ``sa.String`` where sqlmodel says ``AutoString`` (the same DDL)."""
    if kind == "type" and isinstance(item, AutoString):
        return f"sa.String(length={item.length})" if item.length else "sa.String()"
    return False


@cache
def _script(service: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(_config(service))


def _config(service: str, *, stdout: Any = None) -> Config:
    directory = migrations_dir(service)
    if directory is None:
        raise LookupError(f"no migrations for service {service!r} (expected one of {SERVICES})")
    config = Config(stdout=stdout or sys.stdout)
    config.set_main_option("script_location", str(directory))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config


def head(service: str) -> str:
    revision = _script(service).get_current_head()
    assert revision is not None, f"{service} has no revisions"
    return revision


def current_revision(connection: Connection, *, schema: str | None) -> str | None:
    context = MigrationContext.configure(
        connection, opts={"version_table_schema": schema, "version_table": VERSION_TABLE}
    )
    return context.get_current_revision()


def differences(connection: Connection, service: str) -> list[Any]:
    """What ``alembic check`` reports: how the database differs from the service's models."""
    metadata = target_metadata(service)
    context = MigrationContext.configure(
        connection,
        # The version table is reflected where the search path puts it, with no schema name.
        opts={"target_metadata": metadata, "compare_type": True},
    )
    return list(compare_metadata(context, metadata))


def runtime_rights(service: str) -> RuntimeRights:
    """What the service's runtime role may do (the rights its migrations package registered;
    read, insert, update and delete on every table when it declares none)."""
    migrations = registered(service)
    return migrations.rights if migrations is not None else RuntimeRights()


def _grant(
    connection: Connection,
    tables: Sequence[str],
    rights: RuntimeRights,
    role: str | None,
    version_table: str | None = VERSION_TABLE,
) -> None:
    """PostgreSQL, with a runtime role other than the migrating one: grant it its rights."""
    if role is None or connection.dialect.name != "postgresql":
        return
    grant_runtime_rights(
        connection, role=role, tables=tables, rights=rights, version_table=version_table
    )


@cache
def target_metadata(service: str) -> MetaData:
    """The metadata a service migrates to: the tables its migrations package registered."""
    migrations = registered(service)
    if migrations is None or migrations_dir(service) is None:
        raise LookupError(f"no migrations for service {service!r}")
    return service_metadata(migrations.tables)


def _has_tables(connection: Connection, service: str) -> tuple[bool, bool]:
    """(any of the service's tables exists, alembic_version exists)."""
    names = set(inspect(connection).get_table_names())
    own = set(target_metadata(service).tables)
    return bool(names & own), VERSION_TABLE in names


def _upgrade_sync(
    connection: Connection, service: str, schema: str | None, runtime_role: str | None
) -> str:
    reached = _upgrade_to_head(connection, service, schema)
    _grant(connection, list(target_metadata(service).tables), runtime_rights(service), runtime_role)
    return reached


def _upgrade_to_head(connection: Connection, service: str, schema: str | None) -> str:
    config = _config(service, stdout=io.StringIO())
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    tables_exist, versioned = _has_tables(connection, service)
    if tables_exist and not versioned:
        if not differences(connection, service):
            command.stamp(config, "head")
            log.info("migrations.adopted", service=service, revision=head(service))
            return "adopted"
        log.warning("migrations.adopting_older_schema", service=service)
    before = current_revision(connection, schema=schema)
    if before == head(service):  # nothing to run: skip alembic's walk of the revision files
        return before
    command.upgrade(config, "head")
    after = current_revision(connection, schema=schema)
    if before != after:
        log.info("migrations.upgraded", service=service, before=before, after=after)
    return after or ""


@contextmanager
def _file_lock(engine: AsyncEngine) -> Iterator[None]:
    """SQLite: an exclusive lock on ``<database>.migrate.lock`` while the upgrade runs."""
    database = make_url(engine.url).database
    if not database or database == ":memory:":
        yield
        return
    path = Path(f"{database}.migrate.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


async def _locked(
    engine: AsyncEngine, schema: str | None, work: Callable[[Connection], Any]
) -> Any:
    if is_sqlite(engine):
        # flock blocks: a second process waits here (in a thread) until the first is done.
        lock = _file_lock(engine)
        await asyncio.to_thread(lock.__enter__)
        try:
            async with engine.connect() as connection:
                result = await connection.run_sync(work)
                await connection.commit()
                return result
        finally:
            lock.__exit__(None, None, None)
    async with engine.begin() as connection:
        # Held to the end of this transaction; DDL is transactional on PostgreSQL, so a replica
        # that waited sees head and does nothing.
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:scope))"),
            {"scope": f"pactum.migrations.{schema or 'public'}"},
        )
        # Created only when missing: a service role (shared/database_roles.py) may not create
        # schemas, and checks the revision of one the migration role made.
        if schema and not await connection.scalar(
            text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
        ):
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        return await connection.run_sync(work)


async def prepare(
    engine: AsyncEngine,
    service: str,
    tables: Sequence[Table],
    *,
    schema: str | None = None,
    runtime_role: str | None = None,
) -> None:
    """What a service does on start-up: upgrade to head, or create the tables of a service
    without migrations (a test's own service); then grant ``runtime_role`` its rights."""
    if migrations_dir(service) is None:
        await create_tables(engine, tables, schema=schema)
        names = [table.name for table in tables]
        async with engine.begin() as connection:
            await connection.run_sync(_grant, names, RuntimeRights(), runtime_role, None)
    else:
        await upgrade(engine, service, schema=schema, runtime_role=runtime_role)


async def migrate(
    settings: "ServiceSettings", engine: AsyncEngine, tables: Sequence[Table] = ()
) -> None:
    """A service's start-up migration: :func:`prepare` through the migration role's own engine
    when ``settings`` name one (disposed of at once: the service runs on ``engine``, its own
    role's), else through ``engine``."""
    migrating = engine
    if settings.migration_database_url:
        migrating = create_engine(settings.migration_url, schema=settings.database_schema)
    try:
        await prepare(
            migrating,
            settings.service,
            tables,
            schema=settings.database_schema,
            runtime_role=settings.runtime_role,
        )
    finally:
        if migrating is not engine:
            await migrating.dispose()


async def upgrade(
    engine: AsyncEngine,
    service: str,
    *,
    schema: str | None = None,
    runtime_role: str | None = None,
) -> str:
    """Bring the service's database to head; returns the revision it is at afterwards. On
    PostgreSQL, ``runtime_role`` (the role the service runs as, when it is not the one migrating)
    is granted what it uses in the same transaction (shared/database_roles.py)."""
    schema = None if is_sqlite(engine) else schema
    result: str = await _locked(
        engine,
        schema,
        lambda connection: _upgrade_sync(connection, service, schema, runtime_role),
    )
    return result


async def current(engine: AsyncEngine, *, schema: str | None = None) -> str | None:
    schema = None if is_sqlite(engine) else schema
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: current_revision(sync, schema=schema))


async def check(engine: AsyncEngine, service: str, *, schema: str | None = None) -> list[Any]:
    """The differences between the service's models and its database (empty: in step)."""
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: differences(sync, service))


async def revision(engine: AsyncEngine, service: str, message: str, *, schema: str | None) -> None:
    """Autogenerate a draft revision against a database at head (review it before committing)."""

    def generate(connection: Connection) -> None:
        config = _config(service)
        config.attributes["connection"] = connection
        config.attributes["schema"] = schema
        latest = _script(service).get_current_head()
        number = int(latest) + 1 if latest and latest.isdigit() else 1
        command.revision(config, message=message, autogenerate=True, rev_id=f"{number:04d}")

    async with engine.connect() as connection:
        await connection.run_sync(generate)


def _settings(service: str) -> Any:
    from shared.settings import ServiceSettings

    class Settings(ServiceSettings):
        pass

    Settings.service = service
    return Settings()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.migrations",
        description="Migrate a service's database (its PACTUM_<SERVICE>_MIGRATION_DATABASE_URL,"
        " else its PACTUM_<SERVICE>_DATABASE_URL).",
    )
    parser.add_argument("service", choices=SERVICES)
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("upgrade", help="upgrade the database to the newest revision")
    actions.add_parser("current", help="print the revision the database is at")
    actions.add_parser("check", help="exit 1 when the database differs from the models")
    draft = actions.add_parser("revision", help="autogenerate a draft revision (developers)")
    draft.add_argument("-m", "--message", required=True)
    return parser


async def run(arguments: Sequence[str], out: Any = None) -> int:
    """Run one migration command; returns the exit code (0 ok, 1 the check found differences)."""
    out = out or sys.stdout
    options = _parser().parse_args(arguments)
    settings = _settings(options.service)
    engine = create_engine(settings.migration_url, schema=settings.database_schema)
    schema = None if is_sqlite(engine) else settings.database_schema
    try:
        if options.action == "upgrade":
            reached = await upgrade(
                engine, options.service, schema=schema, runtime_role=settings.runtime_role
            )
            print(f"{options.service}: at {head(options.service)} ({reached})", file=out)
        elif options.action == "current":
            at = await current(engine, schema=schema)
            latest = head(options.service)
            state = "up to date" if at == latest else f"head is {latest}"
            print(f"{options.service}: {at or 'not migrated'} ({state})", file=out)
        elif options.action == "check":
            found = await check(engine, options.service, schema=schema)
            for difference in found:
                print(f"{options.service}: {difference}", file=out)
            if found:
                return 1
            print(f"{options.service}: database matches the models", file=out)
        else:
            await revision(engine, options.service, options.message, schema=schema)
    finally:
        await engine.dispose()
    return 0


def main(arguments: Sequence[str] | None = None) -> int:
    """The command line (``python -m deploy.migrations``, once every service has registered)."""
    return asyncio.run(run(sys.argv[1:] if arguments is None else arguments))


def create_idempotent_requests() -> None:
    """The ``idempotent_request`` table as of issue 16.2, for each service's own revision (the
    four services' migrations share its one definition; a later change gets its own revision)."""
    from alembic import op

    op.create_table(
        "idempotent_request",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("answer", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_idempotent_request_expires_at",
        "idempotent_request",
        ["expires_at"],
        if_not_exists=True,
    )


def drop_idempotent_requests() -> None:
    from alembic import op

    op.drop_index("ix_idempotent_request_expires_at", table_name="idempotent_request")
    op.drop_table("idempotent_request")
