"""The audit schema as create_tables built it before migrations existed.

Every table and index is created only if missing, so a database that create_tables built
(an earlier version's var/audit.db) upgrades through this revision without a row touched.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 18:34:42.111465
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Entries, subtree hashes and checkpoints are append-only in the database itself (ASVS 16.4.2):
# what services/audit/store.py installed with the tables, frozen here as of this revision.
APPEND_ONLY = ("audit_entry", "audit_node", "audit_checkpoint")
REFUSAL = "audit entries are append-only"


def _guard_append_only() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} "
                    f"ON {table} BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END;"
                )
        elif dialect == "postgresql":
            op.execute(
                "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$ "
                f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END; $$ LANGUAGE plpgsql"
            )
            op.execute(
                f"CREATE OR REPLACE TRIGGER {table}_append_only "
                "BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
            )


def upgrade() -> None:
    op.create_table(
        "audit_agreement",
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("controller_id", sa.String(length=36), nullable=False),
        sa.Column("processor_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_audit_agreement_controller",
        "audit_agreement",
        ["controller_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_audit_checkpoint_org_size",
        "audit_checkpoint",
        ["organisation_id", "size"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "audit_entry",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("actor_id", sa.String(length=200), nullable=False),
        sa.Column("actor_type", sa.String(length=20), nullable=False),
        sa.Column("actor_organisation_id", sa.String(length=36), nullable=True),
        sa.Column("grant_id", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("supplier_intervention", sa.Boolean(), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=True),
        sa.Column("trace_id", sa.String(length=32), nullable=True),
        sa.Column("correlation_id", sa.String(length=200), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requirements", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("seal_key_id", sa.String(length=36), nullable=True),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("organisation_id", "log_index", name="uq_audit_entry_org_index"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_audit_entry_agreement",
        "audit_entry",
        ["agreement_id", "position"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_audit_entry_org_actor",
        "audit_entry",
        ["organisation_id", "actor_id", "position"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_audit_entry_org_position",
        "audit_entry",
        ["organisation_id", "position"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_audit_entry_org_type",
        "audit_entry",
        ["organisation_id", "event_type", "position"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "audit_node",
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("index", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "level", "index"),
        if_not_exists=True,
    )
    op.create_table(
        "audit_seal_key",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("material", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_audit_seal_key_subject",
        "audit_seal_key",
        ["organisation_id", "subject_id", "period"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "audit_tree",
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("frontier", sa.JSON(), nullable=False),
        sa.Column("checkpointed_size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id"),
        if_not_exists=True,
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
        if_not_exists=True,
    )
    op.create_table(
        "outbox",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("event_id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["published_at", "position"],
        unique=False,
        if_not_exists=True,
    )

    _guard_append_only()


def downgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_table("audit_tree")
    op.drop_index("ix_audit_seal_key_subject", table_name="audit_seal_key")
    op.drop_table("audit_seal_key")
    op.drop_table("audit_node")
    op.drop_index("ix_audit_entry_org_type", table_name="audit_entry")
    op.drop_index("ix_audit_entry_org_position", table_name="audit_entry")
    op.drop_index("ix_audit_entry_org_actor", table_name="audit_entry")
    op.drop_index("ix_audit_entry_agreement", table_name="audit_entry")
    op.drop_table("audit_entry")
    op.drop_index("ix_audit_checkpoint_org_size", table_name="audit_checkpoint")
    op.drop_table("audit_checkpoint")
    op.drop_index("ix_audit_agreement_controller", table_name="audit_agreement")
    op.drop_table("audit_agreement")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
