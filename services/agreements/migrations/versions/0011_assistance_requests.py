"""The controller's requests for the processor's help with a DPIA or a prior consultation
(DPA-16), or for its intervention in a data subject's claim (DPA-19), with the answers.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A database built from the current models before migrations existed has the table already.
    if sa.inspect(op.get_bind()).has_table("assistance_request"):
        return
    op.create_table(
        "assistance_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("asked_by", sa.String(length=200), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("intervenes", sa.Boolean(), nullable=True),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", "number"),
    )
    op.create_index(
        op.f("ix_assistance_request_agreement_id"), "assistance_request", ["agreement_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_assistance_request_agreement_id"), "assistance_request")
    op.drop_table("assistance_request")
