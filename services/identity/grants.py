"""Supplier access grants (TOM-O3, TOM-T3c): an operator sees a customer's data only at the
customer's request or after a maintenance notice.

An operator user asks for access to one organisation, with a reason and a duration. The
customer's admin approves or denies; a maintenance notice sent early enough and covering the whole
window approves it without a decision. An approved grant is time-boxed and revocable. Under it,
the operator takes a token whose ``org`` is the customer (every service scopes by it) and whose
``home_org`` is the operator's own organisation, ``act`` = operator and ``grant`` = the grant id:
every event it causes names the operator's organisation as actor, so audit flags it as a
supplier intervention.
"""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.identity.authority import Authority
from services.identity.domain import (
    GrantStatus,
    IdentityRuleBroken,
    OrganisationKind,
    OrganisationStatus,
    Window,
    check_grant_minutes,
    check_notice_window,
    grant_roles,
    is_multi_factor,
)
from services.identity.store import Grant, MaintenanceNotice, Organisation
from shared import pagination
from shared.access_attempts import GrantEnd
from shared.auth import Principal
from shared.event_types.identity import (
    GRANT_ACTIVATED,
    GRANT_APPROVED,
    GRANT_EXPIRED,
    GRANT_LISTED,
    GRANT_REQUESTED,
    GRANT_REVOKED,
    MAINTENANCE_NOTICE_SENT,
)
from shared.events import Actor, ActorType
from shared.events.contracts.identity import (
    GrantDecided,
    GrantRequested,
    GrantsListed,
    GrantUsed,
    MaintenanceNoticeSent,
)
from shared.moments import as_utc


class GrantNotFound(LookupError):
    pass


class NotAnOperator(PermissionError):
    pass


class SecondFactorNeeded(PermissionError):
    """The caller's session was not proven with a second factor."""


def _now() -> datetime:
    return datetime.now(UTC)


async def _operator_org(session: AsyncSession, principal: Principal) -> Organisation:
    if principal.grant_id is not None:
        raise NotAnOperator("a token under a grant cannot ask for grants")
    organisation = await session.get(Organisation, uuid.UUID(principal.organisation_id))
    if organisation is None or organisation.kind != OrganisationKind.operator:
        raise NotAnOperator("only the operator's staff ask for supplier access")
    return organisation


async def _customer(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation:
    customer = await session.get(Organisation, organisation_id)
    if customer is None or customer.kind == OrganisationKind.operator:
        raise GrantNotFound(organisation_id)
    if customer.status != OrganisationStatus.active:
        raise IdentityRuleBroken("this organisation is disabled: nobody works in its data")
    return customer


def grant_decision(grant: Grant) -> GrantDecided:
    """What the event of a grant's decision (approved, rejected, revoked, expired) says."""
    return GrantDecided(
        grant_id=grant.id,
        operator_id=grant.operator_id,
        expires_at=as_utc(grant.expires_at).isoformat() if grant.expires_at else None,
        covered_by_notice=grant.notice_id,
    )


async def send_notice(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    organisation_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
) -> MaintenanceNotice:
    async with session.begin():
        await _operator_org(session, principal)
        await _customer(session, organisation_id)
        starts_at, ends_at = as_utc(starts_at), as_utc(ends_at)
        check_notice_window(
            starts_at=starts_at,
            ends_at=ends_at,
            now=_now(),
            lead=timedelta(hours=authority.settings.maintenance_notice_lead_hours),
        )
        notice = MaintenanceNotice(
            organisation_id=organisation_id,
            operator_id=uuid.UUID(principal.user_id),
            reason=reason,
            sent_at=_now(),
            starts_at=starts_at,
            ends_at=ends_at,
        )
        session.add(notice)
        await session.flush()
        authority.outbox.add(
            session,
            type=MAINTENANCE_NOTICE_SENT,
            tenant=str(organisation_id),
            actor=principal.actor,
            subject=str(notice.id),
            data=MaintenanceNoticeSent(
                notice_id=notice.id,
                organisation_id=organisation_id,
                starts_at=starts_at.isoformat(),
                ends_at=ends_at.isoformat(),
            ),
        )
    return notice


async def _covering_notice(
    session: AsyncSession,
    authority: Authority,
    organisation_id: uuid.UUID,
    start: datetime,
    end: datetime,
) -> MaintenanceNotice | None:
    lead = timedelta(hours=authority.settings.maintenance_notice_lead_hours)
    notices = await session.scalars(
        select(MaintenanceNotice)
        .where(
            col(MaintenanceNotice.organisation_id) == organisation_id,
            col(MaintenanceNotice.objected_at).is_(None),  # an objected notice covers nothing
            col(MaintenanceNotice.ends_at) >= end,
        )
        # Held until the grant is stored: an objection in between waits, then ends the grant.
        .with_for_update()
    )
    for notice in notices:
        window = Window(as_utc(notice.starts_at), as_utc(notice.ends_at))
        # The customer had the notice at least ``lead`` before the access starts.
        if window.covers(start, end) and as_utc(notice.sent_at) + lead <= start:
            return notice
    return None


async def request_grant(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    organisation_id: uuid.UUID,
    reason: str,
    minutes: int,
    access: str,
) -> Grant:
    check_grant_minutes(minutes)
    async with session.begin():
        operator_org = await _operator_org(session, principal)
        await _customer(session, organisation_id)
        now = _now()
        grant = Grant(
            organisation_id=organisation_id,
            operator_id=uuid.UUID(principal.user_id),
            operator_organisation_id=operator_org.id,
            access=access,
            reason=" ".join(reason.split()),
            minutes=minutes,
            requested_at=now,
        )
        end = now + timedelta(minutes=minutes)
        notice = await _covering_notice(session, authority, organisation_id, now, end)
        session.add(grant)
        await session.flush()
        authority.outbox.add(
            session,
            type=GRANT_REQUESTED,
            tenant=str(organisation_id),
            actor=principal.actor,
            subject=str(grant.id),
            data=GrantRequested(
                grant_id=grant.id,
                organisation_id=organisation_id,
                operator_id=grant.operator_id,
                access=access,
                minutes=minutes,
                reason=grant.reason,
            ),
        )
        if notice is not None:
            grant.status = GrantStatus.approved
            grant.decided_at = now
            grant.expires_at = min(end, as_utc(notice.ends_at))  # never past the notice
            grant.notice_id = notice.id
            authority.outbox.add(
                session,
                type=GRANT_APPROVED,
                tenant=str(organisation_id),
                actor=authority.system,
                subject=str(grant.id),
                data=grant_decision(grant),
            )
    return grant


async def list_grants(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[Grant], str | None]:
    """A page of grants, newest request first, and the cursor of the next: a customer sees the
    grants on its organisation; an operator the ones it asked for."""
    after = pagination.moment_and_uuid(cursor) if cursor else None
    async with session.begin():
        organisation = uuid.UUID(principal.organisation_id)
        mine = or_(
            col(Grant.organisation_id) == organisation,
            col(Grant.operator_organisation_id) == organisation,
        )
        query = pagination.keyset(
            select(Grant).where(mine),
            sort=col(Grant.requested_at),
            identifier=col(Grant.id),
            after=after,
            newest_first=True,
        )
        found = list((await session.scalars(query.limit(limit + 1))).all())
        grants, last = pagination.split(found, limit)
        authority.outbox.add(
            session,
            type=GRANT_LISTED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            data=GrantsListed(grant_ids=[grant.id for grant in grants]),
        )
    return grants, pagination.after_moment(last.requested_at, last.id) if last else None


async def decide(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    grant_id: uuid.UUID,
    decision: GrantStatus,
) -> Grant:
    """The customer's admin approves, denies or revokes a grant on its own organisation."""
    allowed_from = {
        GrantStatus.approved: GrantStatus.requested,
        GrantStatus.denied: GrantStatus.requested,
        GrantStatus.revoked: GrantStatus.approved,
    }
    async with session.begin():
        grant = await session.get(Grant, grant_id)
        if grant is None or str(grant.organisation_id) != principal.organisation_id:
            raise GrantNotFound(grant_id)
        if principal.actor_type is ActorType.operator:
            raise GrantNotFound(grant_id)  # an operator cannot decide on its own access
        if grant.status is not allowed_from[decision]:
            raise IdentityRuleBroken(f"a grant that is {grant.status} cannot become {decision}")
        now = _now()
        values: dict[str, object] = {
            "status": decision,
            "decided_at": now,
            "decided_by": uuid.UUID(principal.user_id),
        }
        if decision is GrantStatus.approved:
            values["expires_at"] = now + timedelta(minutes=grant.minutes)
        await session.execute(update(Grant).where(col(Grant.id) == grant.id).values(**values))
        await session.refresh(grant)
        authority.outbox.add(
            session,
            type=f"dpa.identity.grant.{decision}.v1",
            tenant=principal.organisation_id,
            actor=principal.actor,
            subject=str(grant.id),
            data=grant_decision(grant),
        )
    if decision is GrantStatus.revoked:
        authority.revocations.revoke_grant(str(grant.id))
    return grant


class GrantNoLongerValid(IdentityRuleBroken):
    """A token was asked for under a grant that is not approved or has ended: refused, and filed
    in the customer's log as an access attempt (TOM-T3c)."""

    def __init__(self, grant: Grant, reason: GrantEnd) -> None:
        super().__init__("this grant is not approved or no longer valid")
        self.grant_id = str(grant.id)
        self.customer_id = str(grant.organisation_id)
        self.reason = reason


def _ended(grant: Grant, now: datetime) -> GrantEnd | None:
    """Why no token may be issued under ``grant`` now, if it may not."""
    if grant.status is GrantStatus.revoked:
        return "revoked"
    if grant.status is GrantStatus.expired:
        return "expired"
    if grant.status is not GrantStatus.approved or grant.expires_at is None:
        return "not_approved"
    return "expired" if as_utc(grant.expires_at) <= now else None


async def grant_token(
    *, session: AsyncSession, authority: Authority, principal: Principal, grant_id: uuid.UUID
) -> tuple[str, Grant]:
    """An access token under an approved, unexpired grant, for the operator who asked for it,
    in a session proven with a second factor (TOM-T2b): a stolen password alone never reaches a
    customer's data."""
    if not is_multi_factor(principal.methods):
        raise SecondFactorNeeded("sign in with your second factor to use a grant")
    async with session.begin():
        await _operator_org(session, principal)
        grant = await session.get(Grant, grant_id)
        if grant is None or str(grant.operator_id) != principal.user_id:
            raise GrantNotFound(grant_id)
        await _customer(session, grant.organisation_id)  # a disabled customer: no token
        ended = _ended(grant, _now())
        if ended is not None or grant.expires_at is None:
            raise GrantNoLongerValid(grant, ended or "not_approved")
        token = authority.signer.issue(
            user_id=principal.user_id,
            organisation_id=str(grant.organisation_id),
            roles=grant_roles(grant.access),
            session_id=principal.session_id,
            ttl=authority.access_ttl,
            actor_type=ActorType.operator,
            grant_id=str(grant.id),
            methods=principal.methods,
            home_organisation_id=principal.organisation_id,
            expires_at=as_utc(grant.expires_at),
            name=principal.display_name,
        )
        authority.outbox.add(
            session,
            type=GRANT_ACTIVATED,
            tenant=str(grant.organisation_id),
            actor=principal.actor.model_copy(
                update={"type": ActorType.operator, "grant_id": str(grant.id)}
            ),
            subject=str(grant.id),
            data=GrantUsed(grant_id=grant.id, session_id=uuid.UUID(principal.session_id)),
        )
    return token, grant


async def end_grants_of(
    *, session: AsyncSession, authority: Authority, organisation_id: uuid.UUID, actor: Actor
) -> list[uuid.UUID]:
    """The customer organisation was disabled: every running grant on it is revoked, each with
    its ``grant.revoked`` (which every service honours), in the caller's transaction."""
    running = list(
        (
            await session.scalars(
                select(Grant)
                .where(
                    col(Grant.organisation_id) == organisation_id,
                    col(Grant.status) == GrantStatus.approved,
                )
                .with_for_update()
            )
        ).all()
    )
    now = _now()
    for grant in running:
        grant.status, grant.decided_at = GrantStatus.revoked, now
        authority.outbox.add(
            session,
            type=GRANT_REVOKED,
            tenant=str(organisation_id),
            actor=actor,
            subject=str(grant.id),
            data=grant_decision(grant),
        )
        authority.revocations.revoke_grant(str(grant.id))
    await session.flush()
    return [grant.id for grant in running]


async def expire_grants(*, sessions: async_sessionmaker[AsyncSession], authority: Authority) -> int:
    """Mark grants past their end as expired, each with its event."""
    async with sessions() as session, session.begin():
        due = list(
            (
                await session.scalars(
                    select(Grant).where(
                        col(Grant.status) == GrantStatus.approved,
                        col(Grant.expires_at) <= _now(),
                    )
                )
            ).all()
        )
        for grant in due:
            await session.execute(
                update(Grant)
                .where(col(Grant.id) == grant.id, col(Grant.status) == GrantStatus.approved)
                .values(status=GrantStatus.expired)
            )
            authority.outbox.add(
                session,
                type=GRANT_EXPIRED,
                tenant=str(grant.organisation_id),
                actor=authority.system,
                subject=str(grant.id),
                data=grant_decision(grant),
            )
    return len(due)
