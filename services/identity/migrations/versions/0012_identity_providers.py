"""An organisation's own identity provider (issue 13.4): its OpenID Connect configuration, the
client secret sealed, and the sign-ins sent to it and not yet back.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_provider",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=500), nullable=False),
        sa.Column("client_secret_sealed", sa.Text(), nullable=False),
        sa.Column("email_claim", sa.String(length=100), nullable=False),
        sa.Column("allowed_domains", sa.Text(), nullable=False),
        sa.Column("just_in_time", sa.Boolean(), nullable=False),
        sa.Column("mfa_acr", sa.Text(), nullable=False),
        sa.Column("mfa_amr", sa.Text(), nullable=False),
        sa.Column("authorization_endpoint", sa.String(length=500), nullable=False),
        sa.Column("token_endpoint", sa.String(length=500), nullable=False),
        sa.Column("jwks_uri", sa.String(length=500), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id"),
        if_not_exists=True,
    )
    op.create_table(
        "federated_attempt",
        sa.Column("state_digest", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("verifier_sealed", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["provider_id"], ["identity_provider.id"]),
        sa.PrimaryKeyConstraint("state_digest"),
        if_not_exists=True,
    )
    for column in ("provider_id", "organisation_id"):
        op.create_index(
            op.f(f"ix_federated_attempt_{column}"),
            "federated_attempt",
            [column],
            unique=False,
            if_not_exists=True,
        )


def downgrade() -> None:
    for column in ("provider_id", "organisation_id"):
        op.drop_index(op.f(f"ix_federated_attempt_{column}"), table_name="federated_attempt")
    op.drop_table("federated_attempt")
    op.drop_table("identity_provider")
