"""Payloads of the events the audit service emits, and of the access events it accepts from the
processor's other applications (``dpa.external.*``, see docs/audit.md "External producers")."""

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.event_types.audit import (
    AUDIT_GRANT_USE_DENIED,
    LOG_EXPORTED,
    LOG_VERIFIED,
    LOG_VIEWED,
    PERSONAL_DATA_DESTROYED,
    PLATFORM_BACKUP_CREATED,
    PLATFORM_BACKUP_RESTORED,
    PLATFORM_DATABASE_MIGRATED,
    PLATFORM_KEY_REVOKED,
    PLATFORM_KEY_ROTATED,
    PROOF_VIEWED,
)
from shared.events.contracts.identity import grant_use_refused
from shared.events.kind import EventKind


class AuditLogViewed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: dict[str, str]
    entries: int
    first_position: int | None = None
    last_position: int | None = None


class AuditLogExported(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: dict[str, str]
    format: Literal["jsonl", "csv"]
    tree_size: int


class AuditLogVerified(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tree_size: int
    valid: bool
    first_bad_position: int | None = None


class AuditProofViewed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proof: Literal["inclusion", "consistency"]
    tree_size: int
    log_index: int | None = None
    first_size: int | None = None


class PersonalDataDestroyed(BaseModel):
    """Keys destroyed: the entries they sealed now show a pseudonym. Ids only, no personal data."""

    model_config = ConfigDict(extra="forbid")

    reason: Literal["erasure_request", "retention"]
    key_ids: list[str]
    periods: list[str] = Field(default_factory=list)


class ExternalAccess(BaseModel):
    """An access by one of the processor's other applications to a controller's data."""

    model_config = ConfigDict(extra="forbid")

    application: str = Field(min_length=1, max_length=100)
    record_type: str = Field(min_length=1, max_length=100)
    record_ids: list[str] = Field(default_factory=list, max_length=1000)
    fields: list[str] = Field(default_factory=list, max_length=200)
    purpose: str | None = Field(default=None, max_length=200)
    agreement_id: uuid.UUID | None = None


class PlatformMaintenance(BaseModel):
    """The operator maintained the platform as a whole (``pactum`` backup, restore, migrate,
    rotate-key). Published once under the tenant ``platform``; the audit service
    writes it into the log of every organisation it knows (TOM-T3c). Names the operator's
    account, never a password, key or backup key."""

    model_config = ConfigDict(extra="forbid")

    operator: str = Field(
        min_length=1,
        max_length=100,
        description="The operator account that ran the command (``--operator`` or "
        "``PACTUM_OPERATOR``); TOM-T3c.",
    )
    command: str = Field(
        min_length=1,
        max_length=40,
        description="The ``pactum`` command that was run: backup, restore, migrate, rotate-key "
        "or revoke-key (rotate-key --revoke-now).",
    )
    backup: str | None = Field(
        default=None,
        max_length=200,
        description="The backup's name (its directory, ``pactum-backup-...``) for a backup or "
        "a restore; never its key.",
    )
    services: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="Whose databases the command touched (identity, agreements, audit, notifier, "
        "console), or the key's owner for a key rotation.",
    )
    key: Literal["token", "checkpoint", "ingest"] | None = Field(
        default=None,
        description="For a key rotation: which key (identity's token key, audit's checkpoint "
        "key, or audit's ingest key, which the actor's name is sealed to). The key itself is "
        "never in the event.",
    )
    key_id: str | None = Field(
        default=None, max_length=100, description="The new key's public id, for a key rotation."
    )


# Platform maintenance: one kind per command, so that each entry tells its own sentence.
MAINTENANCE_KINDS = {
    "backup": PLATFORM_BACKUP_CREATED,
    "restore": PLATFORM_BACKUP_RESTORED,
    "migrate": PLATFORM_DATABASE_MIGRATED,
    "rotate-key": PLATFORM_KEY_ROTATED,
    "revoke-key": PLATFORM_KEY_REVOKED,
}
_MAINTENANCE_SUMMARIES = {
    "backup": "The operator backed up the platform's databases (and event stream).",
    "restore": "The operator restored the platform from a backup; recorded after the restore.",
    "migrate": "The operator migrated the platform's databases to their latest schema.",
    "rotate-key": "The operator rotated a platform key (token, checkpoint or ingest).",
    "revoke-key": "The operator rotated the token key and revoked every earlier key at once.",
}

_EXTERNAL = ("TOM-T3a", "TOM-T3c")

KINDS = (
    EventKind(
        type=LOG_VIEWED,
        payload=AuditLogViewed,
        requirements=("TOM-T3a", "TOM-T3b"),
        summary="An organisation's audit log was read.",
    ),
    EventKind(
        type=LOG_EXPORTED,
        payload=AuditLogExported,
        requirements=("TOM-T4", "TOM-T3b", "DPA-11"),
        summary="An organisation's audit log was exported.",
    ),
    EventKind(
        type=LOG_VERIFIED,
        payload=AuditLogVerified,
        requirements=("DPA-11", "TOM-T3b"),
        summary="An organisation's audit log was verified against its signed checkpoint.",
    ),
    EventKind(
        type=PROOF_VIEWED,
        payload=AuditProofViewed,
        requirements=("DPA-11", "TOM-T3b"),
        summary="An inclusion or consistency proof of an organisation's log was read.",
    ),
    EventKind(
        type=PERSONAL_DATA_DESTROYED,
        payload=PersonalDataDestroyed,
        requirements=("TOM-T1", "TOM-32a"),
        summary="Keys sealing personal data in the log were destroyed (erasure or retention).",
    ),
    *(
        EventKind(
            type=MAINTENANCE_KINDS[command],
            payload=PlatformMaintenance,
            requirements=("TOM-T3c",),
            summary=_MAINTENANCE_SUMMARIES[command],
        )
        for command in MAINTENANCE_KINDS
    ),
    *(
        EventKind(
            type=f"dpa.external.record.{verb}.v1",
            payload=ExternalAccess,
            requirements=_EXTERNAL,
            summary=f"One of the processor's other applications {verb} a controller's record.",
        )
        for verb in ("viewed", "listed", "exported", "created", "updated", "deleted")
    ),
    grant_use_refused(AUDIT_GRANT_USE_DENIED),
)
