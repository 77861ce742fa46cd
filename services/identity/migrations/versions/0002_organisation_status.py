"""Organisations get a status: an operator can disable one whose contract ended (and enable it
again). Every organisation stored before is active.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("active", "disabled")


def upgrade() -> None:
    bind = op.get_bind()
    # A table built from the current models before migrations existed has the column already.
    if "status" in {column["name"] for column in sa.inspect(bind).get_columns("organisation")}:
        return
    if bind.dialect.name == "postgresql":
        postgresql.ENUM(*STATUSES, name="organisationstatus").create(bind, checkfirst=True)
    status = sa.Enum(*STATUSES, name="organisationstatus").with_variant(
        postgresql.ENUM(*STATUSES, name="organisationstatus", create_type=False), "postgresql"
    )
    op.add_column(
        "organisation", sa.Column("status", status, nullable=False, server_default="active")
    )


def downgrade() -> None:
    with op.batch_alter_table("organisation") as table:
        table.drop_column("status")
    if op.get_bind().dialect.name == "postgresql":
        postgresql.ENUM(name="organisationstatus").drop(op.get_bind(), checkfirst=True)
