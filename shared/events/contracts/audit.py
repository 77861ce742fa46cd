"""Payloads of the events the audit service emits."""

from pydantic import BaseModel, ConfigDict


class AuditLogViewed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: dict[str, str]
    entries: int
    first_position: int | None = None
    last_position: int | None = None
