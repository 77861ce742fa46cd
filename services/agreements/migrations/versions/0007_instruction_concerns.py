"""An instruction the processor believes infringes the GDPR (DPA-14): its concern, and the
controller's answer (confirmed, amended or withdrawn), beside the instruction.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS: dict[str, sa.types.TypeEngine[Any]] = {
    "concern": sa.Text(),
    "concern_raised_by": sa.String(length=200),
    "concern_raised_at": sa.DateTime(timezone=True),
    "concern_answer": sa.String(length=20),
    "concern_answer_note": sa.Text(),
    "concern_answered_by": sa.String(length=200),
    "concern_answered_at": sa.DateTime(timezone=True),
}


def upgrade() -> None:
    # A table built from the current models before migrations existed has the columns already.
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("instruction")}
    missing = {name: kind for name, kind in COLUMNS.items() if name not in present}
    if missing:
        with op.batch_alter_table("instruction") as table:
            for name, kind in missing.items():
                table.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("instruction") as table:
        for column in reversed(COLUMNS):
            table.drop_column(column)
