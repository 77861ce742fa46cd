"""Request and response bodies for breach reports, their phases and the controllers' clocks."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.agreements.lifecycle.schemas import Name, Text
from shared.pagination import NEXT_CURSOR_DESCRIPTION

Count = int


class BreachCreate(BaseModel):
    """The processor's report: the fields of art. 33(3) GDPR and when it became aware."""

    model_config = ConfigDict(extra="forbid")

    aware_at: AwareDatetime
    nature: Name
    data_categories: list[Name] = Field(min_length=1, max_length=100)
    data_subject_categories: list[Name] = Field(min_length=1, max_length=100)
    approx_data_subjects: int = Field(ge=0, le=1_000_000_000)
    approx_records: int = Field(ge=0, le=2_000_000_000)
    consequences: Name
    measures: Name
    contact_point: Name = Field(description="Who the controller can contact (kept out of events).")
    agreement_ids: list[UUID] | None = Field(
        default=None,
        description="The affected agreements; by default every live agreement of yours whose "
        "Annex 1 data categories the breach touches.",
    )


class BreachPhaseCreate(BaseModel):
    """A further phase (art. 33(4)): only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    nature: Name | None = None
    approx_data_subjects: int | None = Field(default=None, ge=0, le=1_000_000_000)
    approx_records: int | None = Field(default=None, ge=0, le=2_000_000_000)
    consequences: Name | None = None
    measures: Name | None = None
    contact_point: Name | None = None
    note: Text | None = None


class AuthorityNotification(BaseModel):
    """The controller's record of whether and when it notified its supervisory authority."""

    model_config = ConfigDict(extra="forbid")

    notified_authority: bool
    notified_at: AwareDatetime | None = None
    reason: Text | None = Field(
        default=None, description="Why not notified, or why later than 72 hours."
    )


class BreachNoticePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    agreement_id: UUID
    controller_id: UUID
    notified_at: datetime
    processor_deadline: datetime
    processor_late: bool
    authority_deadline: datetime
    authority_status: Literal["pending", "notified", "not_notified"]
    authority_overdue: bool = False
    authority_notified_at: datetime | None
    authority_reason: str | None
    authority_late: bool


class BreachPhasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    phase: int
    fields: list[str]
    note: str | None
    added_at: datetime


class BreachPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    processor_id: UUID
    reported_at: datetime
    aware_at: datetime
    nature: str
    data_categories: list[str]
    data_subject_categories: list[str]
    approx_data_subjects: Count
    approx_records: Count
    consequences: str
    measures: str
    contact_point: str | None
    phase: int
    phases: list[BreachPhasePublic] = Field(default_factory=list)
    notices: list[BreachNoticePublic] = Field(default_factory=list)


class BreachList(BaseModel):
    items: list[BreachPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)
