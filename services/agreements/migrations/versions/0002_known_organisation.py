"""The directory of known organisations (directory/store.py), filled with the parties of the
agreements already stored.

An organisation that is the controller of some stored agreement and the processor of none is known
as a controller, and the other way round; one found on both sides (possible before the directory
existed) is left for identity's event to teach. Everything else the directory learns from
identity's ``organisation.created`` events, which the new ``agreements-organisations`` consumer
reads from the start of the stream.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 19:20:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Parties found on one side only, each known with that side's kind. The literal kind stays untyped
# until the INSERT gives it the column's type (an enum on PostgreSQL).
_BACKFILL = (
    "INSERT INTO known_organisation (id, kind, known_since, learnt_from) "
    "SELECT controller_id, 'controller', :now, 'agreements' FROM agreement "
    "WHERE controller_id IS NOT NULL AND controller_id NOT IN "
    "(SELECT processor_id FROM agreement WHERE processor_id IS NOT NULL) "
    "GROUP BY controller_id",
    "INSERT INTO known_organisation (id, kind, known_since, learnt_from) "
    "SELECT processor_id, 'processor', :now, 'agreements' FROM agreement "
    "WHERE processor_id IS NOT NULL AND processor_id NOT IN "
    "(SELECT controller_id FROM agreement WHERE controller_id IS NOT NULL) "
    "GROUP BY processor_id",
)


def upgrade() -> None:
    op.create_table(
        "known_organisation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("controller", "processor", "operator", name="organisationkind"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("known_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "learnt_from",
            sa.Enum("event", "demo_seed", "agreements", name="learntfrom"),
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    now = datetime.now(UTC)
    for statement in _BACKFILL:
        op.get_bind().execute(sa.text(statement), {"now": now})


def downgrade() -> None:
    op.drop_table("known_organisation")
    sa.Enum(name="learntfrom").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="organisationkind").drop(op.get_bind(), checkfirst=True)
