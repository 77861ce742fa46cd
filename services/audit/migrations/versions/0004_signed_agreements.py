"""Whether both parties signed an agreement (issue 15, item 7): only then may the processor's
other applications write into the controller's log. Agreements signed before this revision are
marked from the log's own ``agreement.signed`` entries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 20:30:00.000000
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "audit_agreement",
        sa.Column("signed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT agreement_id, data FROM audit_entry WHERE event_type = :signed"),
        {"signed": "dpa.agreements.agreement.signed.v1"},
    )
    signed = set()
    for agreement_id, data in rows:
        values = json.loads(data) if isinstance(data, str) else data
        if agreement_id and values.get("fully_signed") is True:
            signed.add(agreement_id)
    for agreement_id in signed:
        bind.execute(
            sa.text("UPDATE audit_agreement SET signed = :yes WHERE agreement_id = :agreement"),
            {"yes": True, "agreement": agreement_id},
        )


def downgrade() -> None:
    op.drop_column("audit_agreement", "signed")
