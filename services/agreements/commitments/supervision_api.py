"""HTTP routes of the controller's side of art. 6 (DPA-18): its own measures, its reviews of the
processor's Annex 2 measures, and the risk assessment Annex 2 is matched to."""

import uuid

from fastapi import APIRouter, status

from services.agreements.access import Admin, Reader
from services.agreements.commitments import supervision
from services.agreements.commitments.schemas import (
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
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/agreements/{agreement_id}", tags=["commitments"])
CREATED = status.HTTP_201_CREATED


@router.post("/controller-measures", status_code=CREATED, response_model=ControllerMeasurePublic)
async def record_controller_measure(
    agreement_id: uuid.UUID,
    body: ControllerMeasureCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ControllerMeasurePublic:
    """As controller: record a measure of your own, your side of art. 6 (DPA-18)."""
    return await supervision.record_measure(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        body=body,
    )


@router.get("/controller-measures", response_model=ControllerMeasureList)
async def list_controller_measures(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ControllerMeasureList:
    """The controller's own measures, oldest first, a page at a time (``next_cursor``)."""
    return await supervision.list_measures(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )


@router.post("/measure-reviews", status_code=CREATED, response_model=MeasureReviewPublic)
async def review_measure(
    agreement_id: uuid.UUID,
    body: MeasureReviewCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> MeasureReviewPublic:
    """As controller: record your review of a processor's Annex 2 measure, what you found and
    the follow-up you ask by a due date (DPA-18)."""
    return await supervision.review(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        body=body,
    )


@router.post("/measure-reviews/{review_id}/closure", response_model=MeasureReviewPublic)
async def close_measure_review(
    agreement_id: uuid.UUID,
    review_id: uuid.UUID,
    body: MeasureReviewClosure,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> MeasureReviewPublic:
    """As controller: close a review once its follow-up is done."""
    return await supervision.close_review(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        review_id=review_id,
        body=body,
    )


@router.get("/measure-reviews", response_model=MeasureReviewList)
async def list_measure_reviews(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> MeasureReviewList:
    """The controller's reviews of Annex 2 measures, oldest first, a page at a time."""
    return await supervision.list_reviews(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )


@router.post("/risk-assessments", status_code=CREATED, response_model=RiskAssessmentPublic)
async def assess_risks(
    agreement_id: uuid.UUID,
    body: RiskAssessmentCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> RiskAssessmentPublic:
    """As either party: record the risks of the processing, their likelihood and impact, and the
    Annex 2 measures addressing each; it replaces the assessment before (DPA-18)."""
    return await supervision.assess(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        body=body,
    )


@router.get("/risk-assessments", response_model=RiskAssessmentList)
async def list_risk_assessments(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> RiskAssessmentList:
    """Every risk assessment recorded, oldest first, a page at a time (``next_cursor``)."""
    return await supervision.list_assessments(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )


@router.get("/risk-assessments/current", response_model=RiskAssessmentPublic)
async def current_risk_assessment(
    agreement_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> RiskAssessmentPublic:
    """The newest risk assessment, the one Annex 2 is matched to (404 until one is recorded)."""
    return await supervision.current_assessment(
        session=session, outbox=runtime.outbox, principal=principal, agreement_id=agreement_id
    )
