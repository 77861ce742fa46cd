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


class SubjectRequestCreate(_Body):
    """A data subject's request that reached the processor, to forward to the controller."""

    right: SubjectRight
    received_at: datetime = Field(description="When the request reached you (not in the future).")
    summary: Name = Field(
        max_length=4000,
        description="What is asked and how it arrived; kept in the agreement's records only.",
    )


class SubjectRequestAssistance(_Body):
    """What the processor did to assist (an extract sent, data corrected or erased …)."""

    assistance: Name = Field(max_length=4000)


class SubjectRequestClosure(_Body):
    outcome: SubjectRequestOutcome
    note: Text | None = None


class SubjectRequestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    number: int
    right: SubjectRight
    received_at: datetime
    summary: str
    forwarded_by: str
    forwarded_at: datetime
    due_at: datetime = Field(description="The processor's assistance is due by then.")
    answer_by: datetime = Field(
        description="The controller answers the data subject by then (art. 12(3) GDPR)."
    )
    stage: SubjectRequestStage = SubjectRequestStage.open
    overdue: bool = Field(default=False, description="Still open past due_at.")
    assistance: str | None
    assisted_at: datetime | None
    outcome: SubjectRequestOutcome | None
    outcome_note: str | None
    closed_at: datetime | None


class SubjectRequestList(BaseModel):
    items: list[SubjectRequestPublic] = Field(description="Newest first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class AssistanceRequestCreate(_Body):
    """The controller's request: help with a DPIA or a prior consultation (DPA-16), or
    intervention in a data subject's claim (DPA-19)."""

    kind: AssistanceKind
    question: Name = Field(
        max_length=4000,
        description="What you ask; for a claim, the proceedings (court, reference, claimant).",
    )
    due_on: date | None = Field(default=None, description="The date you need the answer by.")


class AssistanceAnswer(_Body):
    answer: Name = Field(max_length=4000)
    intervenes: bool | None = Field(
        default=None,
        description="A claim only (required there): whether you intervene in the proceedings.",
    )


class AssistanceRequestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    number: int
    kind: AssistanceKind
    question: str
    due_on: date | None
    asked_at: datetime
    answer: str | None
    intervenes: bool | None
    answered_at: datetime | None


class AssistanceRequestList(BaseModel):
    items: list[AssistanceRequestPublic] = Field(description="Newest first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)
