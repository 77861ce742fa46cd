"""The audit log's append-only tables and their guards.

``audit_entry`` (the entries), ``audit_node`` (stored Merkle subtree hashes) and
``audit_checkpoint`` (signed tree heads) are append-only in the database itself (ASVS 16.4.2):
triggers on SQLite and PostgreSQL, installed with the tables, refuse UPDATE and DELETE (and
TRUNCATE on PostgreSQL). Only ``audit_tree`` (each organisation's frontier), ``audit_seal_key``
(keys that erasure destroys), ``audit_agreement`` (who the parties of an agreement are) and
``audit_organisation`` (organisations' names, for an actor's organisation in entries) change.
"""

import uuid
from datetime import datetime

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlmodel import Field, SQLModel

_BIG = BigInteger().with_variant(Integer, "sqlite")  # SQLite's rowid is INTEGER PRIMARY KEY


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("organisation_id", "log_index", name="uq_audit_entry_org_index"),
        Index("ix_audit_entry_org_position", "organisation_id", "position"),
        Index("ix_audit_entry_org_type", "organisation_id", "event_type", "position"),
        Index("ix_audit_entry_org_actor", "organisation_id", "actor_id", "position"),
        Index("ix_audit_entry_agreement", "agreement_id", "position"),
    )

    position: int | None = Field(
        default=None, sa_column=Column(_BIG, primary_key=True, autoincrement=True)
    )
    organisation_id: str = Field(max_length=36)
    log_index: int = Field(sa_column=Column(BigInteger, nullable=False))  # leaf index, from 0
    event_id: uuid.UUID = Field(unique=True)
    event_type: str = Field(max_length=120)
    source: str = Field(max_length=60)
    subject: str | None = Field(default=None, max_length=200)
    actor_id: str = Field(max_length=200)
    actor_type: str = Field(max_length=20)
    actor_organisation_id: str | None = Field(default=None, max_length=36)
    grant_id: str | None = Field(default=None, max_length=200)
    outcome: str = Field(default="succeeded", max_length=20)
    supplier_intervention: bool = False
    agreement_id: str | None = Field(default=None, max_length=64)
    trace_id: str | None = Field(default=None, max_length=32)
    correlation_id: str | None = Field(default=None, max_length=200)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    requirements: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    data: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    seal_key_id: str | None = Field(default=None, max_length=36)
    leaf_hash: str = Field(max_length=64)


class AuditNode(SQLModel, table=True):
    """The hash of a complete subtree (height a multiple of ``merkle.NODE_STRIDE``)."""

    __tablename__ = "audit_node"

    organisation_id: str = Field(primary_key=True, max_length=36)
    level: int = Field(primary_key=True)
    index: int = Field(sa_column=Column(BigInteger, primary_key=True))
    hash: str = Field(max_length=64)


class AuditTree(SQLModel, table=True):
    """An organisation's tree: its size and the right-edge subtree hashes (the frontier)."""

    __tablename__ = "audit_tree"

    organisation_id: str = Field(primary_key=True, max_length=36)
    size: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    frontier: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    checkpointed_size: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class AuditCheckpoint(SQLModel, table=True):
    """A signed tree head: the organisation's tree of ``size`` leaves had this root at that time."""

    __tablename__ = "audit_checkpoint"
    __table_args__ = (Index("ix_audit_checkpoint_org_size", "organisation_id", "size"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: str = Field(max_length=36)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root: str = Field(max_length=64)
    signed_at: str = Field(max_length=40)
    key_id: str = Field(max_length=64)
    signature: str = Field(max_length=128)
    # The C2SP signed note's signature line blob (base64 of key hash and signature), by the same
    # key; None on checkpoints signed before notes were.
    note_signature: str | None = Field(default=None, max_length=128)


class SealKey(SQLModel, table=True):
    """The key that seals one data subject's personal data for one month; erasure destroys it."""

    __tablename__ = "audit_seal_key"
    __table_args__ = (
        Index("ix_audit_seal_key_subject", "organisation_id", "subject_id", "period"),
    )

    id: str = Field(primary_key=True, max_length=36)
    organisation_id: str = Field(max_length=36)
    subject_id: str = Field(max_length=200)
    period: str = Field(max_length=7)
    material: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    destroyed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class AgreementParties(SQLModel, table=True):
    """Who controls and who processes under an agreement, projected from agreement events."""

    __tablename__ = "audit_agreement"
    __table_args__ = (Index("ix_audit_agreement_controller", "controller_id"),)

    agreement_id: str = Field(primary_key=True, max_length=64)
    controller_id: str = Field(max_length=36)
    processor_id: str = Field(max_length=36)
    # Both parties signed a version (``agreement.signed`` with ``fully_signed``): only then may
    # the processor's other applications write into the controller's log.
    signed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class OrganisationName(SQLModel, table=True):
    """An organisation's current name, projected from identity's organisation events, so an entry
    names the organisation of its actor as it was called when the entry was written."""

    __tablename__ = "audit_organisation"

    organisation_id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


class PartitionLease(SQLModel, table=True):
    """Which audit replica consumes one partition of the ingest, until when unless it renews
    (services/audit/partitions.py)."""

    __tablename__ = "audit_partition_lease"

    partition: int = Field(
        sa_column=Column(Integer, primary_key=True, autoincrement=False, nullable=False)
    )
    holder: str = Field(max_length=64)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class LiveReplica(SQLModel, table=True):
    """An audit replica that takes part in sharing the partitions, and when it last said so."""

    __tablename__ = "audit_replica"

    replica: str = Field(primary_key=True, max_length=64)
    seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


APPEND_ONLY = (_table(AuditEntry), _table(AuditNode), _table(AuditCheckpoint))
TABLES = (
    *APPEND_ONLY,
    _table(AuditTree),
    _table(SealKey),
    _table(AgreementParties),
    _table(OrganisationName),
    _table(PartitionLease),
    _table(LiveReplica),
)

_REFUSAL = "audit entries are append-only"

_POSTGRES_FUNCTION = f"""
    CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '{_REFUSAL}'; END; $$ LANGUAGE plpgsql
"""


def _guard(table: Table) -> None:
    name = table.name
    for verb in ("update", "delete"):
        event.listen(
            table,
            "after_create",
            DDL(  # type: ignore[no-untyped-call]
                f"CREATE TRIGGER IF NOT EXISTS {name}_no_{verb} BEFORE {verb.upper()} ON {name} "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END;"
            ).execute_if(dialect="sqlite"),
        )
    for statement in (
        _POSTGRES_FUNCTION,
        f"CREATE OR REPLACE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        f"ON {name} FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
    ):
        event.listen(
            table,
            "after_create",
            DDL(statement).execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
        )


for _append_only in APPEND_ONLY:
    _guard(_append_only)
