"""Use cases of the audit service. Reading the log is itself an audited access (TOM-T3a)."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import store
from services.audit.store import AuditEntry
from shared.auth import Principal
from shared.events.contracts.audit import AuditLogViewed
from shared.outbox import Outbox


async def read_log(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    limit: int,
    before: int | None,
) -> list[AuditEntry]:
    async with session.begin():
        entries = await store.entries_for(
            session=session, organisation_id=principal.organisation_id, limit=limit, before=before
        )
        filters = {"limit": str(limit)} | ({"before": str(before)} if before is not None else {})
        outbox.add(
            session,
            type="dpa.audit.log.viewed.v1",
            tenant=principal.organisation_id,
            actor=principal.actor,
            data=AuditLogViewed(
                filters=filters,
                entries=len(entries),
                first_position=entries[-1].position if entries else None,
                last_position=entries[0].position if entries else None,
            ),
        )
    return entries
