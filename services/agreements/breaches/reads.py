"""Reading breaches: a breach with its phases and the notices (clocks) the caller may see, and
the list of breaches an organisation reported or was notified of (TOM-O4, TOM-T3a)."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import clocks, domain
from services.agreements.breaches import store as records
from services.agreements.breaches.schemas import (
    BreachList,
    BreachNoticePublic,
    BreachPhasePublic,
    BreachPublic,
)
from services.agreements.breaches.store import Breach, BreachNotice, BreachPhase
from shared import pagination
from shared.auth import Principal
from shared.event_types.agreements import BREACH_LISTED, BREACH_VIEWED
from shared.events.contracts.agreements import BreachesListed, BreachRead
from shared.outbox import Outbox

BREACH_FIELDS = sorted(BreachPublic.model_fields)


def notice_view(notice: BreachNotice, now: datetime) -> BreachNoticePublic:
    shown = BreachNoticePublic.model_validate(notice)
    shown.authority_overdue = notice.authority_status == "pending" and clocks.is_late(
        done_at=now, deadline=notice.authority_deadline
    )
    return shown


def view(
    breach: Breach, phases: list[BreachPhase], notices: list[BreachNotice], now: datetime
) -> BreachPublic:
    shown = BreachPublic.model_validate(breach)
    shown.phases = [BreachPhasePublic.model_validate(p) for p in phases]
    shown.notices = [notice_view(n, now) for n in notices]
    return shown


async def visible(
    session: AsyncSession, principal: Principal, breach_id: uuid.UUID
) -> tuple[Breach, list[BreachNotice]]:
    """The breach and the notices the caller may see: all for its processor, its own otherwise."""
    organisation = uuid.UUID(principal.organisation_id)
    breach = await records.breach(
        session=session, organisation_id=organisation, breach_id=breach_id
    )
    if breach is None:
        raise domain.NotFound("Breach")
    notices = await records.notices(session=session, breach_id=breach.id)
    if breach.processor_id != organisation:
        notices = [n for n in notices if n.controller_id == organisation]
    return breach, notices


async def read(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, breach_id: uuid.UUID
) -> BreachPublic:
    now = datetime.now(UTC)
    async with session.begin():
        breach, notices = await visible(session, principal, breach_id)
        phases = await records.phases(session=session, breach_id=breach.id)
        outbox.add(
            session,
            type=BREACH_VIEWED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(breach.id),
            data=BreachRead(
                breach_id=breach.id,
                agreement_ids=[n.agreement_id for n in notices],
                fields=BREACH_FIELDS,
            ),
        )
        return view(breach, phases, notices, now)


async def list_breaches(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    limit: int,
    cursor: str | None = None,
) -> BreachList:
    now = datetime.now(UTC)
    after = pagination.moment_and_uuid(cursor) if cursor else None
    async with session.begin():
        found = await records.visible_breaches(
            session=session,
            organisation_id=uuid.UUID(principal.organisation_id),
            limit=limit + 1,
            after=after,
        )
        rows, more = found[:limit], len(found) > limit
        views = []
        for row in rows:
            breach, notices = await visible(session, principal, row.id)
            views.append(view(breach, [], notices, now))
        outbox.add(
            session,
            type=BREACH_LISTED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            data=BreachesListed(breach_ids=[b.id for b in rows]),
        )
    last = rows[-1] if more else None
    return BreachList(
        items=views,
        next_cursor=pagination.after_moment(last.reported_at, last.id) if last else None,
    )
