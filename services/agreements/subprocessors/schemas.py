"""Request and response bodies for subprocessor changes, notices and lists (DPA-5)."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.agreements.clocks import NoticeDecision
from services.agreements.domain import Authorisation
from services.agreements.lifecycle.schemas import Name, Text


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
    change: ChangePublic


class ChangeWithNotices(ChangePublic):
    notices: list[NoticePublic]


class NoticeList(BaseModel):
    items: list[NoticePublic]


class SubprocessorList(BaseModel):
    """The subprocessors in force now, and every change with how it was decided."""

    processor_id: UUID
    current: list[ChangePublic]
    history: list[ChangeWithNotices]


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text | None = None
