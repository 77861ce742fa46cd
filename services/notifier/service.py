"""Use cases of the notifier service."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier import store
from services.notifier.store import Receipt
from shared.auth import Principal
from shared.events.contracts.notifier import ReceiptsListed
from shared.outbox import Outbox


async def list_receipts(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, limit: int
) -> list[Receipt]:
    async with session.begin():
        receipts = await store.receipts_for(
            session=session, organisation_id=principal.organisation_id, limit=limit
        )
        outbox.add(
            session,
            type="dpa.notifier.receipt.listed.v1",
            tenant=principal.organisation_id,
            actor=principal.actor,
            data=ReceiptsListed(receipts=len(receipts)),
        )
    return receipts
