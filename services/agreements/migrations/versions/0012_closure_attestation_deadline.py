"""The end of processing that means it (DPA-13, DPA-4b): the processor's attestation of what it
destroyed or returned on its own systems and backups, and the marks of the return-or-destruction
deadline (announced before, raised when passed).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A database built from the current models before migrations existed has the tables already.
    tables = sa.inspect(op.get_bind())
    if not tables.has_table("destruction_attestation"):
        op.create_table(
            "destruction_attestation",
            sa.Column("id", sa.Uuid(), nullable=False),
            sa.Column("agreement_id", sa.Uuid(), nullable=False),
            sa.Column("items", sa.JSON(), nullable=False),
            sa.Column("attested_by", sa.String(length=200), nullable=False),
            sa.Column("attested_name", sa.String(length=200), nullable=False),
            sa.Column("attested_role", sa.String(length=50), nullable=False),
            sa.Column("attested_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("agreement_id"),
        )
    if not tables.has_table("closure_deadline"):
        op.create_table(
            "closure_deadline",
            sa.Column("agreement_id", sa.Uuid(), nullable=False),
            sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("passed_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"]),
            sa.PrimaryKeyConstraint("agreement_id"),
        )


def downgrade() -> None:
    op.drop_table("closure_deadline")
    op.drop_table("destruction_attestation")
