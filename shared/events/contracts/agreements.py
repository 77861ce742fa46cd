"""Payloads of the events the agreements service emits."""

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.events.kind import EventKind


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


KINDS = (
    EventKind(
        type="dpa.agreements.agreement.created.v1",
        payload=AgreementCreated,
        requirements=("DPA-1", "TOM-T3a"),
        summary="A draft data-processing agreement was created.",
    ),
    EventKind(
        type="dpa.agreements.agreement.viewed.v1",
        payload=AgreementViewed,
        requirements=("TOM-T3a", "DPA-11"),
        summary="An agreement was read; names the fields returned, never their values.",
    ),
    EventKind(
        type="dpa.agreements.agreement.listed.v1",
        payload=AgreementsListed,
        requirements=("TOM-T3a",),
        summary="A list of agreements was read.",
    ),
)
