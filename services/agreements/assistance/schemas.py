"""Bodies of the processor's assistance to the controller: data subjects' requests (DPA-15),
DPIA and prior-consultation help (DPA-16), intervention in a claim (DPA-19)."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.agreements.assistance.rules import (
    AssistanceKind,
    SubjectRequestOutcome,
    SubjectRequestStage,
    SubjectRight,
)
from services.agreements.lifecycle.schemas import Name, Text
from shared.pagination import NEXT_CURSOR_DESCRIPTION


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Categorised(_Body):
    """A record that may name data subjects says which Annex 1 categories it concerns."""

    data_categories: list[Name] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The categories of personal data of the agreement's Annex 1 this record "
        "concerns; their longest retention period decides how long its text is kept (TOM-T1). "
        "Absent: every category of Annex 1 (with one category, that one).",
    )


class _Retained(BaseModel):
    """A record's Annex 1 categories and whether its retention has passed (TOM-T1)."""

    data_categories: list[str] = Field(
        default_factory=list,
        description="The Annex 1 categories of personal data the record concerns.",
    )
    retention_applied_at: datetime | None = Field(
        default=None,
        description="When its free text was deleted at the end of its retention; else null.",
    )


class SubjectRequestCreate(_Categorised):
    """A data subject's request that reached the processor, to forward to the controller."""

    right: SubjectRight = Field(
        description="The right the data subject exercises (art. 15-22 GDPR)."
    )
    received_at: datetime = Field(description="When the request reached you (not in the future).")
    summary: Name = Field(
        max_length=4000,
        description="What is asked and how it arrived; kept in the agreement's records only.",
    )


class SubjectRequestAssistance(_Body):
    """What the processor did to assist (an extract sent, data corrected or erased …)."""

    assistance: Name = Field(max_length=4000, description="What you did to assist, in words.")


class SubjectRequestClosure(_Body):
    outcome: SubjectRequestOutcome = Field(
        description="How the controller answered the data subject."
    )
    note: Text | None = Field(default=None, description="A note on the outcome.")


class SubjectRequestPublic(_Retained):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The request's id.")
    number: int = Field(description="The request's number within the agreement, from 1.")
    right: SubjectRight = Field(description="The right exercised.")
    received_at: datetime = Field(description="When the request reached the processor.")
    summary: str = Field(description="What is asked and how it arrived.")
    forwarded_by: str = Field(description="The processor's user who forwarded it.")
    forwarded_at: datetime = Field(description="When it was forwarded to the controller.")
    due_at: datetime = Field(description="The processor's assistance is due by then.")
    answer_by: datetime = Field(
        description="The controller answers the data subject by then (art. 12(3) GDPR)."
    )
    stage: SubjectRequestStage = Field(
        default=SubjectRequestStage.open, description="open, assisted or closed."
    )
    overdue: bool = Field(default=False, description="Still open past due_at.")
    assistance: str | None = Field(description="What the processor did to assist; else null.")
    assisted_at: datetime | None = Field(description="When the processor assisted; else null.")
    outcome: SubjectRequestOutcome | None = Field(
        description="How the controller answered the data subject; else null."
    )
    outcome_note: str | None = Field(description="The note with the outcome; else null.")
    closed_at: datetime | None = Field(description="When the controller closed it; else null.")


class SubjectRequestList(BaseModel):
    items: list[SubjectRequestPublic] = Field(description="Newest first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class AssistanceRequestCreate(_Categorised):
    """The controller's request: help with a DPIA or a prior consultation (DPA-16), or
    intervention in a data subject's claim (DPA-19)."""

    kind: AssistanceKind = Field(description="dpia, prior_consultation or claim.")
    question: Name = Field(
        max_length=4000,
        description="What you ask; for a claim, the proceedings (court, reference, claimant).",
    )
    due_on: date | None = Field(default=None, description="The date you need the answer by.")


class AssistanceAnswer(_Body):
    answer: Name = Field(max_length=4000, description="The processor's answer.")
    intervenes: bool | None = Field(
        default=None,
        description="A claim only (required there): whether you intervene in the proceedings.",
    )


class AssistanceRequestPublic(_Retained):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The request's id.")
    number: int = Field(description="The request's number within the agreement, from 1.")
    kind: AssistanceKind = Field(description="dpia, prior_consultation or claim.")
    question: str = Field(description="What the controller asks.")
    due_on: date | None = Field(
        description="The date the controller needs the answer by; else null."
    )
    asked_at: datetime = Field(description="When the controller asked.")
    answer: str | None = Field(description="The processor's answer; null while open.")
    intervenes: bool | None = Field(
        description="A claim: whether the processor intervenes; else null."
    )
    answered_at: datetime | None = Field(description="When the processor answered; else null.")


class AssistanceRequestList(BaseModel):
    items: list[AssistanceRequestPublic] = Field(description="Newest first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)
