"""An address may be invited by several organisations at once (issue 18.3): inviting an address
that has an account elsewhere no longer answers 409, which told an organisation's admin about
another organisation's accounts. The address still holds at most one account that is not a
pending invitation (a partial unique index), and one per organisation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOLDS_ACCOUNT = sa.text("status != 'invited'")
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_on_email(bind: sa.Connection) -> str | None:
    for constraint in sa.inspect(bind).get_unique_constraints("user_account"):
        if constraint["column_names"] == ["email"]:
            return constraint["name"] or "uq_user_account_email"
    return None


def upgrade() -> None:
    bind = op.get_bind()
    name = _unique_on_email(bind)
    if name is not None:
        if bind.dialect.name == "postgresql":
            op.drop_constraint(name, "user_account", type_="unique")
        else:
            with op.batch_alter_table(
                "user_account", recreate="always", naming_convention=NAMING
            ) as table:
                table.drop_constraint(name, type_="unique")
    existing = {index["name"] for index in sa.inspect(bind).get_indexes("user_account")}
    if "uq_user_account_organisation_email" not in existing:
        op.create_index(
            "uq_user_account_organisation_email",
            "user_account",
            ["organisation_id", "email"],
            unique=True,
        )
    if "uq_user_account_email_account" not in existing:
        op.create_index(
            "uq_user_account_email_account",
            "user_account",
            ["email"],
            unique=True,
            sqlite_where=HOLDS_ACCOUNT,
            postgresql_where=HOLDS_ACCOUNT,
        )


def downgrade() -> None:
    op.drop_index("uq_user_account_email_account", table_name="user_account")
    op.drop_index("uq_user_account_organisation_email", table_name="user_account")
    with op.batch_alter_table("user_account") as table:
        table.create_unique_constraint("uq_user_account_email", ["email"])
