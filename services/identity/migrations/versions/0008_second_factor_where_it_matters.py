"""MFA where it matters (issue 13.2): an operator organisation requires a second factor of
everyone, so the ones created before say so too; a session records when its user last proved
themselves again (step-up), for the changes that need a recent authentication.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    columns = {column["name"] for column in sa.inspect(bind).get_columns("login_session")}
    if "verified_at" not in columns:
        op.add_column(
            "login_session", sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(sa.text("UPDATE organisation SET mfa = 'everyone' WHERE kind = 'operator'"))


def downgrade() -> None:
    with op.batch_alter_table("login_session") as table:
        table.drop_column("verified_at")
