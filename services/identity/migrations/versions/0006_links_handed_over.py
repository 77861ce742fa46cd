"""A one-time link can be handed over by the operator's command (``pactum create-admin``): the
notifier then neither mails it nor mints it again, so the printed link keeps working (issue 18.1).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("one_time_link")}
    if "handed_over" not in columns:
        op.add_column(
            "one_time_link",
            sa.Column("handed_over", sa.Boolean(), nullable=False, server_default=sa.false()),
        )


def downgrade() -> None:
    with op.batch_alter_table("one_time_link") as table:
        table.drop_column("handed_over")
