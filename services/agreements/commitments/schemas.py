"""Bodies for instructions, Annex 2 measures, staff with access and disclosures."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

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
