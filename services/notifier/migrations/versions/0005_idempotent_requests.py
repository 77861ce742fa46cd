"""Idempotent requests (issue 16.2): a POST sent again with the same ``Idempotency-Key`` is
answered from ``idempotent_request`` instead of being handled twice (``shared/idempotency.py``).

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-06 20:00:00
"""

from collections.abc import Sequence

from shared.migrations import create_idempotent_requests, drop_idempotent_requests

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_idempotent_requests()


def downgrade() -> None:
    drop_idempotent_requests()
