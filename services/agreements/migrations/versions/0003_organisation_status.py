"""The directory of known organisations keeps each organisation's status (an operator can disable
one in identity) and the event time of the name and status it holds, so that a later fact wins
over an earlier one whatever order the events arrive in. Every organisation stored before is
active, with no event time (any event overrides it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("active", "disabled")


def upgrade() -> None:
    bind = op.get_bind()
    # A table built from the current models before migrations existed has the columns already.
    present = {column["name"] for column in sa.inspect(bind).get_columns("known_organisation")}
    if "status" not in present:
        if bind.dialect.name == "postgresql":
            postgresql.ENUM(*STATUSES, name="organisationstatus").create(bind, checkfirst=True)
        status = sa.Enum(*STATUSES, name="organisationstatus").with_variant(
            postgresql.ENUM(*STATUSES, name="organisationstatus", create_type=False), "postgresql"
        )
        op.add_column(
            "known_organisation",
            sa.Column("status", status, nullable=False, server_default="active"),
        )
    for column in ("name_as_of", "status_as_of"):
        if column not in present:
            op.add_column(
                "known_organisation",
                sa.Column(column, sa.DateTime(timezone=True), nullable=True),
            )


def downgrade() -> None:
    with op.batch_alter_table("known_organisation") as table:
        table.drop_column("status_as_of")
        table.drop_column("name_as_of")
        table.drop_column("status")
    if op.get_bind().dialect.name == "postgresql":
        postgresql.ENUM(name="organisationstatus").drop(op.get_bind(), checkfirst=True)
