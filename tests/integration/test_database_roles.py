# ruff: noqa: S608 (the test plays a taken-over service writing SQL by hand)
"""Least privilege in the databases (issue 15 item 6, TOM-T5): on PostgreSQL every service starts,
serves and consumes as its own role, which owns nothing, runs no DDL and reads no other service's
schema; only the migration role, which the services use at start-up alone, owns their tables."""

import io
import uuid
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.agreements.directory import store as directory
from services.console.main import create_app as console_app
from services.console.settings import ConsoleSettings
from shared import migrations
from shared.database import create_engine
from tests.agreements.organisations import organisation_created
from tests.support.databases import PostgresRun, skip_or_fail_without_postgres
from tests.support.events import activation_consumed
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually

pytestmark = pytest.mark.postgres

SERVICES = ("identity", "agreements", "audit", "notifier")

# What one role owns: relations (tables, sequences, indexes), schemas and functions.
OWNED = (
    "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
    " + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)"
    " + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)"
    " FROM pg_roles r WHERE r.rolname = current_user"
)


@pytest.fixture
async def platform(
    nats_server: NatsServer, postgres_run: PostgresRun | str, tmp_path: Path
) -> Platform:
    if isinstance(postgres_run, str):
        skip_or_fail_without_postgres(postgres_run)
    assert isinstance(postgres_run, PostgresRun)
    return Platform(
        nats_url=nats_server.url,
        database=postgres_run.database,
        var_dir=tmp_path / "var",
        nats_passwords=nats_server.passwords,
    )


async def _works(platform: Platform, nats_server: NatsServer) -> None:
    """Serves (an agreement drafted) and consumes (identity's event read by agreements, the
    agreement's events by audit and the notifier)."""
    import nats

    organisation = str(uuid.uuid4())
    connection = await nats.connect(nats_server.url)
    try:
        created = organisation_created(organisation, "controller")
        await connection.jetstream().publish(created.nats_subject, created.to_json())
    finally:
        await connection.close()

    async def known() -> object:
        async with platform.runtime("agreements").sessions() as session:
            return await directory.kind_of(session, uuid.UUID(organisation))

    await eventually(known)
    answer = await platform.clients["agreements"].post(
        "/agreements", json={"title": "UTOPIA x iBeauty"}, headers=platform.auth(organisation)
    )
    assert answer.status_code == 201, answer.text
    await activation_consumed(platform, organisation)
    for service in SERVICES:
        assert (await platform.clients[service].get("/readyz")).status_code == 200, service


async def test_every_service_works_as_a_role_that_owns_nothing_and_reads_no_other_schema__TOM_T5(
    platform: Platform, nats_server: NatsServer
) -> None:
    await platform.start(*SERVICES)
    try:
        await _works(platform, nats_server)
        schemas = {s: platform.runtime(s).settings.database_schema for s in SERVICES}
        for service in SERVICES:
            settings = platform.runtime(service).settings
            async with platform.runtime(service).engine.connect() as connection:
                assert await connection.scalar(text("SELECT current_user")) == (
                    settings.runtime_role
                )
                assert settings.runtime_role and settings.runtime_role.endswith(f"_{service}")
                assert await connection.scalar(text(OWNED)) == 0, service
            for statement in (
                "CREATE TABLE forged (x int)",
                "ALTER TABLE outbox ADD COLUMN forged text",
                "DROP TABLE inbox",
                "TRUNCATE outbox",
                "UPDATE alembic_version SET version_num = '0000'",
            ):
                with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
                    async with platform.runtime(service).engine.begin() as connection:
                        await connection.execute(text(statement))
            for other in SERVICES:
                if other == service:
                    continue
                with pytest.raises(DBAPIError, match="permission denied"):
                    async with platform.runtime(service).engine.connect() as connection:
                        await connection.execute(text(f'SELECT * FROM "{schemas[other]}".outbox'))
    finally:
        await platform.stop()


async def test_the_console_starts_and_keeps_its_sessions_as_its_own_role__TOM_T5(
    postgres_run: PostgresRun | str, tmp_path: Path
) -> None:
    if isinstance(postgres_run, str):
        skip_or_fail_without_postgres(postgres_run)
    assert isinstance(postgres_run, PostgresRun)
    database = postgres_run.database("console")
    settings = ConsoleSettings(
        environment="test",
        var_dir=tmp_path / "var",
        database_url=database.service_url,
        migration_database_url=database.url,
        database_schema=database.schema,
    )
    app = console_app(settings)
    async with (
        LifespanManager(app, startup_timeout=30),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client,
    ):
        assert (await client.get("/readyz")).status_code == 200
    assert settings.runtime_role == postgres_run.role("console")
    engine = create_engine(database.service_url, schema=database.schema)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text(OWNED)) == 0
            granted = (
                await connection.execute(
                    text(
                        "SELECT table_name, privilege_type"
                        " FROM information_schema.role_table_grants WHERE grantee = current_user"
                        " AND table_schema = current_schema()"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert ("console_session", "DELETE") in granted and ("alembic_version", "SELECT") in granted
    assert not {privilege for _, privilege in granted} & {"TRUNCATE", "TRIGGER", "REFERENCES"}


async def _rights(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as connection:
        found = await connection.execute(
            text(
                "SELECT privilege_type FROM information_schema.role_table_grants"
                " WHERE grantee = current_user AND table_schema = current_schema()"
                " AND table_name = :table"
            ),
            {"table": table},
        )
        return set(found.scalars())


async def test_every_upgrade_grants_the_runtime_role_exactly_its_rights_again__TOM_T5(
    postgres_run: PostgresRun | str,
) -> None:
    """Idempotent and corrective: a right given by hand is taken back by the next upgrade; a table
    a later revision creates is append-only for audit until declared; the service itself, with
    only its own URL (compose), checks the revision at start and changes nothing."""
    if isinstance(postgres_run, str):
        skip_or_fail_without_postgres(postgres_run)
    assert isinstance(postgres_run, PostgresRun)
    database = postgres_run.database("audit")
    role = postgres_run.role("audit")
    owner = create_engine(database.url, schema=database.schema)
    runtime = create_engine(database.service_url, schema=database.schema)
    try:
        await migrations.upgrade(owner, "audit", schema=database.schema, runtime_role=role)
        async with owner.begin() as connection:
            await connection.execute(text(f'GRANT UPDATE, DELETE ON audit_entry TO "{role}"'))
        assert await _rights(runtime, "audit_entry") == {"SELECT", "INSERT", "UPDATE", "DELETE"}
        head = await migrations.upgrade(owner, "audit", schema=database.schema, runtime_role=role)
        assert head == migrations.head("audit")
        assert await _rights(runtime, "audit_entry") == {"SELECT", "INSERT"}
        assert await _rights(runtime, "audit_tree") == {"SELECT", "INSERT", "UPDATE"}

        async with owner.begin() as connection:  # what a later revision would create
            await connection.execute(text("CREATE TABLE audit_later (id serial PRIMARY KEY)"))
        async with runtime.begin() as connection:
            await connection.execute(text("INSERT INTO audit_later DEFAULT VALUES"))
        with pytest.raises(DBAPIError, match="permission denied"):
            async with runtime.begin() as connection:
                await connection.execute(text("DELETE FROM audit_later"))

        # Compose: the service has only its own URL; at head its start-up upgrade is a no-op.
        assert await migrations.upgrade(runtime, "audit", schema=database.schema) == head
        assert await migrations.current(runtime, schema=database.schema) == head
    finally:
        await owner.dispose()
        await runtime.dispose()


async def test_a_restore_gives_the_runtime_role_its_rights_back__TOM_T5_TOM_32c(
    postgres_run: PostgresRun | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pg_restore recreates the tables as the migration role, without grants; ``pactum restore``
    ends with an upgrade that grants the service's own role its rights again."""
    if isinstance(postgres_run, str):
        skip_or_fail_without_postgres(postgres_run)
    assert isinstance(postgres_run, PostgresRun)
    from deploy import backup as backups
    from deploy import operator

    database = postgres_run.database("audit")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PACTUM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PACTUM_AUDIT_DATABASE_URL", database.service_url)
    monkeypatch.setenv("PACTUM_AUDIT_MIGRATION_DATABASE_URL", database.url)
    monkeypatch.setenv("PACTUM_AUDIT_DATABASE_SCHEMA", str(database.schema))
    monkeypatch.setenv(backups.KEY_ENV, backups.new_key())
    monkeypatch.setenv("PACTUM_OPERATOR", "test-operator")
    assert await operator.run(["migrate", "audit"], io.StringIO()) == 0
    printed = io.StringIO()
    assert (
        await operator.run(
            ["backup", "--into", "backups", "--no-stream", "--service", "audit"], printed
        )
        == 0
    )
    archive = printed.getvalue().split(" to ", 1)[1].strip()
    owner = create_engine(database.url)
    runtime = create_engine(database.service_url, schema=database.schema)
    try:
        async with owner.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{database.schema}" CASCADE'))
        restore = ["restore", archive, "--no-stream", "--yes", "--service", "audit"]
        assert await operator.run(restore, io.StringIO()) == 0
        assert await _rights(runtime, "audit_entry") == {"SELECT", "INSERT"}
        assert await _rights(runtime, "outbox") == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    finally:
        await owner.dispose()
        await runtime.dispose()
