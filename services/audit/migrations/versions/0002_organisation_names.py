"""Organisations' names, so an entry names its actor's organisation (issue 15, item 1).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_organisation",
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id"),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("audit_organisation")
