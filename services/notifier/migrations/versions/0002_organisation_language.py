"""An organisation's notice settings (its language), and contacts and users who follow it.

``organisation_settings`` holds the language an organisation's admin chose (Dutch until set). A
contact's or a user's ``locale`` may now be empty: that one follows the organisation's language.
Existing rows keep the language they have.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCALES = ("nl", "fr", "en")


def _locale() -> sa.types.TypeEngine[str]:
    """The ``locale`` enum revision 0001 created (a PostgreSQL type, not created again)."""
    return sa.Enum(*LOCALES, name="locale").with_variant(
        postgresql.ENUM(*LOCALES, name="locale", create_type=False), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "organisation_settings",
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("locale", _locale(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    for table in ("contact", "preference"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("locale", existing_type=_locale(), nullable=True)


def downgrade() -> None:
    for table in ("contact", "preference"):
        rows = sa.table(table, sa.column("locale", _locale()))
        op.execute(rows.update().where(rows.c.locale.is_(None)).values(locale="nl"))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("locale", existing_type=_locale(), nullable=False)
    op.drop_table("organisation_settings")
