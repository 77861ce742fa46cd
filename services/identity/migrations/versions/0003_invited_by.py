"""Users record who invited them (the console's invitation preview names the inviter). Users
invited before stay unknown (null).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    # A table built from the current models before migrations existed has the column already.
    if "invited_by" in {column["name"] for column in sa.inspect(bind).get_columns("user_account")}:
        return
    op.add_column("user_account", sa.Column("invited_by", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account") as table:
        table.drop_column("invited_by")
