"""Payloads of the events the audit service emits."""

from pydantic import BaseModel, ConfigDict

from shared.events.kind import EventKind


class AuditLogViewed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: dict[str, str]
    entries: int
    first_position: int | None = None
    last_position: int | None = None


KINDS = (
    EventKind(
        type="dpa.audit.log.viewed.v1",
        payload=AuditLogViewed,
        requirements=("TOM-T3a", "TOM-T3b"),
        summary="An organisation's audit log was read.",
    ),
)
