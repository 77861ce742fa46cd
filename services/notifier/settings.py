"""The notifier's settings: ``PACTUM_NOTIFIER_<FIELD>``, falling back to ``PACTUM_<FIELD>``."""

from datetime import timedelta
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field, SecretStr

from services.notifier.domain import (
    DEFAULT_BREACH_REMINDER_HOURS,
    DEFAULT_OBJECTION_REMINDER_HOURS,
    RETRY_DELAYS,
)
from shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    service: ClassVar[str] = "notifier"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: Path | None = None  # trust this CA for the SMTP server (else the system's)
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    mail_from: str = "pactum <notices@pactum.invalid>"
    public_base_url: str = "http://127.0.0.1:8100"  # the console: every notice links to its page
    identity_url: str = "http://127.0.0.1:8101"  # where one-time links are fetched
    delivery_key_file: Path | None = None  # shared with identity (its delivery_key_file)
    webhook_key_file: Path | None = None  # the keys webhook secrets are sealed with at rest
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    dispatch_poll_seconds: float = Field(default=1.0, gt=0)
    dispatch_batch_size: int = Field(default=200, ge=1, le=5000)
    dispatch_concurrency: int = Field(default=16, ge=1, le=256)
    lease_seconds: float = Field(default=120.0, gt=0)
    # Outcomes completed within this many seconds are committed together (0: each as soon as
    # the writer is free); a crash re-sends at most dispatch_concurrency deliveries either way.
    dispatch_record_window_seconds: float = Field(default=0.0, ge=0, le=1)
    # Seconds before each retry of a failed delivery (its length is the number of retries).
    retry_delays_seconds: tuple[Annotated[float, Field(gt=0)], ...] = Field(
        default=tuple(delay.total_seconds() for delay in RETRY_DELAYS), min_length=1
    )
    # Retention (TOM-T1, docs/notifier.md#retention): a finished delivery keeps its address and
    # text this many days (past the yearly audit), then only the evidence that it was delivered;
    # a read inbox item is deleted this many days after it was read (an unread one after
    # delivery_retention_days); checked every retention_sweep_seconds, batch by batch.
    delivery_retention_days: int = Field(default=400, ge=30)
    inbox_read_retention_days: int = Field(default=180, ge=1)
    retention_sweep_seconds: float = Field(default=3600.0, gt=0)
    retention_batch_size: int = Field(default=500, ge=1, le=10_000)
    breach_reminder_hours: tuple[int, ...] = DEFAULT_BREACH_REMINDER_HOURS
    objection_reminder_hours: tuple[int, ...] = DEFAULT_OBJECTION_REMINDER_HOURS

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def retry_delays(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(seconds=seconds) for seconds in self.retry_delays_seconds)

    @property
    def mail_dir(self) -> Path:
        """Where the development mail sink writes the messages it receives."""
        return self.var_dir / "mail"

    @property
    def delivery_key_path(self) -> Path:
        return self.delivery_key_file or self.var_dir / "identity" / "delivery-key"

    @property
    def webhook_key_path(self) -> Path:
        return self.webhook_key_file or self.var_dir / "notifier" / "webhook-key"
