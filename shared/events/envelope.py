"""CloudEvents 1.0 in structured JSON mode, with pactum's extension attributes.

``id`` is the outbox key, the ``Nats-Msg-Id`` and every consumer's dedup key. ``data`` holds the
typed payload; it names records and fields, never the values of personal data or secrets.
"""

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.events.subjects import TENANT_PATTERN, subject_for


class ActorType(StrEnum):
    user = "user"
    operator = "operator"  # a supplier's staff member acting under a grant (TOM-O3)
    system = "system"


class Actor(BaseModel):
    """Who caused an event: a user of an organisation, an operator under a grant, or the system."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: ActorType = ActorType.user
    organisation_id: str | None = None

    @classmethod
    def system(cls, service: str) -> "Actor":
        return cls(id=f"system:{service}", type=ActorType.system)


class Envelope(BaseModel):
    """A CloudEvent as it travels on ``dpa.>`` and as the outbox stores it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID
    source: str = Field(pattern=r"^/dpa/[a-z]+$")
    type: str = Field(pattern=r"^dpa\.[a-z]+\.[a-z_]+\.[a-z_]+\.v[0-9]+$")
    subject: str | None = Field(default=None, max_length=200)
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    tenantid: str = Field(pattern=TENANT_PATTERN)
    actorid: str = Field(min_length=1, max_length=200)
    actortype: ActorType
    actororgid: str | None = None
    correlationid: str | None = Field(default=None, max_length=200)
    traceparent: str | None = Field(default=None, max_length=55)
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a timezone")
        return value.astimezone(UTC)

    @property
    def nats_subject(self) -> str:
        return subject_for(self.type, tenant=self.tenantid)

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


def new_event(
    *,
    source: str,
    type: str,
    tenant: str,
    actor: Actor,
    data: BaseModel,
    subject: str | None = None,
    correlation_id: str | None = None,
    traceparent: str | None = None,
) -> Envelope:
    """Build an envelope for a catalogued event; the payload is validated against its kind."""
    from shared.events.catalogue import kind_of  # the catalogue imports this module

    kind = kind_of(type)
    payload = kind.payload.model_validate(data.model_dump(mode="json"))
    return Envelope(
        id=uuid.uuid4(),
        source=source,
        type=type,
        subject=subject,
        time=datetime.now(UTC),
        tenantid=tenant,
        actorid=actor.id,
        actortype=actor.type,
        actororgid=actor.organisation_id,
        correlationid=correlation_id,
        traceparent=traceparent,
        data=payload.model_dump(mode="json"),
    )
