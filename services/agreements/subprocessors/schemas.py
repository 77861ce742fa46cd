"""Request and response bodies for subprocessor changes, notices and lists (DPA-5)."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.agreements.clocks import NoticeDecision
from services.agreements.domain import Authorisation, ObjectionOutcome
from services.agreements.lifecycle.schemas import NO_NUL, ListedSubprocessor, Name, Text
from shared.pagination import NEXT_CURSOR_DESCRIPTION

Statement = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000, pattern=NO_NUL)
]


class SubprocessorChangeCreate(BaseModel):
    """A processor's intended addition or replacement of a subprocessor, as it will be notified."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["add", "replace"] = "add"
    replaces_id: UUID | None = Field(
        default=None, description="For a replacement: the change that brought in the one replaced."
    )
    name: Name = Field(examples=["Hosting NV"])
    service: Name = Field(examples=["managed PostgreSQL hosting"])
    location: Name = Field(examples=["Brussels, BE"])
    transfer_mechanism: Name = Field(examples=["none: processing inside the EEA"])
    data_categories: list[Name] = Field(min_length=1, max_length=100)
    effective_date: date


class Objection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Name


class Resolution(BaseModel):
    """How the processor closed a controller's objection (a withdrawal records itself)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal[ObjectionOutcome.agreement_ended, ObjectionOutcome.processing_moved] = Field(
        description="agreement_ended: the agreement was terminated over the objection; "
        "processing_moved: this controller's processing runs where the subprocessor plays no part."
    )
    note: Text | None = None


class FlowDownCreate(BaseModel):
    """The processor's agreement with a subprocessor, as contract art. 5 requires (DPA-17)."""

    model_config = ConfigDict(extra="forbid")

    signed_on: date
    reference: Name = Field(examples=["SUB-2026-014"])
    same_obligations: Literal[True] = Field(
        description="The flow-down agreement imposes the same data-protection obligations as "
        "this agreement (art. 28(4) GDPR); it must, so only true is accepted."
    )
    guarantees: Statement = Field(
        examples=["ISO 27001 certified; encryption at rest; audit right flowed down"]
    )
    transfers_outside_eea: bool = False
    transfer_countries: list[Name] = Field(default_factory=list, max_length=50)
    transfer_basis: Name | None = Field(
        default=None, examples=["standard contractual clauses (2021/914), module 3"]
    )


class FlowDownPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    signed_on: date
    reference: str
    same_obligations: bool
    guarantees: str
    transfers_outside_eea: bool
    transfer_countries: list[str]
    transfer_basis: str | None
    recorded_by: str
    recorded_at: datetime


class ChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    processor_id: UUID
    kind: str
    replaces_id: UUID | None
    name: str
    service: str
    location: str
    transfer_mechanism: str
    data_categories: list[str]
    effective_date: date
    proposed_at: datetime
    withdrawn_at: datetime | None
    flow_down: FlowDownPublic | None = Field(
        default=None, description="The flow-down agreement with this subprocessor (DPA-17)."
    )


class NoticePublic(BaseModel):
    id: UUID
    agreement_id: UUID
    controller_id: UUID
    authorisation: Authorisation
    silence_is_acceptance: bool
    notified_at: datetime
    objection_deadline: datetime | None
    window_open: bool
    decision: NoticeDecision
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    resolution: ObjectionOutcome | None = Field(
        default=None, description="How the processor closed this controller's objection."
    )
    resolution_note: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    change: ChangePublic


class ChangeWithNotices(ChangePublic):
    notices: list[NoticePublic]


class NoticeList(BaseModel):
    items: list[NoticePublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class SubprocessorList(BaseModel):
    """The subprocessors in force now, and every change with how it was decided."""

    processor_id: UUID
    current: list[ChangePublic] = Field(description="In force now: always whole.")
    history: list[ChangeWithNotices] = Field(
        description="A page of every change, oldest first (`next_cursor` for the next)."
    )
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class InForce(ChangePublic):
    basis: Literal["signed", "approved", "accepted"] = Field(
        description="Why it holds for this agreement: listed in the version the controller "
        "signed, approved by the controller, or accepted by silence where the terms say so."
    )


class AgreementSubprocessors(BaseModel):
    """What holds for one agreement, from its own controller's decisions (DPA-5)."""

    agreement_id: UUID
    processor_id: UUID | None
    in_force: list[InForce]
    at_signing: list[ListedSubprocessor] | None = Field(
        description="The list in the version 1 both parties signed; null before anyone signed."
    )


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text | None = None
