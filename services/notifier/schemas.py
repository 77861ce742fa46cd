"""Response bodies of the notifier API."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class ReceiptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    event_id: UUID
    event_type: str
    occurred_at: datetime
    received_at: datetime


class ReceiptList(BaseModel):
    items: list[ReceiptPublic]
