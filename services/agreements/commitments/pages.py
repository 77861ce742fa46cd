"""A page of one of the lists recorded under an agreement (instructions, staff with access,
disclosure demands), read as every list is read: in the list's order from where the cursor left
off (``shared/pagination.py``), within the one agreement the caller is a party to, and the read
itself recorded (TOM-T3a)."""

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements.access import find, record_read
from services.agreements.commitments import store as records
from services.agreements.commitments.store import Row
from services.agreements.lifecycle.store import Agreement
from shared import pagination
from shared.auth import Principal
from shared.outbox import Outbox


async def read_page(
    model: type[Row],
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    record: str,
    sort: Any,
    limit: int,
    after: tuple[Any, uuid.UUID] | None,
    hidden: Callable[[Agreement, Principal], tuple[Any, ...]] = lambda agreement, principal: (),
) -> tuple[list[Row], Row | None]:
    """The page's rows, and its last row when more follow (what the next cursor names).
    ``hidden`` gives the conditions a row must meet for the caller to see it on this
    agreement."""
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        found = await records.page_of_agreement(
            model,
            session=session,
            agreement_id=agreement.id,
            sort=sort,
            limit=limit + 1,
            after=after,
            where=hidden(agreement, principal),
        )
        rows, last = pagination.split(found, limit)
        record_read(
            session,
            outbox,
            principal,
            agreement,
            record=record,
            record_ids=[row.id for row in rows],  # type: ignore[attr-defined]
        )
    return rows, last
