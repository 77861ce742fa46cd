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
    text: Name = Field(
        max_length=4000, description="The documented instruction (art. 28(3)(a) GDPR)."
    )
    supersedes_id: UUID | None = Field(
        default=None, description="The instruction this one replaces, if any."
    )


class InstructionPublic(_Out):
    id: UUID = Field(description="The instruction's id.")
    number: int = Field(description="The instruction's number within the agreement, from 1.")
    text: str = Field(description="The instruction as given.")
    supersedes_id: UUID | None = Field(description="The instruction it replaced; null when none.")
    issued_by: str = Field(description="The controller's user who gave it.")
    issued_at: datetime = Field(description="When it was given.")
    acknowledged_by: str | None = Field(
        description="The processor's user who acknowledged it; else null."
    )
    acknowledged_at: datetime | None = Field(
        description="When the processor acknowledged it; else null."
    )
    standing: InstructionStanding = Field(
        default=InstructionStanding.in_effect,
        description="in_effect; on_hold while the processor's concern awaits the controller's "
        "answer (DPA-14); withdrawn once the controller withdrew or amended it.",
    )
    concern: str | None = Field(
        default=None, description="The processor's concern that it infringes the GDPR; else null."
    )
    concern_raised_by: str | None = Field(
        default=None, description="The processor's user who raised the concern; else null."
    )
    concern_raised_at: datetime | None = Field(
        default=None, description="When the concern was raised; else null."
    )
    concern_answer: ConcernAnswer | None = Field(
        default=None, description="The controller's answer: confirmed, amended or withdrawn."
    )
    concern_answer_note: str | None = Field(
        default=None, description="The controller's note with its answer; else null."
    )
    concern_answered_by: str | None = Field(
        default=None, description="The controller's user who answered; else null."
    )
    concern_answered_at: datetime | None = Field(
        default=None, description="When the controller answered; else null."
    )


class Concern(_Body):
    """The processor's opinion that the instruction infringes the GDPR, and why (DPA-14)."""

    reason: Name = Field(
        max_length=4000, description="Why the instruction infringes the GDPR, in your view."
    )


class ConcernReply(_Body):
    """The controller's answer: confirm the instruction, amend it (a new instruction with
    ``text`` replaces it) or withdraw it."""

    outcome: ConcernAnswer = Field(description="confirmed, amended (with text) or withdrawn.")
    text: Name | None = Field(
        default=None, max_length=4000, description="The new instruction's text; required to amend."
    )
    note: Text | None = Field(default=None, description="A note to the processor with the answer.")


class MeasureUpdate(_Body):
    status: MeasureStatus = Field(description="planned, partial, implemented or not_applicable.")
    evidence: Text = Field(
        default="", description="What shows the measure's status (a document, a certificate ...)."
    )


class MeasureStatement(_Out):
    status: str = Field(description="The status recorded.")
    evidence: str = Field(description="The evidence recorded with it.")
    recorded_by: str = Field(description="The processor's user who recorded it.")
    recorded_at: datetime = Field(description="When it was recorded.")


class MeasurePublic(BaseModel):
    id: str = Field(
        description="The measure's id in the Annex 2 catalogue, e.g. TOM-T5.", examples=["TOM-T5"]
    )
    kind: str = Field(description="technical, organisational or art32 (art. 32 GDPR).")
    title: str = Field(description="The measure, in words.")
    source: str = Field(description="Where the catalogue takes it from (a standard's clause).")
    status: MeasureStatus = Field(default="planned", description="Its current status.")
    evidence: str = Field(default="", description="The evidence recorded with the current status.")
    history: list[MeasureStatement] = Field(
        default_factory=list, description="Every status recorded, oldest first."
    )


class StaffMemberCreate(_Body):
    name: Name = Field(description="A person's name or a department.")
    user_id: UUID | None = Field(
        default=None,
        description=(
            "The identity user this entry is, if it is a person with an account: the entry then "
            "ends when identity disables or removes that user. A department has none."
        ),
    )
    function: Name = Field(description="Their function or role.")
    confidentiality_signed_on: date = Field(
        description="When they committed to confidentiality (art. 28(3)(b))."
    )
    gdpr_briefed: bool = Field(description="Informed of the GDPR (DPA-9); must be true.")


class StaffMemberPublic(_Out):
    id: UUID = Field(description="The entry's id.")
    name: str = Field(description="The person's name or the department.")
    user_id: str | None = Field(description="The identity user it is, if any.")
    function: str = Field(description="Their function or role.")
    confidentiality_signed_on: date = Field(description="When they committed to confidentiality.")
    gdpr_briefed: bool = Field(description="Whether they were informed of the GDPR.")
    added_at: datetime = Field(description="When the entry was added.")
    removed_at: datetime | None = Field(
        description="When their access ended; null while they have it."
    )


class DisclosureCreate(_Body):
    authority: Name = Field(description="The public authority that asked for the data.")
    legal_basis: Name = Field(description="The legal provision the authority relies on.")
    scope: Name = Field(description="What data was asked for.")
    prohibited_by_law: bool = Field(
        default=False, description="The law forbids telling the controller beforehand."
    )


class DisclosureOutcomeUpdate(_Body):
    outcome: Literal["complied", "refused", "contested", "withdrawn"] = Field(
        description="complied, refused, contested or withdrawn."
    )
    note: Text | None = Field(default=None, description="A note on the outcome.")
    prohibition_lifted: bool = Field(
        default=False, description="The law no longer forbids telling the controller."
    )


class DisclosurePublic(_Out):
    id: UUID = Field(description="The disclosure's id.")
    authority: str = Field(description="The public authority that asked.")
    legal_basis: str = Field(description="The legal provision it relies on.")
    scope: str = Field(description="What data was asked for.")
    prohibited_by_law: bool = Field(description="Whether the law forbids telling the controller.")
    controller_informed_at: datetime | None = Field(
        description="When the controller was informed; else null."
    )
    outcome: str | None = Field(
        description="complied, refused, contested or withdrawn; null while open."
    )
    outcome_note: str | None = Field(description="The note with the outcome; else null.")
    recorded_at: datetime = Field(description="When the request was recorded.")
    outcome_at: datetime | None = Field(description="When the outcome was recorded; else null.")


class InstructionList(BaseModel):
    items: list[InstructionPublic] = Field(
        description="The instructions on this page, in number order."
    )
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class MeasureList(BaseModel):
    """Annex 2 in full: one item per measure of the catalogue, so never more than it holds."""

    items: list[MeasurePublic] = Field(description="Every measure of Annex 2.")


class StaffList(BaseModel):
    items: list[StaffMemberPublic] = Field(description="The staff entries on this page.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class DisclosureList(BaseModel):
    items: list[DisclosurePublic] = Field(description="The disclosures on this page.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


# DPA-18: the controller's own measures, its reviews of the processor's, the risk assessment.


class ControllerMeasureCreate(_Body):
    title: Name = Field(
        description="The controller's own measure, in a line.",
        examples=["Quarterly access review of the booking tool"],
    )
    description: Text = Field(default="", description="What the measure does, in more detail.")
    in_place_since: date | None = Field(
        default=None, description="The day the measure took effect, if known."
    )


class ControllerMeasurePublic(_Out):
    id: UUID = Field(description="The measure's id.")
    title: str = Field(description="The controller's own measure, in a line.")
    description: str = Field(description="What the measure does; empty when not given.")
    in_place_since: date | None = Field(
        description="The day the measure took effect; null when not given."
    )
    recorded_by: str = Field(description="The controller's user who recorded it.")
    recorded_at: datetime = Field(description="When it was recorded.")


class ControllerMeasureList(BaseModel):
    items: list[ControllerMeasurePublic] = Field(
        description="The controller's measures on this page."
    )
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class MeasureReviewCreate(_Body):
    measure_id: str = Field(
        max_length=20,
        description="The Annex 2 measure reviewed, e.g. TOM-T5.",
        examples=["TOM-T5"],
    )
    reviewed_on: date = Field(description="The day of the review (not in the future).")
    reviewer: Name = Field(description="Who reviewed it for the controller.")
    finding: Name = Field(
        max_length=4000,
        description="What the review found.",
        examples=["Access logs are kept, but not reviewed every quarter."],
    )
    follow_up: Name | None = Field(
        default=None, max_length=4000, description="What the processor must do, if anything."
    )
    follow_up_due_on: date | None = Field(
        default=None,
        description="By when the processor must do the follow-up: required with follow_up, on "
        "or after the review.",
    )


class MeasureReviewClosure(_Body):
    note: Text = Field(default="", description="How the follow-up was done, if worth noting.")


class MeasureReviewPublic(_Out):
    id: UUID = Field(description="The review's id.")
    measure_id: str = Field(
        description="The Annex 2 measure reviewed, e.g. TOM-T5.", examples=["TOM-T5"]
    )
    reviewed_on: date = Field(description="The day of the review.")
    reviewer: str = Field(description="Who reviewed it for the controller.")
    finding: str = Field(description="What the review found.")
    follow_up: str | None = Field(description="What the processor must do; null when nothing.")
    follow_up_due_on: date | None = Field(
        description="By when the processor must do the follow-up; null when none."
    )
    recorded_by: str = Field(description="The controller's user who recorded the review.")
    recorded_at: datetime = Field(description="When the review was recorded.")
    closed_by: str | None = Field(
        description="The controller's user who closed the review; null while it is open."
    )
    closed_at: datetime | None = Field(
        description="When the review was closed; null while it is open."
    )
    closing_note: str | None = Field(
        description="The note given on closing; null while it is open."
    )


class MeasureReviewList(BaseModel):
    items: list[MeasureReviewPublic] = Field(description="The reviews on this page.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class Risk(_Body):
    description: Name = Field(
        max_length=1000,
        description="The risk to the data subjects, in a line.",
        examples=["Loss of the booking data"],
    )
    likelihood: Rating = Field(description="How likely the risk is: low, medium or high.")
    impact: Rating = Field(
        description="How grave its impact on the data subjects would be: low, medium or high."
    )
    measure_ids: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="The Annex 2 measures addressing it, e.g. TOM-T5.",
        examples=[["TOM-T5"]],
    )


class RiskAssessmentCreate(_Body):
    risks: list[Risk] = Field(
        min_length=1, max_length=100, description="The risks of the processing, one per item."
    )
    reviewed_on: date = Field(description="The day the risks were assessed (not in the future).")
    reviewed_by: Name = Field(description="Who assessed them for the controller.")


class AssessedRisk(Risk):
    level: Rating = Field(
        description="The risk's level from its likelihood and impact: low, medium or high."
    )


class RiskAssessmentPublic(BaseModel):
    id: UUID = Field(description="The assessment's id.")
    risks: list[AssessedRisk] = Field(description="The risks assessed, in the order given.")
    unaddressed: list[int] = Field(description="The risks (from 1) no measure addresses.")
    reviewed_on: date = Field(description="The day the risks were assessed.")
    reviewed_by: str = Field(description="Who assessed them for the controller.")
    recorded_by: str = Field(description="The controller's user who recorded the assessment.")
    recorded_at: datetime = Field(description="When the assessment was recorded.")


class RiskAssessmentList(BaseModel):
    """The assessments, oldest first: the newest one counts (``/risk-assessments/current``)."""

    items: list[RiskAssessmentPublic] = Field(description="The assessments on this page.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)
