"""Payloads of the events the agreements service emits."""

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class AgreementCreated(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agreement_id: UUID
    counterparty_id: UUID | None = None


class AgreementViewed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agreement_id: UUID
    fields: list[str] = Field(description="The fields returned to the reader, not their values.")


class AgreementsListed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agreement_ids: list[UUID]
