"""Upgrading a database from before the directory: the parties of its agreements become known.

The database is built as an earlier version built it (every table but ``known_organisation``,
no Alembic version), then upgraded as the service does on start-up.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import MetaData, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.agreements.directory.store import KnownOrganisation, LearntFrom
from services.agreements.domain import OrganisationKind
from services.agreements.lifecycle.store import Agreement
from shared import migrations
from shared.database import create_engine
from tests.support.databases import Database


async def test_the_parties_of_stored_agreements_are_known_after_the_upgrade(
    database: Callable[[str], Database],
) -> None:
    target = database("agreements")
    engine = create_engine(target.url, schema=target.schema)
    controller, processor, lone_controller, both_sides, other = (uuid.uuid4() for _ in range(5))
    stored = [
        (controller, processor),
        (controller, None),  # a draft without its processor yet
        (lone_controller, None),
        (both_sides, other),  # both_sides is a controller here ...
        (other, both_sides),  # ... and a processor here: left for identity's event
    ]
    try:
        # A metadata of its own, so that not even the directory's enum types exist (PostgreSQL).
        older = MetaData()
        for name, table in migrations.target_metadata("agreements").tables.items():
            if name != "known_organisation":
                table.to_metadata(older)
        async with engine.begin() as connection:
            if target.schema:
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{target.schema}"'))
            await connection.run_sync(older.create_all)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with sessions() as session, session.begin():
            for controller_id, processor_id in stored:
                session.add(
                    Agreement(
                        organisation_id=controller_id,
                        counterparty_id=processor_id,
                        controller_id=controller_id,
                        processor_id=processor_id,
                        title="Verwerkersovereenkomst",
                        created_by="user-1",
                        created_at=datetime.now(UTC),
                    )
                )

        await migrations.upgrade(engine, "agreements", schema=target.schema)

        assert await migrations.check(engine, "agreements", schema=target.schema) == []
        async with sessions() as session:
            known = {
                row.id: (row.kind, row.learnt_from, row.event_id)
                for row in (await session.scalars(select(KnownOrganisation))).all()
            }
        by_agreements = (LearntFrom.agreements, None)
        assert known == {
            controller: (OrganisationKind.controller, *by_agreements),
            processor: (OrganisationKind.processor, *by_agreements),
            lone_controller: (OrganisationKind.controller, *by_agreements),
        }
    finally:
        await engine.dispose()
