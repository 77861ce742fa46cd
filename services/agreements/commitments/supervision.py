"""The controller's side of art. 6 (DPA-18): its own measures, its reviews of the processor's
Annex 2 measures with their follow-up, and the risk assessment Annex 2 is matched to.

The controller records its measures and reviews; a risk assessment may be recorded by either
party (both answer for Annex 2 being "op het risico afgestemd"). Names and free text stay in the
agreement's records; the events name the records, dates and counts.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.agreements import domain
from services.agreements.access import caller_party, find, record_read, require, tenant_of
from services.agreements.clocks import BRUSSELS
from services.agreements.commitments import oversight
from services.agreements.commitments import store as records
from services.agreements.commitments.oversight import Rating
from services.agreements.commitments.pages import read_page
from services.agreements.commitments.schemas import (
    AssessedRisk,
    ControllerMeasureCreate,
    ControllerMeasureList,
    ControllerMeasurePublic,
    MeasureReviewClosure,
    MeasureReviewCreate,
    MeasureReviewList,
    MeasureReviewPublic,
    RiskAssessmentCreate,
    RiskAssessmentList,
    RiskAssessmentPublic,
)
from services.agreements.commitments.store import ControllerMeasure, MeasureReview, RiskAssessment
from services.agreements.commitments.tom_catalogue import BY_ID
from services.agreements.domain import Party
from services.agreements.lifecycle.store import Agreement
from shared import pagination
from shared.auth import Principal
from shared.event_types.agreements import CONTROLLER_MEASURE_CREATED, RISK_ASSESSMENT_CREATED
from shared.events import Actor
from shared.events.contracts.agreements import (
    ControllerMeasureRecorded,
    MeasureReviewStep,
    RiskAssessmentRecorded,
)
from shared.outbox import Outbox

Recorded = TypeVar("Recorded", ControllerMeasure, MeasureReview, RiskAssessment)


async def _page_of(
    model: type[Recorded],
    view: Callable[[Recorded], Any],
    *,
    record: str,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """A page of one of the supervision lists, oldest first, and the cursor of the next (the
    read is recorded)."""
    rows, last = await read_page(
        model,
        session=session,
        outbox=outbox,
        principal=principal,
        agreement_id=agreement_id,
        record=record,
        sort=col(model.recorded_at),
        limit=limit,
        after=pagination.moment_and_uuid(cursor) if cursor else None,
    )
    following = pagination.after_moment(last.recorded_at, last.id) if last else None
    return [view(row) for row in rows], following


async def record_measure(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    body: ControllerMeasureCreate,
) -> ControllerMeasurePublic:
    """As controller: record a measure of your own."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.controller)
        domain.check_not_ended(agreement.status, action="record measures")
        row = ControllerMeasure(
            agreement_id=agreement.id,
            title=body.title,
            description=body.description,
            in_place_since=body.in_place_since,
            recorded_by=principal.user_id,
            recorded_at=now,
        )
        session.add(row)
        await session.flush()
        outbox.add(
            session,
            type=CONTROLLER_MEASURE_CREATED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=ControllerMeasureRecorded(agreement_id=agreement.id, controller_measure_id=row.id),
        )
        return ControllerMeasurePublic.model_validate(row)


async def list_measures(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: str | None,
) -> ControllerMeasureList:
    """A page of the controller's measures, oldest first (the read is recorded)."""
    items, following = await _page_of(
        ControllerMeasure,
        ControllerMeasurePublic.model_validate,
        record="controller_measure",
        session=session,
        outbox=outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )
    return ControllerMeasureList(items=items, next_cursor=following)


def _emit_review(
    session: AsyncSession, outbox: Outbox, actor: Actor, verb: str, agreement: Agreement,
    review: MeasureReview,
) -> None:  # fmt: skip
    assert agreement.controller_id is not None
    assert agreement.processor_id is not None
    outbox.add(
        session,
        type=f"dpa.agreements.measure_review.{verb}.v1",
        tenant=tenant_of(agreement),
        actor=actor,
        subject=str(agreement.id),
        data=MeasureReviewStep(
            agreement_id=agreement.id,
            review_id=review.id,
            measure_id=review.measure_id,
            reviewed_on=review.reviewed_on,
            follow_up_due_on=review.follow_up_due_on,
            controller_id=agreement.controller_id,
            processor_id=agreement.processor_id,
        ),
    )


async def review(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    body: MeasureReviewCreate,
) -> MeasureReviewPublic:
    """As controller: record your review of an Annex 2 measure and the follow-up you ask."""
    now = datetime.now(UTC)
    oversight.check_measures_known([body.measure_id], BY_ID)
    oversight.check_not_in_future(
        "reviewed_on", body.reviewed_on, today=now.astimezone(BRUSSELS).date()
    )
    oversight.check_follow_up(
        follow_up=body.follow_up, due_on=body.follow_up_due_on, reviewed_on=body.reviewed_on
    )
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.controller)
        domain.check_not_ended(agreement.status, action="review measures")
        row = MeasureReview(
            agreement_id=agreement.id,
            measure_id=body.measure_id,
            reviewed_on=body.reviewed_on,
            reviewer=body.reviewer,
            finding=body.finding,
            follow_up=body.follow_up,
            follow_up_due_on=body.follow_up_due_on,
            recorded_by=principal.user_id,
            recorded_at=now,
        )
        session.add(row)
        await session.flush()
        _emit_review(session, outbox, principal.actor, "reported", agreement, row)
        return MeasureReviewPublic.model_validate(row)


async def close_review(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    review_id: uuid.UUID,
    body: MeasureReviewClosure,
) -> MeasureReviewPublic:
    """As controller: close a review once its follow-up is done (or none was needed)."""
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.controller)
        row = await records.one(
            MeasureReview, session=session, agreement_id=agreement.id, row_id=review_id
        )
        if row is None:
            raise domain.NotFound("Review")
        oversight.check_can_close(closed=row.closed_at is not None)
        row.closed_by, row.closed_at = principal.user_id, datetime.now(UTC)
        row.closing_note = body.note or None
        _emit_review(session, outbox, principal.actor, "closed", agreement, row)
        await session.flush()
        return MeasureReviewPublic.model_validate(row)


async def list_reviews(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: str | None,
) -> MeasureReviewList:
    """A page of the controller's reviews, oldest first (the read is recorded)."""
    items, following = await _page_of(
        MeasureReview,
        MeasureReviewPublic.model_validate,
        record="measure_review",
        session=session,
        outbox=outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )
    return MeasureReviewList(items=items, next_cursor=following)


def assessment_view(row: RiskAssessment) -> RiskAssessmentPublic:
    risks = [
        AssessedRisk.model_validate(
            risk
            | {
                "level": oversight.risk_level(
                    likelihood=Rating(risk["likelihood"]), impact=Rating(risk["impact"])
                )
            }
        )
        for risk in row.risks
    ]
    return RiskAssessmentPublic(
        id=row.id,
        risks=risks,
        unaddressed=oversight.unaddressed([risk.measure_ids for risk in risks]),
        reviewed_on=row.reviewed_on,
        reviewed_by=row.reviewed_by,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


async def assess(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    body: RiskAssessmentCreate,
) -> RiskAssessmentPublic:
    """As either party: record a risk assessment; it replaces the one before, which is kept."""
    now = datetime.now(UTC)
    oversight.check_measures_known((m for r in body.risks for m in r.measure_ids), BY_ID)
    oversight.check_not_in_future(
        "reviewed_on", body.reviewed_on, today=now.astimezone(BRUSSELS).date()
    )
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        if caller_party(agreement, principal) is None:
            raise domain.NotAllowed("only a party may do this")
        domain.check_not_ended(agreement.status, action="assess risks")
        row = RiskAssessment(
            agreement_id=agreement.id,
            risks=[risk.model_dump(mode="json") for risk in body.risks],
            reviewed_on=body.reviewed_on,
            reviewed_by=body.reviewed_by,
            recorded_by=principal.user_id,
            recorded_at=now,
        )
        session.add(row)
        await session.flush()
        view = assessment_view(row)
        outbox.add(
            session,
            type=RISK_ASSESSMENT_CREATED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=RiskAssessmentRecorded(
                agreement_id=agreement.id,
                risk_assessment_id=row.id,
                reviewed_on=row.reviewed_on,
                risks=len(view.risks),
                high_risks=sum(1 for risk in view.risks if risk.level is Rating.high),
                unaddressed=len(view.unaddressed),
            ),
        )
        return view


async def list_assessments(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: str | None,
) -> RiskAssessmentList:
    """A page of the risk assessments, oldest first (the read is recorded)."""
    items, following = await _page_of(
        RiskAssessment,
        assessment_view,
        record="risk_assessment",
        session=session,
        outbox=outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )
    return RiskAssessmentList(items=items, next_cursor=following)


async def current_assessment(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, agreement_id: uuid.UUID
) -> RiskAssessmentPublic:
    """The newest risk assessment, the one Annex 2 is matched to (the read is recorded)."""
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        rows = await records.of_agreement(
            RiskAssessment,
            session=session,
            agreement_id=agreement.id,
            order=col(RiskAssessment.recorded_at),
        )
        if not rows:
            raise domain.NotFound("Risk assessment")
        record_read(
            session,
            outbox,
            principal,
            agreement,
            record="risk_assessment",
            record_ids=[rows[-1].id],
        )
        return assessment_view(rows[-1])
