"""Bodies for instructions, Annex 2 measures, staff with access and disclosures."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.agreements.lifecycle.schemas import Name, Text

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
