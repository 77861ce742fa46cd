"""HTTP route of the retention schedule (TOM-T1, DPA-4b): per Annex 1 category, how long a
record's free text is kept and where the sweep stands."""

import uuid

from fastapi import APIRouter

from services.agreements.access import Reader
from services.agreements.retention import schedule
from services.agreements.retention.schemas import RetentionSchedule
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/agreements/{agreement_id}", tags=["retention"])


@router.get("/retention", response_model=RetentionSchedule)
async def retention_schedule(
    agreement_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> RetentionSchedule:
    """Either party: the retention of each Annex 1 category of the version in force, the
    records waiting for it and when their free text was last deleted."""
    return await schedule.schedule(
        session=session,
        principal=principal,
        agreement_id=agreement_id,
        fallback_days=getattr(runtime.settings, "record_retention_days", 1825),
    )
