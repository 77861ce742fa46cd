"""Retention that follows Annex 1 (TOM-T1, TOM-32a, DPA-4b): the Annex 1 categories a data
subject's request or an assistance request concerns, and when its free text was deleted at the
end of the longest of their periods. Existing records get no categories (the fallback period).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("subject_request", "assistance_request")


def upgrade() -> None:
    # A database built from the current models before migrations existed has the columns already.
    inspector = sa.inspect(op.get_bind())
    for table in TABLES:
        present = {column["name"] for column in inspector.get_columns(table)}
        if "data_categories" not in present:
            op.add_column(
                table, sa.Column("data_categories", sa.JSON(), nullable=False, server_default="[]")
            )
        if "retention_applied_at" not in present:
            op.add_column(
                table, sa.Column("retention_applied_at", sa.DateTime(timezone=True), nullable=True)
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("retention_applied_at")
            batch.drop_column("data_categories")
