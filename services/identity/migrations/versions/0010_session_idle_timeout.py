"""An idle timeout within the session lifetime (issue 13 item 5, ASVS 7.3.1): each organisation
says how long a session may go unused before it ends; existing ones get the default, 30 minutes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("organisation")}
    if "session_idle_minutes" not in present:
        op.add_column(
            "organisation",
            sa.Column(
                "session_idle_minutes", sa.Integer(), nullable=False, server_default=sa.text("30")
            ),
        )


def downgrade() -> None:
    with op.batch_alter_table("organisation") as table:
        table.drop_column("session_idle_minutes")
