"""Response bodies of the audit API."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    event_id: UUID
    organisation_id: str
    event_type: str
    source: str
    subject: str | None
    actor_id: str
    actor_type: str
    actor_organisation_id: str | None
    occurred_at: datetime
    recorded_at: datetime
    trace_id: str | None
    requirements: list[str]
    data: dict[str, object]


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    next_before: int | None = None
