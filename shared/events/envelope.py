"""CloudEvents 1.0 in structured JSON mode, with pactum's extension attributes.

``id`` is the outbox key, the ``Nats-Msg-Id`` and every consumer's dedup key. ``data`` holds the
typed payload; it names records and fields, never the values of personal data or secrets.

The envelope's own personal data leaves a service only protected (TOM-32a, TOM-T1): the client's
address as its keyed pseudonym (``clientaddr``, shared/pseudonyms.py), the actor's name sealed to
the audit service (``actorsealed``, shared/sealed_names.py). A producer builds an envelope with
the clear values; the outbox replaces them before the row is written (shared/outbox.py).
"""

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.events.subjects import TENANT_PATTERN, subject_for
from shared.sealed_names import MAX_SEALED_CHARACTERS, SEALED_PATTERN


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
    grant_id: str | None = None  # an operator acts on a customer's data only under a grant
    name: str | None = None  # the person's display name (personal data: audit seals it)

    def intervenes_in(self, tenant: str) -> bool:
        """A supplier intervention (TOM-T3c): an operator, or someone of another organisation."""
        return self.type is ActorType.operator or (
            self.organisation_id is not None and self.organisation_id != tenant
        )

    @classmethod
    def system(cls, service: str) -> "Actor":
        return cls(id=f"system:{service}", type=ActorType.system)


class Outcome(StrEnum):
    succeeded = "succeeded"
    failed = "failed"
    denied = "denied"


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
    grantid: str | None = Field(default=None, max_length=200)
    outcome: Outcome = Outcome.succeeded
    actorname: str | None = Field(
        default=None,
        max_length=200,
        description="The actor's display name in clear, as events published before "
        "`actorsealed` carry it and an external producer may still send it; the platform's "
        "services never write it. Personal data: audit seals it.",
    )
    actorsealed: str | None = Field(
        default=None,
        max_length=MAX_SEALED_CHARACTERS,
        pattern=SEALED_PATTERN,
        description="The actor's display name sealed to the audit service's ingest key, bound "
        "to this event's id, tenant and actor: `hpke1.<key id>.<base64url>`, HPKE (RFC 9180) "
        "with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM. Only audit opens it, at "
        'ingest (docs/audit.md, "The actor\'s name"). Never together with `actorname`.',
    )
    clientaddr: str | None = Field(
        default=None,
        max_length=64,
        description="The pseudonym of the client's IP address: `ip:` and 16 base64url "
        "characters of an HMAC-SHA256 under the platform's pseudonym key, never the address "
        "itself (an event published before this change may hold the clear address; it still "
        "validates). Personal data: "
        "audit seals it, and erasure destroys it there.",
    )
    correlationid: str | None = Field(default=None, max_length=200)
    traceparent: str | None = Field(default=None, max_length=55)
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a timezone")
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _one_name(self) -> "Envelope":
        if self.actorname is not None and self.actorsealed is not None:
            raise ValueError("an event carries actorname or actorsealed, not both")
        return self

    @property
    def actor(self) -> Actor:
        return Actor(
            id=self.actorid,
            type=self.actortype,
            organisation_id=self.actororgid,
            grant_id=self.grantid,
            name=self.actorname,
        )

    @property
    def is_supplier_intervention(self) -> bool:
        return self.actor.intervenes_in(self.tenantid)

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
    outcome: Outcome = Outcome.succeeded,
    client_address: str | None = None,
) -> Envelope:
    """Build an envelope for a catalogued event; the payload is validated against its kind.

    ``client_address`` is what the producer saw; the outbox replaces it by its pseudonym before
    the envelope is stored or published (shared/outbox.py)."""
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
        grantid=actor.grant_id,
        actorname=actor.name,
        outcome=outcome,
        clientaddr=client_address,
        correlationid=correlation_id,
        traceparent=traceparent,
        data=payload.model_dump(mode="json"),
    )
