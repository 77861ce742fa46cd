"""The controller's side of art. 6 (DPA-18): its own measures, its reviews of the processor's
Annex 2 measures with their follow-up, and the risk assessment Annex 2 is matched to.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns(*extra: sa.Column) -> tuple[sa.schema.SchemaItem, ...]:  # type: ignore[type-arg]
    return (
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        *extra,
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


TABLES: dict[str, tuple[sa.schema.SchemaItem, ...]] = {
    "controller_measure": _columns(
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("in_place_since", sa.Date(), nullable=True),
    ),
    "measure_review": _columns(
        sa.Column("measure_id", sa.String(length=20), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=True),
        sa.Column("follow_up_due_on", sa.Date(), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
    ),
    "risk_assessment": _columns(
        sa.Column("risks", sa.JSON(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=False),
    ),
}


def upgrade() -> None:
    # A database built from the current models before migrations existed has the tables already.
    existing = sa.inspect(op.get_bind())
    for name, columns in TABLES.items():
        if existing.has_table(name):
            continue
        op.create_table(name, *columns)
        op.create_index(op.f(f"ix_{name}_agreement_id"), name, ["agreement_id"])


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_index(op.f(f"ix_{name}_agreement_id"), name)
        op.drop_table(name)
