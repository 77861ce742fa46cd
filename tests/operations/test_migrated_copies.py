"""The tests' copies of a migrated database (tests/support/databases.py) are what the migrations
build: at head, no difference from the models, the same tables and rows, and a copy is never
laid over a database that already exists (a restarted service keeps its rows)."""

from collections.abc import Callable

import pytest
from sqlalchemy import inspect, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import migrations
from shared.database import create_engine
from tests.support.databases import Database, migrated_copy


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
