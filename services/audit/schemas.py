"""Request and response bodies of the audit API."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events import Outcome

PRINTABLE = r"^[^\x00-\x1f\x7f]*$"  # no control characters (PostgreSQL refuses NUL in text)


class LogFilter(BaseModel):
    """Which entries to read: every field narrows the selection; none set means all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    actor: str | None = Field(
        default=None, max_length=200, pattern=PRINTABLE, description="Actor id."
    )
    action: str | None = Field(
        default=None,
        max_length=120,
        pattern=r"^[a-z0-9_.]+$",
        description="Event type prefix, e.g. `dpa.agreements.` or `dpa.identity.user.`.",
    )
    resource: str | None = Field(
        default=None, max_length=200, pattern=PRINTABLE, description="Entity id."
    )
    agreement: str | None = Field(
        default=None, max_length=64, pattern=PRINTABLE, description="Agreement id."
    )
    since: datetime | None = Field(default=None, description="Occurred at or after (RFC 3339).")
    until: datetime | None = Field(default=None, description="Occurred before (RFC 3339).")
    supplier_only: bool = Field(default=False, description="Supplier interventions only.")
    outcome: Outcome | None = None

    @model_validator(mode="after")
    def _window(self) -> "LogFilter":
        for moment in (self.since, self.until):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("since and until must carry a timezone (e.g. Z)")
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be before until")
        return self

    def described(self) -> dict[str, str]:
        """The filter as the audited read records it."""
        return {
            key: (value.isoformat() if isinstance(value, datetime) else str(value))
            for key, value in self.model_dump(exclude_defaults=True).items()
        }


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    log_index: int
    event_id: UUID
    organisation_id: str
    event_type: str
    source: str
    subject: str | None
    actor_id: str
    actor_type: str
    actor_organisation_id: str | None
    grant_id: str | None
    outcome: str
    supplier_intervention: bool
    agreement_id: str | None
    occurred_at: datetime
    recorded_at: datetime
    trace_id: str | None
    correlation_id: str | None
    requirements: list[str]
    data: dict[str, object]
    personal_data: dict[str, Any] | None = Field(
        default=None, description="Decrypted personal data, while its key exists."
    )
    pseudonym: str | None = Field(
        default=None, description="Shown instead of personal data once its key is destroyed."
    )
    leaf_hash: str
    sentence: str = Field(
        default="",
        description="What the entry says, in the language asked for (`lang` or "
        "Accept-Language: nl, fr, en), naming its actor while their key lives.",
    )


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    next_cursor: int | None = Field(default=None, description="Pass as `cursor` for the next page.")
    next_before: int | None = Field(default=None, description="Deprecated alias of next_cursor.")


class CheckpointPublic(BaseModel):
    organisation_id: str
    size: int
    root: str
    signed_at: str
    key_id: str
    signature: str


class CheckpointKeyPeriod(BaseModel):
    algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str
    public_key: str = Field(description="Raw 32-byte public key, base64.")
    valid_from: str | None = Field(
        default=None, description="Signs checkpoints from this time (null: since the log began)."
    )
    retired_at: str | None = Field(
        default=None,
        description="Retired at this time (null: current); a checkpoint it signed later fails.",
    )
    status: Literal["current", "retired"]


class CheckpointKey(BaseModel):
    algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str = Field(description="The current key's id.")
    public_key: str = Field(description="The current key: raw 32-byte public key, base64.")
    valid_from: str | None = None
    log_origin: str = Field(
        default="",
        description="The platform's log origin; an organisation's checkpoints name "
        "`<log_origin>/<organisation id>`.",
    )
    note_verifier_key: str = Field(
        default="",
        description="The current key as C2SP signed-note tooling takes it "
        "(`name+hash+base64(0x01 || key)`), to check the signed-note checkpoints.",
    )
    keys: list[CheckpointKeyPeriod] = Field(
        default_factory=list,
        description="Every key that signed checkpoints, retired ones first, the current last. "
        "Pin this whole document to verify exports offline.",
    )


class InclusionProof(BaseModel):
    log_index: int
    leaf_hash: str
    tree_size: int
    path: list[str]
    checkpoint: CheckpointPublic


class ConsistencyProof(BaseModel):
    first: CheckpointPublic
    second: CheckpointPublic
    path: list[str]


class Verification(BaseModel):
    valid: bool
    tree_size: int
    entries_checked: int
    first_bad_position: int | None = Field(
        default=None, description="Leaf index of the first entry that does not verify."
    )
    problem: str | None = None
    checkpoint: CheckpointPublic | None = None


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(
        min_length=1, max_length=200, pattern=PRINTABLE, description="The data subject's user id."
    )


class ErasureDone(BaseModel):
    keys_destroyed: int


class ExternalAccepted(BaseModel):
    event_id: str
    duplicate: bool = Field(description="True when this event id was accepted before.")
