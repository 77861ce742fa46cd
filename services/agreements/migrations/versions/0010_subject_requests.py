"""Data subjects' requests that reach the processor (DPA-15): forwarded to the controller with
the processor's deadline to assist and the controller's month to answer, tracked to closure.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A database built from the current models before migrations existed has the table already.
    if sa.inspect(op.get_bind()).has_table("subject_request"):
        return
    op.create_table(
        "subject_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("right", sa.String(length=30), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("forwarded_by", sa.String(length=200), nullable=False),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assistance", sa.Text(), nullable=True),
        sa.Column("assisted_by", sa.String(length=200), nullable=True),
        sa.Column("assisted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_flagged", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", "number"),
    )
    op.create_index(op.f("ix_subject_request_agreement_id"), "subject_request", ["agreement_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_subject_request_agreement_id"), "subject_request")
    op.drop_table("subject_request")
