"""Audit replicas share the ingest's partitions through leases (issue 17.3):
``audit_partition_lease`` says which replica consumes a partition until when, ``audit_replica``
which replicas are alive (services/audit/partitions.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_partition_lease",
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partition"),
        if_not_exists=True,
    )
    op.create_table(
        "audit_replica",
        sa.Column("replica", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("replica"),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("audit_replica")
    op.drop_table("audit_partition_lease")
