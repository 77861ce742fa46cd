"""Changes of a user's sign-in address (issue 13.2): each one asked for in a recently
authenticated session, made when the link sent to the new address is used; the former address is
kept for the notice that tells it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("new_email", sa.String(length=254), nullable=False),
        sa.Column("former_email", sa.String(length=254), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["link_id"], ["one_time_link.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("link_id"),
        if_not_exists=True,
    )
    for column in ("user_id", "organisation_id"):
        op.create_index(
            op.f(f"ix_email_change_{column}"),
            "email_change",
            [column],
            unique=False,
            if_not_exists=True,
        )


def downgrade() -> None:
    for column in ("user_id", "organisation_id"):
        op.drop_index(op.f(f"ix_email_change_{column}"), table_name="email_change")
    op.drop_table("email_change")
