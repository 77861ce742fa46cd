"""The inbox: a batch claim returns only the events this consumer has not handled before."""

import uuid
from collections.abc import Callable

from sqlalchemy import select

from shared.database import create_engine, create_tables, session_factory
from shared.inbox import InboxReceipt, claim, claim_many
from tests.support.databases import Database


async def test_a_batch_claim_skips_what_was_claimed_before_and_repeats_inside_it__ARCH_2(
    database: Callable[[str], Database],
) -> None:
    target = database("inbox")
    engine = create_engine(target.url, schema=target.schema)
    await create_tables(engine, [InboxReceipt.__table__], schema=target.schema)  # type: ignore[attr-defined]
    sessions = session_factory(engine)
    try:
        earlier = [uuid.uuid4() for _ in range(5)]
        # More ids than one SQLite statement takes, with a repeat inside the batch.
        batch = [*earlier[:2], *(uuid.uuid4() for _ in range(700))]
        batch.insert(300, batch[10])
        async with sessions() as session, session.begin():
            assert await claim_many(session, consumer="audit", event_ids=earlier) == set(earlier)
        async with sessions() as session, session.begin():
            fresh = await claim_many(session, consumer="audit", event_ids=batch)
        assert fresh == set(batch) - set(earlier[:2])
        async with sessions() as session, session.begin():
            # Stored as the single claim stores and reads them; another consumer is apart.
            assert not await claim(session, consumer="audit", event_id=batch[500])
            assert await claim(session, consumer="notifier", event_id=batch[500])
            assert await claim_many(session, consumer="audit", event_ids=batch) == set()
        async with sessions() as session:
            stored = (await session.scalars(select(InboxReceipt))).all()
        assert len(stored) == len(set(earlier) | set(batch)) + 1
        assert {receipt.event_id for receipt in stored} == set(earlier) | set(batch)
        assert all(receipt.received_at is not None for receipt in stored)
    finally:
        await engine.dispose()
