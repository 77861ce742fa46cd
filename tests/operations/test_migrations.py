"""Each service's Alembic migrations build exactly the schema its models expect.

On a fresh SQLite file and a fresh PostgreSQL schema: upgrading to head leaves no difference
from the models (so a model changed without a revision fails here), a second upgrade changes
nothing, two replicas upgrading at once do not race, and a database that ``create_tables`` built
before migrations existed is adopted with its rows.
"""

import asyncio
import importlib
import io
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Table, func, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import migrations
from shared.database import create_engine, create_tables
from shared.migrations import SHARED_TABLES
from shared.outbox import OutboxMessage
from tests.support.databases import Database

SERVICES = migrations.SERVICES
OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]


def _engine(database: Database) -> AsyncEngine:
    return create_engine(database.url, schema=database.schema)


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))


@pytest.mark.parametrize("service", SERVICES)
async def test_migrating_an_empty_database_gives_the_schema_the_models_expect__TOM_32b(
    service: str, database: Callable[[str], Database]
) -> None:
    """Fails when a model changes without a revision: add one with
    ``python -m deploy.migrations <service> revision -m "..."`` and review it."""
    target = database(service)
    engine = _engine(target)
    try:
        reached = await migrations.upgrade(engine, service, schema=target.schema)
        assert reached == migrations.head(service)
        assert await migrations.check(engine, service, schema=target.schema) == []
        assert set(migrations.target_metadata(service).tables) | {"alembic_version"} == (
            await _tables(engine)
        )
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_upgrading_twice_changes_nothing(
    service: str, database: Callable[[str], Database]
) -> None:
    target = database(service)
    engine = _engine(target)
    try:
        await migrations.upgrade(engine, service, schema=target.schema)
        again = await migrations.upgrade(engine, service, schema=target.schema)
        assert again == migrations.head(service)
        assert await migrations.current(engine, schema=target.schema) == migrations.head(service)
        assert await migrations.check(engine, service, schema=target.schema) == []
    finally:
        await engine.dispose()


async def test_two_replicas_upgrading_at_once_both_reach_head(
    database: Callable[[str], Database],
) -> None:
    target = database("audit")
    engines = [_engine(target), _engine(target)]
    try:
        reached = await asyncio.gather(
            *(migrations.upgrade(engine, "audit", schema=target.schema) for engine in engines)
        )
        assert set(reached) == {migrations.head("audit")}
        assert await migrations.check(engines[0], "audit", schema=target.schema) == []
    finally:
        for engine in engines:
            await engine.dispose()


async def test_migrated_audit_tables_refuse_update_and_delete(
    database: Callable[[str], Database],
) -> None:
    target = database("audit")
    engine = _engine(target)
    try:
        await migrations.upgrade(engine, "audit", schema=target.schema)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    'INSERT INTO audit_node (organisation_id, level, "index", hash) '
                    "VALUES ('org', 0, 0, 'ab')"
                )
            )
        for statement in ("UPDATE audit_node SET hash = 'cd'", "DELETE FROM audit_node"):
            with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
                async with engine.begin() as connection:
                    await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", ["audit", "notifier"])
async def test_a_database_built_before_migrations_is_adopted_with_its_rows(
    service: str, database: Callable[[str], Database]
) -> None:
    target = database(service)
    engine = _engine(target)
    try:
        # What ServiceRuntime did on every start before migrations existed.
        own = importlib.import_module(f"services.{service}.migrations").TABLES
        await create_tables(engine, (*own, *SHARED_TABLES), schema=target.schema)
        async with engine.begin() as connection:
            await connection.execute(
                OUTBOX.insert().values(
                    event_id=uuid.uuid4(),
                    subject="dpa.test",
                    event_type="test",
                    envelope="{}",
                    created_at=datetime.now(UTC),
                    attempts=0,
                )
            )
        assert await migrations.upgrade(engine, service, schema=target.schema) == "adopted"
        assert await migrations.current(engine, schema=target.schema) == migrations.head(service)
        async with engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(OUTBOX)) == 1
    finally:
        await engine.dispose()


async def test_a_partial_older_database_gets_its_missing_tables_and_keeps_its_rows(
    database: Callable[[str], Database],
) -> None:
    target = database("audit")
    engine = _engine(target)
    try:
        metadata = migrations.target_metadata("audit")
        async with engine.begin() as connection:
            if target.schema:
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{target.schema}"'))
            await connection.run_sync(metadata.create_all, tables=[metadata.tables["audit_tree"]])
            await connection.execute(
                text(
                    "INSERT INTO audit_tree (organisation_id, size, frontier, checkpointed_size) "
                    "VALUES ('org', 0, '[]', 0)"
                )
            )
        await migrations.upgrade(engine, "audit", schema=target.schema)
        assert await migrations.check(engine, "audit", schema=target.schema) == []
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM audit_tree")) == 1
    finally:
        await engine.dispose()


async def test_the_migration_command_checks_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACTUM_NOTIFIER_DATABASE_URL", f"sqlite:///{tmp_path}/notifier.db")
    out = io.StringIO()
    assert await migrations.run(["notifier", "current"], out) == 0
    assert "not migrated" in out.getvalue()
    assert await migrations.run(["notifier", "check"], out) == 1
    assert await migrations.run(["notifier", "upgrade"], out) == 0
    assert await migrations.run(["notifier", "check"], out) == 0
    assert "database matches the models" in out.getvalue()


def test_the_migration_command_refuses_an_unknown_service() -> None:
    with pytest.raises(SystemExit) as exit_:
        migrations.main(["billing", "upgrade"])
    assert exit_.value.code == 2


async def test_an_older_database_with_enum_columns_is_completed_without_recreating_their_types(
    database: Callable[[str], Database],
) -> None:
    target = database("identity")
    engine = _engine(target)
    try:
        metadata = migrations.target_metadata("identity")
        async with engine.begin() as connection:
            if target.schema:
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{target.schema}"'))
            # organisation's mfa column has a PostgreSQL enum type of its own.
            await connection.run_sync(metadata.create_all, tables=[metadata.tables["organisation"]])
        reached = await migrations.upgrade(engine, "identity", schema=target.schema)
        assert reached == migrations.head("identity")
        assert await migrations.check(engine, "identity", schema=target.schema) == []
    finally:
        await engine.dispose()


async def test_audit_0004_marks_the_agreements_its_log_saw_signed_by_both(
    database: Callable[[str], Database],
) -> None:
    """Upgrading keeps the processors' other applications writing under agreements signed before
    the ``signed`` column existed: it is filled from the log's own ``agreement.signed`` entries."""
    target = database("audit")
    engine = _engine(target)
    schema = None if engine.dialect.name == "sqlite" else target.schema

    def to_0003(connection: Any) -> None:
        if schema is not None:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        config = migrations._config("audit", stdout=io.StringIO())
        config.attributes["connection"] = connection
        config.attributes["schema"] = schema
        command.upgrade(config, "0003")

    try:
        async with engine.begin() as connection:
            await connection.run_sync(to_0003)
            for agreement in ("signed-both", "signed-once", "drafted"):
                await connection.execute(
                    text(
                        "INSERT INTO audit_agreement (agreement_id, controller_id, processor_id) "
                        "VALUES (:agreement, 'c', 'p')"
                    ),
                    {"agreement": agreement},
                )
            for index, (agreement, both) in enumerate(
                (("signed-once", False), ("signed-both", False), ("signed-both", True))
            ):
                await connection.execute(
                    text(
                        "INSERT INTO audit_entry (organisation_id, log_index, event_id, "
                        "event_type, source, actor_id, actor_type, outcome, "
                        "supplier_intervention, agreement_id, occurred_at, recorded_at, "
                        "requirements, data, leaf_hash) VALUES ('c', :index, :event, "
                        "'dpa.agreements.agreement.signed.v1', '/dpa/agreements', 'u', 'user', "
                        "'succeeded', false, :agreement, :now, :now, '[]', :data, 'ab')"
                    ),
                    {
                        "index": index,
                        "event": uuid.uuid4().hex
                        if engine.dialect.name == "sqlite"
                        else str(uuid.uuid4()),
                        "agreement": agreement,
                        "now": datetime.now(UTC),
                        "data": json.dumps({"agreement_id": agreement, "fully_signed": both}),
                    },
                )
        reached = await migrations.upgrade(engine, "audit", schema=target.schema)
        assert reached == migrations.head("audit")
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT agreement_id, signed FROM audit_agreement")
            )
            signed = {str(agreement): value for agreement, value in rows}
        assert {key: bool(value) for key, value in signed.items()} == {
            "signed-both": True,
            "signed-once": False,
            "drafted": False,
        }
    finally:
        await engine.dispose()
