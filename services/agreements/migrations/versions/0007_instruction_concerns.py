"""An instruction the processor believes infringes the GDPR (DPA-14): its concern, and the
controller's answer (confirmed, amended or withdrawn), beside the instruction.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instruction") as table:
        table.add_column(sa.Column("concern", sa.Text(), nullable=True))
        table.add_column(sa.Column("concern_raised_by", sa.String(length=200), nullable=True))
        table.add_column(sa.Column("concern_raised_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("concern_answer", sa.String(length=20), nullable=True))
        table.add_column(sa.Column("concern_answer_note", sa.Text(), nullable=True))
        table.add_column(sa.Column("concern_answered_by", sa.String(length=200), nullable=True))
        table.add_column(
            sa.Column("concern_answered_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("instruction") as table:
        for column in (
            "concern_answered_at",
            "concern_answered_by",
            "concern_answer_note",
            "concern_answer",
            "concern_raised_at",
            "concern_raised_by",
            "concern",
        ):
            table.drop_column(column)
