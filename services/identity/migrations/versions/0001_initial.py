"""The identity schema as create_tables built it before migrations existed.

Every table and index is created only if missing, so a database that create_tables built
(an earlier version's var/identity.db) upgrades through this revision without a row touched.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 18:34:36.857040
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
    "mfarequirement": ("none", "admins", "everyone"),
    "userstatus": ("invited", "active", "disabled", "removed"),
    "grantstatus": ("requested", "approved", "denied", "revoked", "expired"),
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
        "client_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address", "window"),
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
        "organisation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_length", sa.Integer(), nullable=False),
        sa.Column("password_history", sa.Integer(), nullable=False),
        sa.Column("mfa", _enum("mfarequirement"), nullable=False),
        sa.Column("lock_threshold", sa.Integer(), nullable=False),
        sa.Column("lock_minutes", sa.String(length=200), nullable=False),
        sa.Column("permanent_after", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
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
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("public_x", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid"),
        if_not_exists=True,
    )
    op.create_table(
        "maintenance_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_maintenance_notice_organisation_id"),
        "maintenance_notice",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column(
            "status",
            _enum("userstatus"),
            nullable=False,
        ),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locks", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_permanently", sa.Boolean(), nullable=False),
        sa.Column("totp_sealed", sa.Text(), nullable=True),
        sa.Column("totp_pending", sa.Text(), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=False),
        sa.Column("mfa_enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_user_account_organisation_id"),
        "user_account",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "access_grant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("operator_organisation_id", sa.Uuid(), nullable=False),
        sa.Column("access", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            _enum("grantstatus"),
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_access_grant_operator_id"),
        "access_grant",
        ["operator_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_grant_org_status",
        "access_grant",
        ["organisation_id", "status"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "login_challenge",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("methods", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("digest"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_login_challenge_user_id"),
        "login_challenge",
        ["user_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "login_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("methods", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_login_session_organisation_id"),
        "login_session",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_login_session_user_id"),
        "login_session",
        ["user_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "one_time_link",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetches", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_one_time_link_organisation_id"),
        "one_time_link",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_one_time_link_user_id"),
        "one_time_link",
        ["user_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_password_history_user_id"),
        "password_history",
        ["user_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "recovery_code",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("digest"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_recovery_code_user_id"),
        "recovery_code",
        ["user_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "refresh_token",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["login_session.id"],
        ),
        sa.PrimaryKeyConstraint("digest"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_refresh_token_session_id"),
        "refresh_token",
        ["session_id"],
        unique=False,
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_refresh_token_session_id"), table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_index(op.f("ix_recovery_code_user_id"), table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_index(op.f("ix_password_history_user_id"), table_name="password_history")
    op.drop_table("password_history")
    op.drop_index(op.f("ix_one_time_link_user_id"), table_name="one_time_link")
    op.drop_index(op.f("ix_one_time_link_organisation_id"), table_name="one_time_link")
    op.drop_table("one_time_link")
    op.drop_index(op.f("ix_login_session_user_id"), table_name="login_session")
    op.drop_index(op.f("ix_login_session_organisation_id"), table_name="login_session")
    op.drop_table("login_session")
    op.drop_index(op.f("ix_login_challenge_user_id"), table_name="login_challenge")
    op.drop_table("login_challenge")
    op.drop_index("ix_grant_org_status", table_name="access_grant")
    op.drop_index(op.f("ix_access_grant_operator_id"), table_name="access_grant")
    op.drop_table("access_grant")
    op.drop_index(op.f("ix_user_account_organisation_id"), table_name="user_account")
    op.drop_table("user_account")
    op.drop_index(op.f("ix_maintenance_notice_organisation_id"), table_name="maintenance_notice")
    op.drop_table("maintenance_notice")
    op.drop_table("signing_key")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("organisation")
    op.drop_table("inbox")
    op.drop_table("client_failure")
    _drop_enums()
