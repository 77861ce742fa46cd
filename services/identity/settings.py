"""Identity's settings: ``PACTUM_IDENTITY_<FIELD>``, falling back to ``PACTUM_<FIELD>``."""

from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field, FilePath, model_validator

from services.identity.domain import NOTICE_MIN_LEAD_HOURS
from shared.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    service: ClassVar[str] = "identity"

    signing_key_file: Path | None = None
    data_key_file: Path | None = None
    delivery_key_file: Path | None = None  # the notifier's credential for fetching links
    # A deployment's own refused passwords, added to the shipped list (must exist if set).
    common_passwords_file: FilePath | None = None
    link_base_url: str = "http://127.0.0.1:8100/account"  # the console's account pages
    access_token_minutes: int = Field(default=5, ge=1, le=10)
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    invitation_hours: int = Field(default=72, ge=1, le=24 * 14)
    reset_minutes: int = Field(default=30, ge=5, le=60)
    # Self-service reset requests: links per account, requests per client address, per window.
    reset_account_limit: int = Field(default=3, ge=1, le=20)
    reset_address_limit: int = Field(default=10, ge=1)
    reset_window_minutes: int = Field(default=60, ge=5, le=24 * 60)
    challenge_minutes: int = Field(default=5, ge=1, le=15)
    link_fetches: int = Field(default=5, ge=1, le=20)
    client_failure_limit: int = Field(default=50, ge=1)
    client_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # TOM-T1: a failed sign-in's client address is deleted this many days after its window
    # ended (services/identity/retention.py), checked every retention_sweep_seconds.
    client_address_retention_days: int = Field(default=30, ge=2, le=366)
    retention_sweep_seconds: float = Field(default=3600.0, gt=0)
    retention_batch_size: int = Field(default=1000, ge=1, le=100_000)
    # OWASP's minimum for argon2id: m=19 MiB, t=2, p=1. Lower values are refused.
    argon2_memory_kib: int = Field(default=19 * 1024, ge=19 * 1024)
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_parallelism: int = Field(default=1, ge=1, le=8)
    # How far ahead a maintenance notice must be sent. Below NOTICE_MIN_LEAD_HOURS only in tests.
    maintenance_notice_lead_hours: float = Field(default=24.0, ge=0, le=24 * 30)
    grant_sweep_seconds: float = Field(default=30.0, gt=0)
    # Passkeys (WebAuthn): the relying party is the console, where people's browsers meet pactum.
    # The rp id is the console's host name (or a parent domain of it); an IP address cannot be one,
    # so `make run` is reached at http://localhost:8100 to use passkeys.
    passkey_origin: str = "http://localhost:8100"
    passkey_rp_id: str = "localhost"
    passkey_rp_name: str = Field(default="pactum", min_length=1, max_length=100)
    passkey_timeout_seconds: int = Field(default=120, ge=30, le=600)
    # An organisation's own identity provider (federation.py): where it sends the browser back
    # (the console's callback, registered at the provider), how long a sign-in may take there.
    federation_redirect_uri: str = "http://localhost:8100/sign-in/organisation/callback"
    federation_attempt_minutes: int = Field(default=10, ge=1, le=30)
    federation_timeout_seconds: float = Field(default=5.0, gt=0, le=30)

    @model_validator(mode="after")
    def _notice_lead_is_a_real_notice(self) -> "IdentitySettings":
        if (
            self.environment != "test"
            and self.maintenance_notice_lead_hours < NOTICE_MIN_LEAD_HOURS
        ):
            raise ValueError(
                f"maintenance_notice_lead_hours must be at least {NOTICE_MIN_LEAD_HOURS:g} "
                "outside tests: a notice the customer cannot read in time is no notice (TOM-O3)"
            )
        return self

    @model_validator(mode="after")
    def _rp_id_is_the_origins_domain(self) -> "IdentitySettings":
        host = (urlsplit(self.passkey_origin).hostname or "").lower()
        rp_id = self.passkey_rp_id.lower()
        if not (host == rp_id or host.endswith("." + rp_id)):
            raise ValueError(
                "passkey_rp_id must be passkey_origin's host name or a parent domain of it "
                f"(origin host {host!r}, rp id {rp_id!r}): browsers refuse any other"
            )
        return self

    @property
    def signing_key_path(self) -> Path:
        return self.signing_key_file or self.var_dir / "identity" / "signing-key.pem"

    @property
    def data_key_path(self) -> Path:
        return self.data_key_file or self.var_dir / "identity" / "data-key"

    @property
    def delivery_key_path(self) -> Path:
        return self.delivery_key_file or self.var_dir / "identity" / "delivery-key"
