"""Payloads of the events the notifier service emits."""

from pydantic import BaseModel, ConfigDict


class ReceiptsListed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    receipts: int
