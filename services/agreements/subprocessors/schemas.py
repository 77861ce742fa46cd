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

    kind: Literal["add", "replace"] = Field(
        default="add", description="add a subprocessor, or replace one (with replaces_id)."
    )
    replaces_id: UUID | None = Field(
        default=None, description="For a replacement: the change that brought in the one replaced."
    )
    name: Name = Field(examples=["Hosting NV"], description="The subprocessor's name.")
    service: Name = Field(
        examples=["managed PostgreSQL hosting"],
        description="What the subprocessor will do for you.",
    )
    location: Name = Field(examples=["Brussels, BE"], description="Where it will process the data.")
    transfer_mechanism: Name = Field(
        examples=["none: processing inside the EEA"],
        description="How a transfer outside the EEA is safeguarded, or that none occurs.",
    )
    data_categories: list[Name] = Field(
        min_length=1, max_length=100, description="The categories of personal data it will process."
    )
    effective_date: date = Field(description="The date from which it will process.")


class Objection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Name = Field(description="Why the controller objects, shown to the processor.")


class Resolution(BaseModel):
    """How the processor closed a controller's objection (a withdrawal records itself)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal[ObjectionOutcome.agreement_ended, ObjectionOutcome.processing_moved] = Field(
        description="agreement_ended: the agreement was terminated over the objection; "
        "processing_moved: this controller's processing runs where the subprocessor plays no part."
    )
    note: Text | None = Field(default=None, description="How it was resolved, in words.")


class FlowDownCreate(BaseModel):
    """The processor's agreement with a subprocessor, as contract art. 5 requires (DPA-17)."""

    model_config = ConfigDict(extra="forbid")

    signed_on: date = Field(description="The date the flow-down agreement was signed.")
    reference: Name = Field(
        examples=["SUB-2026-014"], description="Your reference of the flow-down agreement."
    )
    same_obligations: Literal[True] = Field(
        description="The flow-down agreement imposes the same data-protection obligations as "
        "this agreement (art. 28(4) GDPR); it must, so only true is accepted."
    )
    guarantees: Statement = Field(
        examples=["ISO 27001 certified; encryption at rest; audit right flowed down"],
        description="The guarantees the subprocessor gives (art. 28(4) GDPR).",
    )
    transfers_outside_eea: bool = Field(
        default=False, description="Whether the subprocessor transfers data outside the EEA."
    )
    transfer_countries: list[Name] = Field(
        default_factory=list,
        max_length=50,
        description="The countries outside the EEA data goes to.",
    )
    transfer_basis: Name | None = Field(
        default=None,
        examples=["standard contractual clauses (2021/914), module 3"],
        description="The transfer's legal basis (art. 44-49 GDPR); required with transfers.",
    )


class FlowDownPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The flow-down record's id.")
    signed_on: date = Field(description="The date the flow-down agreement was signed.")
    reference: str = Field(description="The processor's reference of the flow-down agreement.")
    same_obligations: bool = Field(
        description="It imposes the same data-protection obligations (always true)."
    )
    guarantees: str = Field(description="The guarantees the subprocessor gives.")
    transfers_outside_eea: bool = Field(
        description="Whether the subprocessor transfers data outside the EEA."
    )
    transfer_countries: list[str] = Field(description="The countries outside the EEA data goes to.")
    transfer_basis: str | None = Field(
        description="The transfer's legal basis; null without transfers."
    )
    recorded_by: str = Field(description="The processor's user who recorded it.")
    recorded_at: datetime = Field(description="When it was recorded.")


class ChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The change's id.")
    processor_id: UUID = Field(description="The processor that proposed the change.")
    kind: str = Field(description="add or replace.")
    replaces_id: UUID | None = Field(
        description="For a replacement: the change that brought in the one replaced."
    )
    name: str = Field(description="The subprocessor's name.")
    service: str = Field(description="What the subprocessor does.")
    location: str = Field(description="Where it processes the data.")
    transfer_mechanism: str = Field(
        description="How a transfer outside the EEA is safeguarded, if any."
    )
    data_categories: list[str] = Field(description="The categories of personal data it processes.")
    effective_date: date = Field(description="The date from which it processes.")
    proposed_at: datetime = Field(description="When the processor proposed the change.")
    withdrawn_at: datetime | None = Field(
        description="When the processor withdrew it; null otherwise."
    )
    flow_down: FlowDownPublic | None = Field(
        default=None, description="The flow-down agreement with this subprocessor (DPA-17)."
    )


class NoticePublic(BaseModel):
    id: UUID = Field(description="The notice's id: one per controller told.")
    agreement_id: UUID = Field(description="The agreement under which the controller is told.")
    controller_id: UUID = Field(description="The controller told.")
    authorisation: Authorisation = Field(
        description="The agreement's authorisation: general or specific."
    )
    silence_is_acceptance: bool = Field(
        description="Whether silence until the deadline counts as acceptance."
    )
    notified_at: datetime = Field(description="When the controller was told.")
    objection_deadline: datetime | None = Field(
        description="The controller may object until then; null when no window."
    )
    window_open: bool = Field(description="Whether the controller may still object or decide.")
    decision: NoticeDecision = Field(
        description="pending, approved, objected, accepted (by silence) or withdrawn."
    )
    reason: str | None = Field(description="The reason the controller gave; null when none.")
    decided_by: str | None = Field(
        description="The controller's user who decided; null while pending."
    )
    decided_at: datetime | None = Field(
        description="When the controller decided; null while pending."
    )
    resolution: ObjectionOutcome | None = Field(
        default=None, description="How the processor closed this controller's objection."
    )
    resolution_note: str | None = Field(
        default=None, description="The processor's note on the resolution; null when none."
    )
    resolved_by: str | None = Field(
        default=None, description="The processor's user who resolved the objection; else null."
    )
    resolved_at: datetime | None = Field(
        default=None, description="When the objection was resolved; else null."
    )
    change: ChangePublic = Field(description="The change the notice is about.")


class ChangeWithNotices(ChangePublic):
    notices: list[NoticePublic] = Field(
        description="The notices of the change, one per controller told."
    )


class NoticeList(BaseModel):
    items: list[NoticePublic] = Field(description="The notices on this page, newest first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class SubprocessorList(BaseModel):
    """The subprocessors in force now, and every change with how it was decided."""

    processor_id: UUID = Field(description="The processor whose subprocessors these are.")
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

    agreement_id: UUID = Field(description="The agreement.")
    processor_id: UUID | None = Field(description="The agreement's processor; null until known.")
    in_force: list[InForce] = Field(
        description="The subprocessors that hold for this agreement now, and why."
    )
    at_signing: list[ListedSubprocessor] | None = Field(
        description="The list in the version 1 both parties signed; null before anyone signed."
    )


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text | None = None
