"""The signature block (DPA-20): each signature records the place, the signer's name and the
capacity they signed in; the date is its ``signed_at``. Signatures made before keep null.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 21:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("place", "signer_name", "signer_role")


def upgrade() -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("agreement_signature")}
    missing = [column for column in COLUMNS if column not in present]  # built from the models
    if missing:
        with op.batch_alter_table("agreement_signature") as table:
            for column in missing:
                table.add_column(sa.Column(column, sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agreement_signature") as table:
        for column in reversed(COLUMNS):
            table.drop_column(column)
