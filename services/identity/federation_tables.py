"""Tables of an organisation's own identity provider (federation.py). The client secret is
stored sealed with identity's data key (TOM-T10); an attempt keeps its ``state`` as a digest and
its PKCE verifier sealed, and is used once."""

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field, SQLModel


def _when(nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable)


class IdentityProvider(SQLModel, table=True):
    """One per organisation: the OpenID Provider its staff sign in with."""

    __tablename__ = "identity_provider"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(unique=True, foreign_key="organisation.id")
    issuer: str = Field(max_length=500)
    client_id: str = Field(max_length=500)
    client_secret_sealed: str = Field(sa_column=Column(Text, nullable=False))
    email_claim: str = Field(default="email", max_length=100)
    allowed_domains: str = Field(sa_column=Column(Text, nullable=False))  # comma-separated
    just_in_time: bool = False
    mfa_acr: str = Field(default="", sa_column=Column(Text, nullable=False))  # space-separated
    mfa_amr: str = Field(default="", sa_column=Column(Text, nullable=False))  # space-separated
    # From the provider's discovery document when it was connected.
    authorization_endpoint: str = Field(max_length=500)
    token_endpoint: str = Field(max_length=500)
    jwks_uri: str = Field(max_length=500)
    connected_at: datetime = Field(sa_column=_when(False))


class FederatedAttempt(SQLModel, table=True):
    """A sign-in sent to the provider and not yet back: its state (as a digest), nonce and PKCE
    verifier (sealed), for a few minutes, once."""

    __tablename__ = "federated_attempt"

    state_digest: str = Field(primary_key=True, max_length=64)
    provider_id: uuid.UUID = Field(index=True, foreign_key="identity_provider.id")
    organisation_id: uuid.UUID = Field(index=True)
    nonce: str = Field(max_length=100)
    verifier_sealed: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_column=_when(False))
    used_at: datetime | None = Field(default=None, sa_column=_when())
