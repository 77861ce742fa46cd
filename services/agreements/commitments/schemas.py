"""Bodies for instructions, Annex 2 measures, staff with access and disclosures."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.agreements.commitments.oversight import Rating
from services.agreements.domain import ConcernAnswer, InstructionStanding
from services.agreements.lifecycle.schemas import Name, Text
from shared.pagination import NEXT_CURSOR_DESCRIPTION

MeasureStatus = Literal["planned", "partial", "implemented", "not_applicable"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class InstructionCreate(_Body):
    text: Name = Field(max_length=4000)
    supersedes_id: UUID | None = None


class InstructionPublic(_Out):
    id: UUID
    number: int
    text: str
    supersedes_id: UUID | None
    issued_by: str
    issued_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    standing: InstructionStanding = Field(
        default=InstructionStanding.in_effect,
        description="in_effect; on_hold while the processor's concern awaits the controller's "
        "answer (DPA-14); withdrawn once the controller withdrew or amended it.",
    )
    concern: str | None = None
    concern_raised_by: str | None = None
    concern_raised_at: datetime | None = None
    concern_answer: ConcernAnswer | None = None
    concern_answer_note: str | None = None
    concern_answered_by: str | None = None
    concern_answered_at: datetime | None = None


class Concern(_Body):
    """The processor's opinion that the instruction infringes the GDPR, and why (DPA-14)."""

    reason: Name = Field(max_length=4000)


class ConcernReply(_Body):
    """The controller's answer: confirm the instruction, amend it (a new instruction with
    ``text`` replaces it) or withdraw it."""

    outcome: ConcernAnswer
    text: Name | None = Field(default=None, max_length=4000)
    note: Text | None = None


class MeasureUpdate(_Body):
    status: MeasureStatus
    evidence: Text = ""


class MeasureStatement(_Out):
    status: str
    evidence: str
    recorded_by: str
    recorded_at: datetime


class MeasurePublic(BaseModel):
    id: str
    kind: str
    title: str
    source: str
    status: MeasureStatus = "planned"
    evidence: str = ""
    history: list[MeasureStatement] = Field(default_factory=list)


class StaffMemberCreate(_Body):
    name: Name = Field(description="A person's name or a department.")
    user_id: UUID | None = Field(
        default=None,
        description=(
            "The identity user this entry is, if it is a person with an account: the entry then "
            "ends when identity disables or removes that user. A department has none."
        ),
    )
    function: Name
    confidentiality_signed_on: date
    gdpr_briefed: bool = Field(description="Informed of the GDPR (DPA-9); must be true.")


class StaffMemberPublic(_Out):
    id: UUID
    name: str
    user_id: str | None
    function: str
    confidentiality_signed_on: date
    gdpr_briefed: bool
    added_at: datetime
    removed_at: datetime | None


class DisclosureCreate(_Body):
    authority: Name
    legal_basis: Name
    scope: Name
    prohibited_by_law: bool = Field(
        default=False, description="The law forbids telling the controller beforehand."
    )


class DisclosureOutcomeUpdate(_Body):
    outcome: Literal["complied", "refused", "contested", "withdrawn"]
    note: Text | None = None
    prohibition_lifted: bool = False


class DisclosurePublic(_Out):
    id: UUID
    authority: str
    legal_basis: str
    scope: str
    prohibited_by_law: bool
    controller_informed_at: datetime | None
    outcome: str | None
    outcome_note: str | None
    recorded_at: datetime
    outcome_at: datetime | None


class InstructionList(BaseModel):
    items: list[InstructionPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class MeasureList(BaseModel):
    """Annex 2 in full: one item per measure of the catalogue, so never more than it holds."""

    items: list[MeasurePublic]


class StaffList(BaseModel):
    items: list[StaffMemberPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class DisclosureList(BaseModel):
    items: list[DisclosurePublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


# DPA-18: the controller's own measures, its reviews of the processor's, the risk assessment.


class ControllerMeasureCreate(_Body):
    title: Name = Field(examples=["Quarterly access review of the booking tool"])
    description: Text = ""
    in_place_since: date | None = None


class ControllerMeasurePublic(_Out):
    id: UUID
    title: str
    description: str
    in_place_since: date | None
    recorded_by: str
    recorded_at: datetime


class ControllerMeasureList(BaseModel):
    items: list[ControllerMeasurePublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class MeasureReviewCreate(_Body):
    measure_id: str = Field(max_length=20, description="The Annex 2 measure reviewed.")
    reviewed_on: date
    reviewer: Name = Field(description="Who reviewed it for the controller.")
    finding: Name = Field(max_length=4000)
    follow_up: Name | None = Field(
        default=None, max_length=4000, description="What the processor must do, if anything."
    )
    follow_up_due_on: date | None = None


class MeasureReviewClosure(_Body):
    note: Text = ""


class MeasureReviewPublic(_Out):
    id: UUID
    measure_id: str
    reviewed_on: date
    reviewer: str
    finding: str
    follow_up: str | None
    follow_up_due_on: date | None
    recorded_by: str
    recorded_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    closing_note: str | None


class MeasureReviewList(BaseModel):
    items: list[MeasureReviewPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class Risk(_Body):
    description: Name = Field(max_length=1000, examples=["Loss of the booking data"])
    likelihood: Rating
    impact: Rating
    measure_ids: list[str] = Field(
        default_factory=list, max_length=100, description="The Annex 2 measures addressing it."
    )


class RiskAssessmentCreate(_Body):
    risks: list[Risk] = Field(min_length=1, max_length=100)
    reviewed_on: date
    reviewed_by: Name


class AssessedRisk(Risk):
    level: Rating


class RiskAssessmentPublic(BaseModel):
    id: UUID
    risks: list[AssessedRisk]
    unaddressed: list[int] = Field(description="The risks (from 1) no measure addresses.")
    reviewed_on: date
    reviewed_by: str
    recorded_by: str
    recorded_at: datetime


class RiskAssessmentList(BaseModel):
    """The assessments, oldest first: the newest one counts (``/risk-assessments/current``)."""

    items: list[RiskAssessmentPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)
