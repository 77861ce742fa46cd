"""An entry of the directory of known organisations may have no kind yet: a rename or status
change that arrived before identity's ``organisation.created`` (events written by different
processes reach the stream in the order each published them) is held on it until the event that
says the kind arrives. Such an entry is no party to anything.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("controller", "processor", "operator")


def _kind() -> sa.types.TypeEngine[str]:
    return sa.Enum(*KINDS, name="organisationkind").with_variant(
        postgresql.ENUM(*KINDS, name="organisationkind", create_type=False), "postgresql"
    )


def upgrade() -> None:
    with op.batch_alter_table("known_organisation") as table:
        table.alter_column("kind", existing_type=_kind(), nullable=True)


def downgrade() -> None:
    # Entries that only hold facts (no kind) describe no organisation anyone can be party with.
    op.execute("DELETE FROM known_organisation WHERE kind IS NULL")
    with op.batch_alter_table("known_organisation") as table:
        table.alter_column("kind", existing_type=_kind(), nullable=False)
