"""Checkpoints signed as C2SP signed notes too (issue 15, item 2): the note's signature blob.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: the table and its append-only triggers stay as they
    # are (a batch copy would recreate the table).
    op.add_column(
        "audit_checkpoint", sa.Column("note_signature", sa.String(length=128), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("audit_checkpoint", "note_signature")
