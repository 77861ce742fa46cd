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

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "aware_at": "2026-12-04T08:15:00+01:00",
                    "nature": "A laptop with an unencrypted export of the population register",
                    "data_categories": ["identificatiegegevens", "adresgegevens"],
                    "data_subject_categories": ["inwoners"],
                    "approx_data_subjects": 1200,
                    "approx_records": 4800,
                    "consequences": "Risk of identity fraud for the residents concerned",
                    "measures": "Laptop wiped remotely; export deleted; staff briefed",
                    "contact_point": "DPO, dpo@hosting.example, +32 2 000 00 00",
                }
            ]
        },
    )

    aware_at: AwareDatetime = Field(
        description="When you became aware of the breach (with its UTC offset)."
    )
    nature: Name = Field(description="The nature of the breach (art. 33(3)(a) GDPR).")
    data_categories: list[Name] = Field(
        min_length=1, max_length=100, description="The categories of personal data concerned."
    )
    data_subject_categories: list[Name] = Field(
        min_length=1, max_length=100, description="The categories of data subjects concerned."
    )
    approx_data_subjects: int = Field(
        ge=0, le=1_000_000_000, description="Approximate number of data subjects concerned."
    )
    approx_records: int = Field(
        ge=0, le=2_000_000_000, description="Approximate number of personal-data records concerned."
    )
    consequences: Name = Field(description="The likely consequences of the breach (art. 33(3)(c)).")
    measures: Name = Field(description="Measures taken or proposed to address it (art. 33(3)(d)).")
    contact_point: Name = Field(description="Who the controller can contact (kept out of events).")
    agreement_ids: list[UUID] | None = Field(
        default=None,
        description="The affected agreements; by default every live agreement of yours whose "
        "Annex 1 data categories the breach touches.",
    )


class BreachPhaseCreate(BaseModel):
    """A further phase (art. 33(4)): only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    nature: Name | None = Field(
        default=None, description="The nature of the breach, as now known; absent: unchanged."
    )
    approx_data_subjects: int | None = Field(
        default=None,
        ge=0,
        le=1_000_000_000,
        description="Approximate number of data subjects; absent: unchanged.",
    )
    approx_records: int | None = Field(
        default=None,
        ge=0,
        le=2_000_000_000,
        description="Approximate number of records; absent: unchanged.",
    )
    consequences: Name | None = Field(
        default=None, description="The likely consequences, as now known; absent: unchanged."
    )
    measures: Name | None = Field(
        default=None, description="Measures taken or proposed; absent: unchanged."
    )
    contact_point: Name | None = Field(
        default=None, description="Who the controller can contact; absent: unchanged."
    )
    note: Text | None = Field(default=None, description="What this phase adds, in words.")


class AuthorityNotification(BaseModel):
    """The controller's record of whether and when it notified its supervisory authority."""

    model_config = ConfigDict(extra="forbid")

    notified_authority: bool = Field(description="Whether you notified your supervisory authority.")
    notified_at: AwareDatetime | None = Field(
        default=None, description="When you notified it; required when notified_authority is true."
    )
    reason: Text | None = Field(
        default=None, description="Why not notified, or why later than 72 hours."
    )


class BreachNoticePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The notice's id: one per affected agreement.")
    agreement_id: UUID = Field(description="The affected agreement.")
    controller_id: UUID = Field(description="The controller told of the breach.")
    notified_at: datetime = Field(description="When the controller was notified.")
    processor_deadline: datetime = Field(
        description="The processor had to notify by then (the terms' hours)."
    )
    processor_late: bool = Field(description="Whether the processor notified after its deadline.")
    authority_deadline: datetime = Field(
        description="The controller notifies its authority by then (72 hours)."
    )
    authority_status: Literal["pending", "notified", "not_notified"] = Field(
        description="pending, notified or not_notified, as the controller recorded."
    )
    authority_overdue: bool = Field(
        default=False, description="Still pending past the authority deadline."
    )
    authority_notified_at: datetime | None = Field(
        description="When the controller notified its authority; else null."
    )
    authority_reason: str | None = Field(
        description="Why the authority was not, or late, notified; else null."
    )
    authority_late: bool = Field(
        description="Whether the authority was notified after its deadline."
    )


class BreachPhasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    phase: int = Field(description="The phase's number, 1 for the first report.")
    fields: list[str] = Field(description="The fields this phase changed.")
    note: str | None = Field(description="What the phase adds, in words; null when none.")
    added_at: datetime = Field(description="When the phase was added.")


class BreachPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The breach's id.")
    processor_id: UUID = Field(description="The processor that reported it.")
    reported_at: datetime = Field(description="When the processor reported it.")
    aware_at: datetime = Field(description="When the processor became aware of it.")
    nature: str = Field(description="The nature of the breach.")
    data_categories: list[str] = Field(description="The categories of personal data concerned.")
    data_subject_categories: list[str] = Field(
        description="The categories of data subjects concerned."
    )
    approx_data_subjects: Count = Field(
        description="Approximate number of data subjects concerned."
    )
    approx_records: Count = Field(description="Approximate number of records concerned.")
    consequences: str = Field(description="The likely consequences.")
    measures: str = Field(description="Measures taken or proposed.")
    contact_point: str | None = Field(
        description="Who the controller can contact; null when not shown to you."
    )
    phase: int = Field(description="The latest phase's number.")
    text_deleted_at: datetime | None = Field(
        default=None,
        description="When the report's free text was deleted at the end of the longest Annex 1 "
        "period of its categories (TOM-T1); else null.",
    )
    phases: list[BreachPhasePublic] = Field(
        default_factory=list, description="Every phase, first report first."
    )
    notices: list[BreachNoticePublic] = Field(
        default_factory=list, description="The notices, one per affected agreement visible to you."
    )


class BreachList(BaseModel):
    items: list[BreachPublic] = Field(description="The breaches on this page, newest first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)
