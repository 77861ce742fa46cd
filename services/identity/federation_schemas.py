"""Request and response bodies of an organisation's own identity provider (federation_api.py)."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.input_rules import Line

_Value = Field(min_length=1, max_length=200)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdentityProviderIn(_In):
    """Connect the organisation's OpenID Provider, or change it."""

    issuer: Line = Field(
        min_length=8,
        max_length=500,
        description="The provider's issuer URL; its /.well-known/openid-configuration is read.",
        examples=["https://login.example.be/realms/staff"],
    )
    client_id: Line = Field(
        min_length=1,
        max_length=500,
        description="The client id the provider issued to Pactum for this organisation.",
        examples=["pactum"],
    )
    client_secret: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="Needed to connect; on a change, leave it out to keep the stored one. "
        "Stored sealed, never shown again, logged or put in an event.",
    )
    email_claim: Line = Field(
        default="email",
        min_length=1,
        max_length=100,
        description="The claim of the ID token that holds the person's e-mail address.",
    )
    allowed_domains: list[Line] = Field(
        min_length=1, max_length=20, description="E-mail domains the provider answers for."
    )
    just_in_time: bool = Field(
        default=False,
        description="A person the provider vouches for, in an allowed domain and without an "
        "account, gets one (member role) at their first sign-in.",
    )
    mfa_acr: list[Line] = Field(
        default_factory=list,
        max_length=20,
        description="acr values that count as multi-factor (e.g. a broker's eID level).",
    )
    mfa_amr: list[Line] = Field(
        default_factory=list,
        max_length=20,
        description="amr values that count as multi-factor (e.g. mfa, hwk, otp).",
    )


class IdentityProviderPublic(BaseModel):
    """The connected provider, without its secret."""

    id: UUID = Field(description="The connected provider's id.")
    issuer: str = Field(description="The provider's issuer URL.")
    client_id: str = Field(
        description="The client id the provider issued to Pactum.", examples=["pactum"]
    )
    email_claim: str = Field(
        description="The claim of the ID token that holds the person's e-mail address."
    )
    allowed_domains: list[str] = Field(description="E-mail domains the provider answers for.")
    just_in_time: bool = Field(
        description="Whether a person the provider vouches for gets an account (member role) "
        "at their first sign-in."
    )
    mfa_acr: list[str] = Field(description="acr values that count as multi-factor.")
    mfa_amr: list[str] = Field(description="amr values that count as multi-factor.")
    connected_at: datetime = Field(description="When the provider was connected.")
    redirect_uri: str = Field(description="Register this redirect URI at the provider.")


class FederatedStartIn(_In):
    """Which organisation's provider: by the person's e-mail address (its domain) or by id."""

    email: str | None = Field(
        default=None,
        min_length=3,
        max_length=254,
        description="The person's e-mail address; its domain picks the organisation's provider. "
        "Send this or organisation_id.",
        examples=["dpo@gemeente.example"],
    )
    organisation_id: UUID | None = Field(
        default=None,
        description="The organisation whose provider to sign in with. Send this or email.",
    )

    @model_validator(mode="after")
    def _one_of(self) -> "FederatedStartIn":
        if (self.email is None) == (self.organisation_id is None):
            raise ValueError("send either email or organisation_id")
        return self


class FederatedStartOut(BaseModel):
    authorization_url: str = Field(description="Send the browser here.")
    state: str = Field(description="Keep it with the browser; the provider sends it back.")


class FederatedCallbackIn(_In):
    state: str = Field(
        min_length=16,
        max_length=200,
        description="The state the provider sent back to the redirect URI, as received.",
    )
    code: str = Field(
        min_length=1,
        max_length=2000,
        description="The authorization code the provider sent back to the redirect URI.",
    )
