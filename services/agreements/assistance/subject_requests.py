"""Data subjects' requests that reach the processor (art. 28(3)(e) GDPR; DPA-15).

The processor's admin records the request, which forwards it to the controller with two
deadlines: the processor's assistance is due within the service's working days
(``PACTUM_AGREEMENTS_SUBJECT_REQUEST_WORKING_DAYS``, default 5), and the controller answers the
data subject within a month of receipt (art. 12(3)). The processor records its assistance, the
controller closes the request; an assistance still missing at its deadline is announced once
(:func:`flag_overdue`, run by the sweep).
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agreements import clocks
from services.agreements.access import find, record_read, require, tenant_of
from services.agreements.assistance import categories, rules
from services.agreements.assistance import store as records
from services.agreements.assistance.schemas import (
    SubjectRequestAssistance,
    SubjectRequestClosure,
    SubjectRequestCreate,
    SubjectRequestList,
    SubjectRequestPublic,
)
from services.agreements.assistance.store import SubjectRequest
from services.agreements.domain import NotFound, Party
from services.agreements.lifecycle.store import Agreement
from shared import pagination
from shared.auth import Principal
from shared.event_types.agreements import SUBJECT_REQUEST_FORWARDED
from shared.events import Actor
from shared.events.contracts.agreements import SubjectRequestForwarded, SubjectRequestStep
from shared.moments import as_utc
from shared.outbox import Outbox


def _stage(row: SubjectRequest) -> rules.SubjectRequestStage:
    return rules.stage(assisted_at=row.assisted_at, closed_at=row.closed_at)


def view(row: SubjectRequest, now: datetime) -> SubjectRequestPublic:
    current = _stage(row)
    return SubjectRequestPublic.model_validate(row).model_copy(
        update={
            "stage": current,
            "overdue": rules.overdue(current=current, due_at=as_utc(row.due_at), now=now),
        }
    )


def _step(
    session: AsyncSession,
    outbox: Outbox,
    actor: Actor,
    verb: str,
    row: SubjectRequest,
    agreement_tenant: str,
    parties: tuple[uuid.UUID, uuid.UUID],
    **facts: object,
) -> None:
    controller_id, processor_id = parties
    outbox.add(
        session,
        type=f"dpa.agreements.subject_request.{verb}.v1",
        tenant=agreement_tenant,
        actor=actor,
        subject=str(row.agreement_id),
        data=SubjectRequestStep.model_validate(
            {
                "agreement_id": row.agreement_id,
                "request_id": row.id,
                "number": row.number,
                "due_at": as_utc(row.due_at),
                "controller_id": controller_id,
                "processor_id": processor_id,
                **facts,
            }
        ),
    )


def _parties(agreement: Agreement) -> tuple[uuid.UUID, uuid.UUID]:
    assert agreement.controller_id is not None
    assert agreement.processor_id is not None
    return agreement.controller_id, agreement.processor_id


async def forward(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    body: SubjectRequestCreate,
    working_days: int,
) -> SubjectRequestPublic:
    """As processor: forward a data subject's request to the controller."""
    now = datetime.now(UTC)
    received_at = as_utc(body.received_at)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        rules.check_can_forward(status=agreement.status, received_at=received_at, now=now)
        controller_id, processor_id = _parties(agreement)
        row = SubjectRequest(
            agreement_id=agreement.id,
            number=await records.last_number(session=session, agreement_id=agreement.id) + 1,
            right=body.right,
            received_at=received_at,
            summary=body.summary,
            data_categories=await categories.chosen(session, agreement, body.data_categories),
            forwarded_by=principal.user_id,
            forwarded_at=now,
            due_at=clocks.working_days_after(now, working_days),
            answer_by=clocks.month_after(received_at),
        )
        session.add(row)
        await session.flush()
        outbox.add(
            session,
            type=SUBJECT_REQUEST_FORWARDED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=SubjectRequestForwarded(
                agreement_id=agreement.id,
                request_id=row.id,
                number=row.number,
                right=row.right,
                received_at=received_at,
                due_at=row.due_at,
                answer_by=row.answer_by,
                controller_id=controller_id,
                processor_id=processor_id,
            ),
        )
        return view(row, now)


async def _request(
    session: AsyncSession, agreement: Agreement, request_id: uuid.UUID
) -> SubjectRequest:
    row = await records.subject_request(
        session=session, agreement_id=agreement.id, request_id=request_id
    )
    if row is None:
        raise NotFound("Data subject request")
    return row


async def assist(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    request_id: uuid.UUID,
    body: SubjectRequestAssistance,
) -> SubjectRequestPublic:
    """As processor: record the assistance given; late if after its deadline."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        row = await _request(session, agreement, request_id)
        rules.check_can_assist(_stage(row))
        row.assistance = body.assistance
        row.assisted_by = principal.user_id
        row.assisted_at = now
        late = now > as_utc(row.due_at)
        _step(
            session, outbox, principal.actor, "assisted", row, tenant_of(agreement),
            _parties(agreement), late=late,
        )  # fmt: skip
        return view(row, now)


async def close(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    request_id: uuid.UUID,
    body: SubjectRequestClosure,
) -> SubjectRequestPublic:
    """As controller: close the request, with how it ended."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.controller)
        row = await _request(session, agreement, request_id)
        rules.check_can_close(_stage(row))
        row.outcome = body.outcome
        row.outcome_note = body.note or None
        row.closed_by = principal.user_id
        row.closed_at = now
        _step(
            session, outbox, principal.actor, "closed", row, tenant_of(agreement),
            _parties(agreement), outcome=body.outcome.value,
        )  # fmt: skip
        return view(row, now)


async def listing(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> SubjectRequestList:
    """The agreement's requests, newest first; the read is recorded (TOM-T3a)."""
    now = datetime.now(UTC)
    before = pagination.number_of(cursor)
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        found = await records.subject_requests(
            session=session, agreement_id=agreement.id, limit=limit + 1, before=before
        )
        rows, last = pagination.split(found, limit)
        record_read(
            session,
            outbox,
            principal,
            agreement,
            record="subject_request",
            record_ids=[row.id for row in rows],
        )
        return SubjectRequestList(
            items=[view(row, now) for row in rows],
            next_cursor=pagination.after_position(last.number) if last else None,
        )


async def flag_overdue(
    *, sessions: async_sessionmaker[AsyncSession], outbox: Outbox, service: str, now: datetime
) -> int:
    """Announce, once each, the requests whose assistance is late (the notifier reminds both
    parties)."""
    actor = Actor.system(service)
    async with sessions() as session, session.begin():
        due = await records.overdue_subject_requests(session=session, now=now)
        for row in due:
            row.overdue_flagged = True
            agreement = await session.get(Agreement, row.agreement_id)
            assert agreement is not None
            _step(session, outbox, actor, "expired", row, tenant_of(agreement), _parties(agreement))
    return len(due)
