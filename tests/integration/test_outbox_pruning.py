"""Published outbox rows are deleted once past the stream's duplicate window and a margin; rows
not yet published are never deleted (TOM-32a, TOM-T1: no clear copy of an event kept for ever)."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col
from structlog.testing import capture_logs

from services.agreements.settings import AgreementsSettings
from shared.database import create_engine, session_factory
from shared.events.contracts.agreements import AgreementStatusChanged
from shared.migrations import migrate
from shared.outbox import OutboxMessage, pending_count, prune_published
from tests.agreements.organisations import new_organisation
from tests.support.databases import Database
from tests.support.events import emit
from tests.support.platform import Platform, eventually


def _row(*, created: datetime, published: datetime | None) -> OutboxMessage:
    return OutboxMessage(
        event_id=uuid.uuid4(),
        subject="dpa.platform.agreements.agreement.activated",
        event_type="dpa.agreements.agreement.activated.v1",
        envelope='{"clientaddress": "203.0.113.9"}',
        created_at=created,
        published_at=published,
    )


async def test_only_published_rows_older_than_the_cutoff_are_deleted_in_batches__TOM_32a(
    database: Callable[[str], Database], tmp_path: Path
) -> None:
    target = database("agreements")
    settings = AgreementsSettings(
        environment="test",
        var_dir=tmp_path,
        database_url=target.service_url,
        migration_database_url=target.url if target.service_url != target.url else "",
        database_schema=target.schema,
    )
    # Migrated as on start-up; the service's own role (PostgreSQL: least privilege) deletes.
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    await migrate(settings, engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=40)
    try:
        old_published = [_row(created=long_ago, published=long_ago) for _ in range(7)]
        recent = _row(created=now - timedelta(minutes=1), published=now - timedelta(minutes=1))
        never_published = _row(created=long_ago, published=None)
        async with sessions() as session, session.begin():
            session.add_all([*old_published, recent, never_published])

        deleted = await prune_published(
            sessions, published_before=now - timedelta(hours=1), batch_size=3
        )

        assert deleted == 7  # in three transactions of at most three rows
        async with sessions() as session:
            left = set((await session.scalars(select(col(OutboxMessage.event_id)))).all())
        assert left == {recent.event_id, never_published.event_id}
        assert await pending_count(sessions) == 1
        # Nothing more is due: a second pass deletes nothing.
        assert (
            await prune_published(sessions, published_before=now - timedelta(hours=1), batch_size=3)
            == 0
        )
    finally:
        await engine.dispose()


async def _publish_again(platform: Platform, row: OutboxMessage) -> bool:
    """The row sent again with its own Nats-Msg-Id (a relay that crashed before marking it);
    whether JetStream dropped it as a duplicate."""
    import nats

    connection = await nats.connect(platform.nats_url)
    try:
        ack = await connection.jetstream().publish(
            row.subject, row.envelope.encode(), headers={"Nats-Msg-Id": str(row.event_id)}
        )
        return bool(ack.duplicate)
    finally:
        await connection.close()


async def test_a_published_row_is_kept_through_the_duplicate_window_then_deleted__TOM_32a(
    platform: Platform,
) -> None:
    runtime = platform.runtime("agreements")
    organisation = await new_organisation(platform, by_event=False)
    sent = await emit(
        platform,
        "agreements",
        type="dpa.agreements.agreement.activated.v1",
        tenant=organisation,
        data=AgreementStatusChanged(agreement_id=uuid.uuid4(), status="active", version=1),
    )

    async def published() -> bool:
        return await pending_count(runtime.sessions) == 0

    await eventually(published)
    async with runtime.sessions() as session:
        row = (
            await session.scalars(
                select(OutboxMessage).where(col(OutboxMessage.event_id) == sent.id)
            )
        ).one()
    assert row.published_at is not None
    window = runtime.settings.stream_duplicate_window_seconds
    assert runtime.settings.outbox_kept_seconds > window

    # Just before the window ends the row stays, and a re-publish of it is still dropped.
    assert await runtime.prune_outbox(now=row.published_at + timedelta(seconds=window - 1)) == 0
    assert await _publish_again(platform, row)
    async with runtime.sessions() as session:
        assert await session.get(OutboxMessage, row.position) is not None

    # Past the window and the margin it goes; the count is logged, never what it held.
    later = row.published_at + timedelta(seconds=runtime.settings.outbox_kept_seconds + 1)
    with capture_logs() as logs:
        assert await runtime.prune_outbox(now=later) >= 1
    async with runtime.sessions() as session:
        assert await session.get(OutboxMessage, row.position) is None
    [line] = [entry for entry in logs if entry["event"] == "outbox.pruned"]
    assert line["count"] >= 1
    assert set(line) <= {"event", "log_level", "count", "published_before"}
    assert runtime.outbox_pruned >= 1
    assert "pactum_outbox_pruned_events_total" in runtime.metrics.exposition().decode()
