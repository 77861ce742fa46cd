"""Request and response bodies of the agreements API."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.agreements.domain import AgreementStatus


class AgreementBase(BaseModel):
    title: str = Field(min_length=1, max_length=200, examples=["Verwerkersovereenkomst UTOPIA"])
    counterparty_id: UUID | None = Field(
        default=None, description="The other party's organisation id, if already known."
    )


class AgreementCreate(AgreementBase):
    model_config = ConfigDict(extra="forbid")


class AgreementPublic(AgreementBase):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    organisation_id: UUID
    status: AgreementStatus
    created_by: str
    created_at: datetime


class AgreementList(BaseModel):
    items: list[AgreementPublic]
