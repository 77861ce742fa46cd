"""Subprocessors per controller (DPA-5, DPA-17): version 1 carries the subprocessor list its
signers signed, each signature the digest of the version it signed; an objection records how the
processor closed it; a flow-down agreement is recorded per subprocessor.

Versions and signatures made before keep null: their list was never part of the signed text.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _add_missing(table: str, *columns: sa.Column[object]) -> None:
    """Add the columns ``table`` lacks (a database created from the models has them already)."""
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)}
    missing = [column for column in columns if column.name not in present]
    if missing:
        with op.batch_alter_table(table) as batch:
            for column in missing:
                batch.add_column(column)


def upgrade() -> None:
    _add_missing("agreement_version", sa.Column("subprocessors", sa.JSON(), nullable=True))
    _add_missing(
        "agreement_signature", sa.Column("version_sha256", sa.String(length=64), nullable=True)
    )
    _add_missing(
        "subprocessor_notice",
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "subprocessor_flow_down",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("processor_id", sa.Uuid(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("same_obligations", sa.Boolean(), nullable=False),
        sa.Column("guarantees", sa.Text(), nullable=False),
        sa.Column("transfers_outside_eea", sa.Boolean(), nullable=False),
        sa.Column("transfer_countries", sa.JSON(), nullable=False),
        sa.Column("transfer_basis", sa.String(length=200), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["change_id"], ["subprocessor_change.id"]),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_subprocessor_flow_down_change_id"),
        "subprocessor_flow_down",
        ["change_id"],
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_subprocessor_flow_down_processor_id"),
        "subprocessor_flow_down",
        ["processor_id"],
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_subprocessor_flow_down_processor_id"), "subprocessor_flow_down")
    op.drop_index(op.f("ix_subprocessor_flow_down_change_id"), "subprocessor_flow_down")
    op.drop_table("subprocessor_flow_down")
    with op.batch_alter_table("subprocessor_notice") as table:
        for column in ("resolved_at", "resolved_by", "resolution_note", "resolution"):
            table.drop_column(column)
    with op.batch_alter_table("agreement_signature") as table:
        table.drop_column("version_sha256")
    with op.batch_alter_table("agreement_version") as table:
        table.drop_column("subprocessors")
