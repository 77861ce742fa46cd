"""Maintenance notices as their readers see them (TOM-O3): a customer's admins the notices sent
to their organisation, the operator's admins the notices their organisation sent. Each notice
names the grants it approved by covering them. The read is an event (TOM-T3a). The customer's
admin may object to a notice, which ends the grants it covered."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.identity import cursors
from services.identity.authority import Authority
from services.identity.domain import GrantStatus, IdentityRuleBroken, OrganisationKind
from services.identity.grants import grant_decision
from services.identity.organisations import OrganisationNotFound
from services.identity.store import Grant, MaintenanceNotice, Organisation, UserAccount
from shared.auth import Principal
from shared.event_types.identity import (
    GRANT_REVOKED,
    MAINTENANCE_NOTICE_LISTED,
    MAINTENANCE_NOTICE_OBJECTED,
)
from shared.events import ActorType
from shared.events.contracts.identity import (
    MaintenanceNoticeObjected,
    MaintenanceNoticesListed,
)


@dataclass(frozen=True)
class NoticeShown:
    notice: MaintenanceNotice
    operator_organisation_id: uuid.UUID | None
    grant_ids: list[uuid.UUID]


@dataclass(frozen=True)
class NoticePage:
    items: list[NoticeShown]
    next_cursor: str | None


def _after(cursor: str) -> tuple[datetime, uuid.UUID]:
    sent_at, notice_id = cursors.decode(cursor, parts=2)
    try:
        return datetime.fromisoformat(sent_at), uuid.UUID(notice_id)
    except ValueError:
        raise cursors.CursorRefused(
            "cursor: not one this list gave; start again without it"
        ) from None


async def list_notices(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    limit: int,
    cursor: str | None,
) -> NoticePage:
    """Newest first. The caller's organisation decides the side: operator or customer."""
    after = _after(cursor) if cursor else None
    async with session.begin():
        own = await session.get(Organisation, uuid.UUID(principal.organisation_id))
        if own is None:
            raise OrganisationNotFound(principal.organisation_id)
        query = _notices_seen_by(own, after)
        rows = (await session.execute(query.limit(limit + 1))).all()
        page = rows[:limit]
        ids = [row[0].id for row in page]
        covered = await _grants_covered(session, ids)
        authority.outbox.add(
            session,
            type=MAINTENANCE_NOTICE_LISTED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            data=MaintenanceNoticesListed(notice_ids=ids),
        )
    items = [
        NoticeShown(
            notice=notice, operator_organisation_id=sender_org, grant_ids=covered[notice.id]
        )
        for notice, sender_org in page
    ]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = cursors.encode(last.sent_at.isoformat(), str(last.id))
    return NoticePage(items=items, next_cursor=next_cursor)


def _notices_seen_by(
    own: Organisation, after: tuple[datetime, uuid.UUID] | None
) -> Select[MaintenanceNotice, uuid.UUID]:
    """The notices an organisation sees, newest first, each with its sender's organisation: an
    operator the ones its admins sent, a customer the ones sent to it; after ``after``."""
    sender = col(UserAccount.organisation_id)
    query = select(MaintenanceNotice, sender).outerjoin(
        UserAccount, col(UserAccount.id) == col(MaintenanceNotice.operator_id)
    )
    if own.kind == OrganisationKind.operator:
        query = query.where(sender == own.id)
    else:
        query = query.where(col(MaintenanceNotice.organisation_id) == own.id)
    if after is not None:
        sent_at, notice_id = after
        query = query.where(
            or_(
                col(MaintenanceNotice.sent_at) < sent_at,
                and_(
                    col(MaintenanceNotice.sent_at) == sent_at,
                    col(MaintenanceNotice.id) < notice_id,
                ),
            )
        )
    return query.order_by(col(MaintenanceNotice.sent_at).desc(), col(MaintenanceNotice.id).desc())


async def _grants_covered(
    session: AsyncSession, notice_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The grants each notice approved by covering them, in the order they were asked for."""
    covered: dict[uuid.UUID, list[uuid.UUID]] = {notice_id: [] for notice_id in notice_ids}
    if notice_ids:
        grants = await session.execute(
            select(col(Grant.id), col(Grant.notice_id))
            .where(col(Grant.notice_id).in_(notice_ids))
            .order_by(col(Grant.requested_at))
        )
        for grant_id, covering in grants.all():
            if covering is not None:
                covered[covering].append(grant_id)
    return covered


class NoticeNotFound(LookupError):
    pass


async def object_to_notice(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    notice_id: uuid.UUID,
    reason: str,
) -> tuple[MaintenanceNotice, list[uuid.UUID]]:
    """The customer's admin objects: the notice covers nothing from now on, and every grant it
    approved that is still running ends now (TOM-O3). One transaction: the notice, the grants,
    ``maintenance_notice.objected`` and each grant's ``grant.revoked``."""
    if principal.grant_id is not None or principal.actor_type is ActorType.operator:
        raise NoticeNotFound(notice_id)  # the supplier cannot object on the customer's behalf
    reason = " ".join(reason.split())
    async with session.begin():
        notice = await session.get(MaintenanceNotice, notice_id, with_for_update=True)
        if notice is None or str(notice.organisation_id) != principal.organisation_id:
            raise NoticeNotFound(notice_id)
        if notice.objected_at is not None:
            raise IdentityRuleBroken("this maintenance notice was objected to already")
        now = datetime.now(UTC)
        by = uuid.UUID(principal.user_id)
        notice.objected_at, notice.objected_by, notice.objection = now, by, reason
        running = await _running_grants(session, notice)
        for grant in running:
            grant.status, grant.decided_at, grant.decided_by = GrantStatus.revoked, now, by
        await session.flush()
        ended = [grant.id for grant in running]
        _announce_objection(authority, session, principal, notice, reason, running)
    for grant_id in ended:
        authority.revocations.revoke_grant(str(grant_id))
    return notice, ended


async def _running_grants(session: AsyncSession, notice: MaintenanceNotice) -> list[Grant]:
    """The grants the notice approved that still run, locked for their end."""
    return list(
        (
            await session.scalars(
                select(Grant)
                .where(
                    col(Grant.notice_id) == notice.id,
                    col(Grant.status) == GrantStatus.approved,
                )
                .with_for_update()
            )
        ).all()
    )


def _announce_objection(
    authority: Authority,
    session: AsyncSession,
    principal: Principal,
    notice: MaintenanceNotice,
    reason: str,
    ended: list[Grant],
) -> None:
    """``maintenance_notice.objected``, then each ended grant's ``grant.revoked`` (which every
    service honours)."""
    authority.outbox.add(
        session,
        type=MAINTENANCE_NOTICE_OBJECTED,
        tenant=principal.organisation_id,
        actor=principal.actor,
        subject=str(notice.id),
        data=MaintenanceNoticeObjected(
            notice_id=notice.id,
            organisation_id=notice.organisation_id,
            reason=reason,
            grant_ids=[grant.id for grant in ended],
        ),
    )
    for grant in ended:
        authority.outbox.add(
            session,
            type=GRANT_REVOKED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(grant.id),
            data=grant_decision(grant),
        )
