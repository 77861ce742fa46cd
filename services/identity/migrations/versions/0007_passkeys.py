"""Passkeys (WebAuthn, TOM-T2b): the credentials users register, the challenges handed to their
browsers, and the organisation's two passkey policies (an admin's second factor must be a passkey;
a passkey may sign in without the password). Both policies start off.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POLICIES = ("phishing_resistant_admins", "passwordless")


def upgrade() -> None:
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("organisation")}
    for name in POLICIES:
        if name not in present:
            op.add_column(
                "organisation",
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()),
            )
    op.create_table(
        "passkey",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("aaguid", sa.String(length=36), nullable=False),
        sa.Column("transports", sa.String(length=200), nullable=False),
        sa.Column("backup_eligible", sa.Boolean(), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credential_id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_passkey_user_id"), "passkey", ["user_id"], unique=False, if_not_exists=True
    )
    op.create_index(
        op.f("ix_passkey_organisation_id"),
        "passkey",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "passkey_ceremony",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("digest"),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("passkey_ceremony")
    op.drop_index(op.f("ix_passkey_organisation_id"), table_name="passkey")
    op.drop_index(op.f("ix_passkey_user_id"), table_name="passkey")
    op.drop_table("passkey")
    with op.batch_alter_table("organisation") as table:
        for name in reversed(POLICIES):
            table.drop_column(name)
