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

    position: int = Field(description="The entry's position in the organisation's log, from 1.")
    log_index: int = Field(
        description="The entry's leaf index in the organisation's Merkle tree, from 0."
    )
    event_id: UUID = Field(description="The id of the event the entry records (CloudEvents id).")
    organisation_id: str = Field(description="The organisation whose log holds the entry.")
    event_type: str = Field(description="The event type, e.g. dpa.agreements.agreement.signed.v1.")
    source: str = Field(description="The service that emitted the event (CloudEvents source).")
    subject: str | None = Field(description="The entity the event is about; null when none.")
    actor_id: str = Field(description="Who acted: a user, an operator or a service.")
    actor_type: str = Field(description="user, operator or system.")
    actor_organisation_id: str | None = Field(
        description="The actor's organisation; null for the system."
    )
    grant_id: str | None = Field(description="The access grant a supplier acted under; else null.")
    outcome: str = Field(description="succeeded, failed or denied.")
    supplier_intervention: bool = Field(
        description="Whether a platform operator acted on the customer's data."
    )
    agreement_id: str | None = Field(description="The agreement the event concerns; else null.")
    occurred_at: datetime = Field(description="When the event happened.")
    recorded_at: datetime = Field(description="When the audit log recorded it.")
    trace_id: str | None = Field(
        description="The OpenTelemetry trace id of the request; else null."
    )
    correlation_id: str | None = Field(description="The request's correlation id; else null.")
    requirements: list[str] = Field(description="The requirement ids the event is evidence for.")
    data: dict[str, object] = Field(description="The event's payload, without personal data.")
    personal_data: dict[str, Any] | None = Field(
        default=None, description="Decrypted personal data, while its key exists."
    )
    pseudonym: str | None = Field(
        default=None, description="Shown instead of personal data once its key is destroyed."
    )
    leaf_hash: str = Field(description="The entry's Merkle leaf hash, hex (for inclusion proofs).")
    sentence: str = Field(
        default="",
        description="What the entry says, in the language asked for (`lang` or "
        "Accept-Language: nl, fr, en), naming its actor while their key lives.",
    )


class AuditPage(BaseModel):
    items: list[AuditEntryPublic] = Field(description="The entries on this page, in log order.")
    next_cursor: int | None = Field(default=None, description="Pass as `cursor` for the next page.")
    next_before: int | None = Field(default=None, description="Deprecated alias of next_cursor.")


class CheckpointPublic(BaseModel):
    organisation_id: str = Field(description="The organisation whose log it signs.")
    size: int = Field(description="The number of entries the checkpoint covers.")
    root: str = Field(description="The Merkle tree root hash over those entries, base64.")
    signed_at: str = Field(description="When it was signed (RFC 3339).")
    key_id: str = Field(description="The id of the key that signed it.")
    signature: str = Field(description="Ed25519 signature over the checkpoint, base64.")


class CheckpointKeyPeriod(BaseModel):
    algorithm: Literal["Ed25519"] = Field(
        default="Ed25519", description="The signature algorithm: Ed25519."
    )
    key_id: str = Field(description="The key's id.")
    public_key: str = Field(description="Raw 32-byte public key, base64.")
    valid_from: str | None = Field(
        default=None, description="Signs checkpoints from this time (null: since the log began)."
    )
    retired_at: str | None = Field(
        default=None,
        description="Retired at this time (null: current); a checkpoint it signed later fails.",
    )
    status: Literal["current", "retired"] = Field(description="current, or retired.")


class CheckpointKey(BaseModel):
    algorithm: Literal["Ed25519"] = Field(
        default="Ed25519", description="The signature algorithm: Ed25519."
    )
    key_id: str = Field(description="The current key's id.")
    public_key: str = Field(description="The current key: raw 32-byte public key, base64.")
    valid_from: str | None = Field(
        default=None,
        description="The current key signs from this time (null: since the log began).",
    )
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
    log_index: int = Field(description="The entry's leaf index.")
    leaf_hash: str = Field(description="The entry's leaf hash, hex.")
    tree_size: int = Field(description="The tree size the proof is against.")
    path: list[str] = Field(description="The audit path: sibling hashes from the leaf up, hex.")
    checkpoint: CheckpointPublic = Field(description="The signed checkpoint of that tree size.")


class ConsistencyProof(BaseModel):
    first: CheckpointPublic = Field(description="The earlier signed checkpoint.")
    second: CheckpointPublic = Field(description="The later signed checkpoint.")
    path: list[str] = Field(description="The consistency path between the two trees, hex.")


class Verification(BaseModel):
    valid: bool = Field(description="Whether every entry and checkpoint verified.")
    tree_size: int = Field(description="The size of the tree verified.")
    entries_checked: int = Field(description="How many entries were checked.")
    first_bad_position: int | None = Field(
        default=None, description="Leaf index of the first entry that does not verify."
    )
    problem: str | None = Field(default=None, description="What did not verify; null when valid.")
    checkpoint: CheckpointPublic | None = Field(
        default=None, description="The latest signed checkpoint verified against; else null."
    )


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(
        min_length=1, max_length=200, pattern=PRINTABLE, description="The data subject's user id."
    )


class ErasureDone(BaseModel):
    keys_destroyed: int = Field(description="How many personal-data keys were destroyed.")


class ExternalAccepted(BaseModel):
    event_id: str = Field(description="The id of the accepted event.")
    duplicate: bool = Field(description="True when this event id was accepted before.")
