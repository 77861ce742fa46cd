"""Retention that follows Annex 1 for breach reports (TOM-T1, DPA-4b): when a breach report's
free text was deleted at the end of the longest period of its categories.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A database built from the current models before migrations existed has the column already.
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("breach")}
    if "text_deleted_at" not in present:
        op.add_column("breach", sa.Column("text_deleted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("breach") as batch:
        batch.drop_column("text_deleted_at")
