"""The console's settings: ``PACTUM_CONSOLE_<FIELD>``, falling back to ``PACTUM_<FIELD>``."""

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    service: ClassVar[str] = "console"

    # Where the console reaches the four services (their public APIs, nothing else).
    identity_url: str = "http://127.0.0.1:8101"
    agreements_url: str = "http://127.0.0.1:8102"
    audit_url: str = "http://127.0.0.1:8103"
    notifier_url: str = "http://127.0.0.1:8104"
    # The address people use; links in mails point here (identity's and the notifier's bases).
    public_url: str = "http://127.0.0.1:8100"
    # Seals the refresh tokens its sessions hold and signs CSRF tokens; created on first start.
    key_file: Path | None = None
    session_hours: float = Field(default=12.0, gt=0, le=24)
    idle_minutes: float = Field(default=30.0, gt=0, le=24 * 60)
    api_timeout_seconds: float = Field(default=10.0, gt=0)

    @property
    def key_path(self) -> Path:
        return self.key_file or self.var_dir / "console" / "key"

    @property
    def secure_cookies(self) -> bool:
        """``Secure`` cookies (with the ``__Host-`` prefix) everywhere but in development."""
        return self.environment != "development" or self.public_url.startswith("https://")
