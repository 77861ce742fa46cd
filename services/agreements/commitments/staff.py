"""Staff with access (DPA-8, DPA-9): the processor lists the people or departments that need
access for their tasks, each bound to confidentiality and informed of the GDPR; the controller
reads the list at any time. Removing someone keeps the row (when access ended) until retention.
An entry that names an identity user also ends when identity disables or removes that user
(consumers.py)."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.agreements import domain
from services.agreements.access import find, require, tenant_of
from services.agreements.commitments import store as records
from services.agreements.commitments.pages import read_page
from services.agreements.commitments.schemas import StaffList, StaffMemberCreate, StaffMemberPublic
from services.agreements.commitments.store import StaffMember
from services.agreements.domain import Party
from services.agreements.lifecycle.store import Agreement
from shared import pagination
from shared.auth import Principal
from shared.event_types.agreements import STAFF_MEMBER_CREATED, STAFF_MEMBER_REMOVED
from shared.events import Actor
from shared.events.contracts.agreements import StaffMemberChanged
from shared.outbox import Outbox


async def add(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    body: StaffMemberCreate,
) -> StaffMemberPublic:
    now = datetime.now(UTC)
    if not body.gdpr_briefed:
        raise domain.AgreementRuleBroken("staff with access must be informed of the GDPR first")
    if body.confidentiality_signed_on > now.date():
        raise domain.AgreementRuleBroken("confidentiality_signed_on lies in the future")
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        domain.check_not_ended(agreement.status, action="grant access")
        member = StaffMember(
            agreement_id=agreement.id,
            added_by=principal.user_id,
            added_at=now,
            **body.model_dump(exclude={"user_id"}),
            user_id=str(body.user_id) if body.user_id is not None else None,
        )
        session.add(member)
        await session.flush()
        outbox.add(
            session,
            type=STAFF_MEMBER_CREATED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=StaffMemberChanged(
                agreement_id=agreement.id,
                staff_member_id=member.id,
                confidentiality_signed_on=member.confidentiality_signed_on,
            ),
        )
        return StaffMemberPublic.model_validate(member)


async def remove(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    member_id: uuid.UUID,
) -> StaffMemberPublic:
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        member = await records.one(
            StaffMember, session=session, agreement_id=agreement.id, row_id=member_id
        )
        if member is None:
            raise domain.NotFound("Staff member")
        if member.removed_at is not None:
            raise domain.StateConflict("access was already withdrawn")
        end_access(
            session,
            outbox,
            member=member,
            agreement=agreement,
            actor=principal.actor,
            now=datetime.now(UTC),
        )
        return StaffMemberPublic.model_validate(member)


def end_access(
    session: AsyncSession,
    outbox: Outbox,
    *,
    member: StaffMember,
    agreement: Agreement,
    actor: Actor,
    now: datetime,
    correlation_id: str | None = None,
) -> None:
    """End one entry's access and record it, in the caller's transaction (DPA-8)."""
    member.removed_at = now
    outbox.add(
        session,
        type=STAFF_MEMBER_REMOVED,
        tenant=tenant_of(agreement),
        actor=actor,
        subject=str(agreement.id),
        data=StaffMemberChanged(agreement_id=agreement.id, staff_member_id=member.id),
        correlation_id=correlation_id,
    )


async def list_staff(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> StaffList:
    """A page of the staff with access, in the order they were added (the read is recorded)."""
    rows, last = await read_page(
        StaffMember,
        session=session,
        outbox=outbox,
        principal=principal,
        agreement_id=agreement_id,
        record="staff_member",
        sort=col(StaffMember.added_at),
        limit=limit,
        after=pagination.moment_and_uuid(cursor) if cursor else None,
    )
    return StaffList(
        items=[StaffMemberPublic.model_validate(r) for r in rows],
        next_cursor=pagination.after_moment(last.added_at, last.id) if last else None,
    )
