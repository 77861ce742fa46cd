"""Annex 2 (DPA-6): the catalogue of measures with each agreement's status and evidence.

The processor keeps the controller informed of the measures in place: each statement is a new
row, so the history of a measure's status is never lost, and its event carries the status before
it, so the controller is told when a measure's status changes (DPA-18).
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain
from services.agreements.access import find, record_read, require, tenant_of
from services.agreements.commitments import store as records
from services.agreements.commitments.schemas import MeasurePublic, MeasureStatement, MeasureUpdate
from services.agreements.commitments.store import MeasureRecord
from services.agreements.commitments.tom_catalogue import BY_ID, CATALOGUE
from services.agreements.domain import Party
from services.agreements.lifecycle.store import Agreement
from shared.auth import Principal
from shared.event_types.agreements import MEASURE_UPDATED
from shared.events.contracts.agreements import MeasureUpdated
from shared.outbox import Outbox


async def annex2(session: AsyncSession, agreement: Agreement) -> list[MeasurePublic]:
    """The catalogue merged with the agreement's statements, newest statement first."""
    rows = await records.of_agreement(
        MeasureRecord, session=session, agreement_id=agreement.id, order=MeasureRecord.recorded_at
    )
    views = []
    for measure in CATALOGUE:
        statements = [r for r in reversed(rows) if r.measure_id == measure.id]
        view = MeasurePublic(
            id=measure.id,
            kind=measure.kind,
            title=measure.title,
            source=measure.source,
            history=[MeasureStatement.model_validate(s) for s in statements],
        )
        if statements:
            view.status = statements[0].status  # type: ignore[assignment]
            view.evidence = statements[0].evidence
        views.append(view)
    return views


async def list_measures(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, agreement_id: uuid.UUID
) -> list[MeasurePublic]:
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        views = await annex2(session, agreement)
        record_read(session, outbox, principal, agreement, record="measure", record_ids=[])
        return views


async def state(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    measure_id: str,
    body: MeasureUpdate,
) -> MeasurePublic:
    if measure_id not in BY_ID:
        raise domain.NotFound("Measure")
    if body.status in {"implemented", "partial"} and not body.evidence:
        raise domain.AgreementRuleBroken("give the evidence of an implemented measure")
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        domain.check_not_ended(agreement.status, action="state measures")
        before = next(m for m in await annex2(session, agreement) if m.id == measure_id)
        previous = before.status if before.history else None
        session.add(
            MeasureRecord(
                agreement_id=agreement.id,
                measure_id=measure_id,
                status=body.status,
                evidence=body.evidence,
                recorded_by=principal.user_id,
                recorded_at=datetime.now(UTC),
            )
        )
        outbox.add(
            session,
            type=MEASURE_UPDATED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=MeasureUpdated(
                agreement_id=agreement.id,
                measure_id=measure_id,
                status=body.status,
                previous_status=previous,
                controller_id=agreement.controller_id,
            ),
        )
        await session.flush()
        return next(m for m in await annex2(session, agreement) if m.id == measure_id)
