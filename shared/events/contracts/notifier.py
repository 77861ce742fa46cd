"""Payloads of the events the notifier service emits."""

from pydantic import BaseModel, ConfigDict

from shared.events.kind import EventKind


class ReceiptsListed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    receipts: int


KINDS = (
    EventKind(
        type="dpa.notifier.receipt.listed.v1",
        payload=ReceiptsListed,
        requirements=("TOM-T3a",),
        summary="The notifier's receipts of an organisation were read.",
    ),
)
