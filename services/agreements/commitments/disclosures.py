"""Legally required disclosures (DPA-4a): the processor records the demand; the controller is
told beforehand unless the law forbids it, in which case the record and its event stay with the
processor until the prohibition is lifted. The outcome is recorded."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.agreements import domain
from services.agreements.access import caller_party, find, require, tenant_of
from services.agreements.commitments import store as records
from services.agreements.commitments.pages import read_page
from services.agreements.commitments.schemas import (
    DisclosureCreate,
    DisclosureList,
    DisclosureOutcomeUpdate,
    DisclosurePublic,
)
from services.agreements.commitments.store import Disclosure
from services.agreements.domain import Party
from services.agreements.lifecycle.store import Agreement
from shared import pagination
from shared.auth import Principal
from shared.event_types.agreements import DISCLOSURE_REPORTED, DISCLOSURE_UPDATED
from shared.events.contracts.agreements import DisclosureOutcome, DisclosureRecorded
from shared.outbox import Outbox


def _tenant(agreement: Agreement, disclosure: Disclosure) -> str:
    """A disclosure the law keeps from the controller is not filed in the controller's log."""
    if disclosure.prohibited_by_law:
        return str(agreement.processor_id)
    return tenant_of(agreement)


async def record(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    body: DisclosureCreate,
) -> DisclosurePublic:
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        domain.check_not_ended(agreement.status, action="record disclosures")
        disclosure = Disclosure(
            agreement_id=agreement.id,
            recorded_by=principal.user_id,
            recorded_at=now,
            controller_informed_at=None if body.prohibited_by_law else now,
            **body.model_dump(),
        )
        session.add(disclosure)
        await session.flush()
        outbox.add(
            session,
            type=DISCLOSURE_REPORTED,
            tenant=_tenant(agreement, disclosure),
            actor=principal.actor,
            subject=str(agreement.id),
            data=DisclosureRecorded(
                agreement_id=agreement.id,
                disclosure_id=disclosure.id,
                controller_informed=not body.prohibited_by_law,
                prohibited_by_law=body.prohibited_by_law,
            ),
        )
        return DisclosurePublic.model_validate(disclosure)


async def settle(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    disclosure_id: uuid.UUID,
    body: DisclosureOutcomeUpdate,
) -> DisclosurePublic:
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        disclosure = await records.one(
            Disclosure, session=session, agreement_id=agreement.id, row_id=disclosure_id
        )
        if disclosure is None:
            raise domain.NotFound("Disclosure")
        if disclosure.outcome is not None:
            raise domain.StateConflict("the outcome is already recorded")
        disclosure.outcome = body.outcome
        disclosure.outcome_note = body.note
        disclosure.outcome_at = now
        if body.prohibition_lifted and disclosure.prohibited_by_law:
            disclosure.prohibited_by_law = False
            disclosure.controller_informed_at = now
        outbox.add(
            session,
            type=DISCLOSURE_UPDATED,
            tenant=_tenant(agreement, disclosure),
            actor=principal.actor,
            subject=str(agreement.id),
            data=DisclosureOutcome(
                agreement_id=agreement.id, disclosure_id=disclosure.id, outcome=body.outcome
            ),
        )
        return DisclosurePublic.model_validate(disclosure)


def _kept_from_the_controller(agreement: Agreement, principal: Principal) -> tuple[Any, ...]:
    """What the controller's pages leave out: demands the law keeps from it (DPA-4a)."""
    if caller_party(agreement, principal) is Party.processor:
        return ()
    return (col(Disclosure.prohibited_by_law).is_(False),)


async def list_disclosures(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> DisclosureList:
    """A page of the disclosure demands, oldest first (the read is recorded); the controller's
    pages leave out those the law keeps from it."""
    rows, last = await read_page(
        Disclosure,
        session=session,
        outbox=outbox,
        principal=principal,
        agreement_id=agreement_id,
        record="disclosure",
        sort=col(Disclosure.recorded_at),
        limit=limit,
        after=pagination.moment_and_uuid(cursor) if cursor else None,
        hidden=_kept_from_the_controller,
    )
    return DisclosureList(
        items=[DisclosurePublic.model_validate(r) for r in rows],
        next_cursor=pagination.after_moment(last.recorded_at, last.id) if last else None,
    )
