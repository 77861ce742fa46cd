"""Retention of deliveries (TOM-T1, issue 14.5): ``delivery.retention_applied_at`` records when a
delivery's address and text were removed after its retention period (``services/notifier/
retention.py``); the row itself stays, the evidence that a notice was delivered, when and to which
recipient.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(
            sa.Column("retention_applied_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("retention_applied_at")
