"""The notifier schema as create_tables built it before migrations existed.

Every table and index is created only if missing, so a database that create_tables built
(an earlier version's var/notifier.db) upgrades through this revision without a row touched.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 18:34:43.921684
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL enum types, created once before the tables: a table created only if it is missing
# must not try to create its type again (nor one another table shares).
ENUMS: dict[str, tuple[str, ...]] = {
    "locale": ("nl", "fr", "en"),
    "channel": ("email", "webhook", "inbox"),
    "deliverystatus": ("pending", "sending", "delivered", "failed"),
}


def _enum(name: str) -> sa.types.TypeEngine[str]:
    values = ENUMS[name]
    return sa.Enum(*values, name=name).with_variant(
        postgresql.ENUM(*values, name=name, create_type=False), "postgresql"
    )


def _create_enums() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name, values in ENUMS.items():
            postgresql.ENUM(*values, name=name).create(bind, checkfirst=True)


def _drop_enums() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name in ENUMS:
            postgresql.ENUM(name=name).drop(bind, checkfirst=True)


def upgrade() -> None:
    _create_enums()
    op.create_table(
        "acknowledgement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("thread_id", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "thread_id"),
        if_not_exists=True,
    )
    op.create_table(
        "contact",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("locale", _enum("locale"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_contact_organisation_id"),
        "contact",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "deadline_clock",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("thread_id", sa.String(length=120), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("sent_points", sa.JSON(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_because", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "thread_id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_deadline_clock_organisation_id"),
        "deadline_clock",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("cause", sa.String(length=120), nullable=False),
        sa.Column("recipient", sa.String(length=250), nullable=False),
        sa.Column("channel", _enum("channel"), nullable=False),
        sa.Column("notice", sa.String(length=60), nullable=False),
        sa.Column("topic", sa.String(length=30), nullable=False),
        sa.Column("thread_id", sa.String(length=120), nullable=True),
        sa.Column(
            "status",
            _enum("deliverystatus"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=200), nullable=True),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cause", "recipient", "channel"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_delivery_due",
        "delivery",
        ["status", "next_attempt_at"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_delivery_organisation_id"),
        "delivery",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_delivery_thread_id"), "delivery", ["thread_id"], unique=False, if_not_exists=True
    )
    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_delivery_attempt_delivery_id"),
        "delivery_attempt",
        ["delivery_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_delivery_attempt_organisation_id"),
        "delivery_attempt",
        ["organisation_id"],
        unique=False,
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
        "inbox_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("notice", sa.String(length=60), nullable=False),
        sa.Column("thread_id", sa.String(length=120), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("event_id", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery_id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_inbox_item_organisation_id"),
        "inbox_item",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_inbox_item_user_id"), "inbox_item", ["user_id"], unique=False, if_not_exists=True
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
    op.create_table(
        "preference",
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("locale", _enum("locale"), nullable=False),
        sa.Column("muted_topics", sa.JSON(), nullable=False),
        sa.Column("muted_channels", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "user_id"),
        if_not_exists=True,
    )
    op.create_table(
        "receipt",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("event_id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_receipt_organisation_id"),
        "receipt",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_webhook_endpoint_organisation_id"),
        "webhook_endpoint",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_endpoint_organisation_id"), table_name="webhook_endpoint")
    op.drop_table("webhook_endpoint")
    op.drop_index(op.f("ix_receipt_organisation_id"), table_name="receipt")
    op.drop_table("receipt")
    op.drop_table("preference")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_inbox_item_user_id"), table_name="inbox_item")
    op.drop_index(op.f("ix_inbox_item_organisation_id"), table_name="inbox_item")
    op.drop_table("inbox_item")
    op.drop_table("inbox")
    op.drop_index(op.f("ix_delivery_attempt_organisation_id"), table_name="delivery_attempt")
    op.drop_index(op.f("ix_delivery_attempt_delivery_id"), table_name="delivery_attempt")
    op.drop_table("delivery_attempt")
    op.drop_index(op.f("ix_delivery_thread_id"), table_name="delivery")
    op.drop_index(op.f("ix_delivery_organisation_id"), table_name="delivery")
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index(op.f("ix_deadline_clock_organisation_id"), table_name="deadline_clock")
    op.drop_table("deadline_clock")
    op.drop_index(op.f("ix_contact_organisation_id"), table_name="contact")
    op.drop_table("contact")
    op.drop_table("acknowledgement")
    _drop_enums()
