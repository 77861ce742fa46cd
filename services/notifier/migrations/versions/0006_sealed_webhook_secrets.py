"""Webhook secrets sealed at rest (issue 15.10): ``webhook_endpoint.secret`` and
``previous_secret`` widen to hold a sealed value (``services/notifier/secret_seal.py``).

The rows are sealed by the notifier when it starts (it holds the key, a migration does not):
``store.seal_clear_secrets``, which seals only what is still clear, so running it again changes
nothing. Only columns still narrower than the new width are altered.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("secret", "previous_secret")
WIDTH = 300


def upgrade() -> None:
    columns = {
        column["name"]: column
        for column in sa.inspect(op.get_bind()).get_columns("webhook_endpoint")
    }
    narrow = [
        name
        for name in COLUMNS
        if (getattr(columns[name]["type"], "length", None) or WIDTH) < WIDTH
    ]
    if not narrow:
        return
    with op.batch_alter_table("webhook_endpoint") as batch:
        for name in narrow:
            batch.alter_column(
                name,
                existing_type=sa.String(length=100),
                type_=sa.String(length=WIDTH),
                existing_nullable=name == "previous_secret",
            )


def downgrade() -> None:
    """Widening back is harmless; sealed values would not fit the old width, so it stays."""
