"""The retention schedule of an agreement as both parties read it (TOM-T1, DPA-4b)."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class CategoryRetention(BaseModel):
    name: str = Field(description="The Annex 1 category of personal data.")
    retention_days: int | None = Field(
        description="The period Annex 1 gives in days; null when it gives none in days."
    )
    retention_note: str | None = Field(
        description="The period as Annex 1 says it in words; else null."
    )
    kept_days: int = Field(
        description="The days a record of this category keeps its free text after it ended: "
        "retention_days, else the service's fallback period. A record of several categories "
        "keeps it for the longest of theirs."
    )
    records_waiting: int = Field(
        description="Records of this category that ended and still hold their free text."
    )
    next_due_at: datetime | None = Field(
        description="When the next of those records has its free text deleted; else null."
    )
    records_open: int = Field(
        description="Records of this category still open (their period starts when they end)."
    )
    last_applied_at: datetime | None = Field(
        description="When the free text of a record of this category was last deleted; else null."
    )
    records_applied: int = Field(
        description="Records of this category whose free text was deleted at the end of its "
        "retention."
    )


class RetentionSchedule(BaseModel):
    agreement_id: UUID = Field(description="The agreement.")
    version: int = Field(description="The version whose Annex 1 gives the periods.")
    fallback_days: int = Field(
        description="The days a record keeps its free text when none of its categories has a "
        "period in days (PACTUM_AGREEMENTS_RECORD_RETENTION_DAYS)."
    )
    records: list[str] = Field(
        description="The kinds of record the schedule applies to: subject_request (DPA-15) and "
        "assistance_request (DPIA, prior consultation, claim: DPA-16, DPA-19)."
    )
    categories: list[CategoryRetention] = Field(description="Annex 1's categories, in its order.")
    uncategorised: CategoryRetention | None = Field(
        description="Records that name no category (made before categories were recorded) or a "
        "category Annex 1 no longer lists; they keep the fallback period. Null when none."
    )
