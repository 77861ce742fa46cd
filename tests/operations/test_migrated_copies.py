"""The tests' copies of a migrated database (tests/support/databases.py) are what the migrations
build: at head, no difference from the models, the same tables and rows, and a copy is never
laid over a database that already exists (a restarted service keeps its rows)."""

from collections.abc import Callable

import pytest
from sqlalchemy import inspect, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import migrations
from shared.database import create_engine
from tests.support.databases import (
    Database,
    PostgresRun,
    give_back,
    migrated_copy,
    skip_or_fail_without_postgres,
)


async def _contents(engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: sorted(inspect(sync).get_table_names()))
        return {
            name: sorted(
                map(tuple, await connection.execute(select(text("*")).select_from(table(name))))
            )
            for name in names
        }


@pytest.mark.parametrize("service", ["identity", "agreements", "audit", "notifier"])
async def test_a_copy_of_the_migrated_template_equals_a_database_the_migrations_built(
    service: str, database: Callable[[str], Database]
) -> None:
    copied, migrated = database(service), database(service)
    await migrated_copy(copied, service)
    copy_engine = create_engine(copied.url, schema=copied.schema)
    if migrated.url == copied.url and migrated.schema is None:  # SQLite: one file per service
        migrated = Database(url=copied.url.replace(".db", "-migrated.db"))
    migrated_engine = create_engine(migrated.url, schema=migrated.schema)
    try:
        assert await migrations.current(copy_engine, schema=copied.schema) == migrations.head(
            service
        )
        assert await migrations.check(copy_engine, service, schema=copied.schema) == []
        await migrations.upgrade(migrated_engine, service, schema=migrated.schema)
        assert await _contents(copy_engine) == await _contents(migrated_engine)
    finally:
        await copy_engine.dispose()
        await migrated_engine.dispose()


async def test_a_database_that_exists_is_left_as_it_is(
    database: Callable[[str], Database],
) -> None:
    target = database("audit")
    await migrated_copy(target, "audit")
    engine = create_engine(target.url, schema=target.schema)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = 'kept'"))
        await migrated_copy(target, "audit")
        assert await migrations.current(engine, schema=target.schema) == "kept"
    finally:
        await engine.dispose()


async def _sequences(engine: AsyncEngine, schema: str) -> dict[str, tuple[object, ...]]:
    """Each sequence of ``schema`` by name: its next value as the service would get it."""
    async with engine.connect() as connection:
        names = (
            await connection.execute(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = :schema"),
                {"schema": schema},
            )
        ).scalars()
        return {
            name: tuple(
                (
                    await connection.execute(text(f'SELECT last_value, is_called FROM "{name}"'))  # noqa: S608
                ).one()
            )
            for name in names
        }


async def _schema_oid(engine: AsyncEngine, schema: str) -> int:
    async with engine.connect() as connection:
        query = text("SELECT oid::int FROM pg_namespace WHERE nspname = :schema")
        return int((await connection.execute(query, {"schema": schema})).scalar_one())


@pytest.mark.postgres
@pytest.mark.parametrize("service", ["identity", "agreements", "audit", "notifier"])
async def test_a_copy_given_back_comes_again_as_the_template_made_it(
    service: str, postgres_run: PostgresRun | str
) -> None:
    """A finished test's copy, reset and renamed, is what the next test gets: the template's
    rows and sequence positions, under the new test's schema name, the old name gone."""
    if isinstance(postgres_run, str):
        skip_or_fail_without_postgres(postgres_run)
    assert isinstance(postgres_run, PostgresRun)
    used, fresh = postgres_run.database(service), postgres_run.database(service)
    await migrated_copy(fresh, service)
    await migrated_copy(used, service)
    used_engine = create_engine(postgres_run.url, schema=used.schema)
    try:
        async with used_engine.begin() as connection:  # rows changed, sequences moved on
            await connection.execute(text("UPDATE alembic_version SET version_num = 'used'"))
            for name in await _sequences(used_engine, str(used.schema)):
                await connection.execute(text(f"SELECT nextval('\"{name}\"')"))
        oid = await _schema_oid(used_engine, str(used.schema))
    finally:
        await used_engine.dispose()
    await give_back([str(used.schema)], postgres_run.superuser_dsn)
    again = postgres_run.database(service)
    await migrated_copy(again, service)
    engines = [create_engine(postgres_run.url, schema=d.schema) for d in (again, fresh)]
    try:
        assert await _contents(engines[0]) == await _contents(engines[1])
        assert await _sequences(engines[0], str(again.schema)) == await _sequences(
            engines[1], str(fresh.schema)
        )
        assert await migrations.current(engines[0], schema=again.schema) == migrations.head(service)
        async with engines[0].connect() as connection:
            names = set(
                (await connection.execute(text("SELECT nspname FROM pg_namespace"))).scalars()
            )
        assert str(used.schema) not in names
        assert await _schema_oid(engines[0], str(again.schema)) == oid  # the same copy, renamed
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.postgres
async def test_a_copy_whose_shape_a_test_changed_is_not_given_again(
    postgres_run: PostgresRun | str,
) -> None:
    if isinstance(postgres_run, str):
        skip_or_fail_without_postgres(postgres_run)
    assert isinstance(postgres_run, PostgresRun)
    reshaped = postgres_run.database("notifier")
    await migrated_copy(reshaped, "notifier")
    engine = create_engine(postgres_run.url, schema=reshaped.schema)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE alembic_version ADD COLUMN note text"))
        await give_back([str(reshaped.schema)], postgres_run.superuser_dsn)
        next_copy = postgres_run.database("notifier")
        await migrated_copy(next_copy, "notifier")
        async with engine.connect() as connection:
            columns = (
                await connection.execute(
                    text(
                        "SELECT count(*) FROM information_schema.columns WHERE table_schema = :s"
                        " AND table_name = 'alembic_version'"
                    ),
                    {"s": next_copy.schema},
                )
            ).scalar_one()
            kept = (
                await connection.execute(
                    text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"),
                    {"s": reshaped.schema},
                )
            ).scalar_one()
        assert columns == 1  # the template's shape, not the altered one
        assert kept == 1  # left as the test left it, for the run's drop
    finally:
        await engine.dispose()
