"""The processor's privacy notice (DPA-10): each version submitted to the controller, and the
controller's answer (approved or commented).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A database built from the current models before migrations existed has the table already.
    if sa.inspect(op.get_bind()).has_table("privacy_notice"):
        return
    op.create_table(
        "privacy_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("manner", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review", sa.String(length=20), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", "version"),
    )
    op.create_index(op.f("ix_privacy_notice_agreement_id"), "privacy_notice", ["agreement_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_notice_agreement_id"), "privacy_notice")
    op.drop_table("privacy_notice")
