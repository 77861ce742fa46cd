"""A customer's admin can object to a maintenance notice (TOM-O3): when, by whom, and why. Notices
sent before stay unobjected (null).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("objected_at", sa.DateTime(timezone=True)),
    ("objected_by", sa.Uuid()),
    ("objection", sa.String(length=500)),
)


def upgrade() -> None:
    bind = op.get_bind()
    # A table built from the current models before migrations existed has the columns already.
    present = {column["name"] for column in sa.inspect(bind).get_columns("maintenance_notice")}
    for name, kind in COLUMNS:
        if name not in present:
            op.add_column("maintenance_notice", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("maintenance_notice") as table:
        for name, _ in reversed(COLUMNS):
            table.drop_column(name)
