"""Configuration from environment variables.

Every service reads ``PACTUM_<SERVICE>_<FIELD>`` first and falls back to the platform-wide
``PACTUM_<FIELD>``, so one variable configures all four services and a service-specific one
overrides it (``PACTUM_AUDIT_DATABASE_URL`` beats ``PACTUM_DATABASE_URL``).
"""

import ssl
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url

PLATFORM_PREFIX = "PACTUM_"

# The four services with an API (OpenAPI, events), and every service with its port.
API_PORTS = {"identity": 8101, "agreements": 8102, "audit": 8103, "notifier": 8104}
DEFAULT_PORTS = {"console": 8100, **API_PORTS}


def nats_servers(url: str) -> list[str]:
    """The servers ``PACTUM_NATS_URL`` names: one URL, or a cluster's, comma-separated."""
    return [server.strip() for server in url.split(",") if server.strip()]


def nats_tls(url: str, ca_file: Path | None = None) -> ssl.SSLContext | None:
    """The TLS context for ``tls://`` servers: verified against ``ca_file`` when given (the
    platform's own NATS CA), else against the system's (and ``SSL_CERT_FILE``); None for nats://."""
    if ca_file is not None:
        return ssl.create_default_context(cafile=str(ca_file))
    if any(server.startswith("tls://") for server in nats_servers(url)):
        return ssl.create_default_context()
    return None


def nats_url_without_credentials(url: str) -> str:
    """``PACTUM_NATS_URL`` fit for a message: each server's user and password left out."""
    shown = []
    for server in nats_servers(url):
        scheme, separator, rest = server.rpartition("://")
        shown.append(f"{scheme}{separator}{rest.rpartition('@')[2]}")
    return ",".join(shown)


class ServiceSettings(BaseSettings):
    """Settings shared by the four services; each subclass names its service."""

    service: ClassVar[str] = "service"
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # A service that is not told otherwise runs as in production: development-only routes and
    # exemptions (the mail sink's listing, loopback webhooks) exist only where configured so.
    # `make run` sets development; the tests set test (or development where they rely on it).
    environment: Literal["development", "test", "production"] = "production"
    var_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    database_url: str = ""
    # PostgreSQL, least privilege (shared/database_roles.py): the migration role's URL, owner of
    # the schema and tables, used only to migrate (on start and by `pactum migrate`, backup and
    # restore); database_url is then the service's own role, which owns nothing and is granted
    # what the service uses. Empty: database_url migrates too (SQLite, make run).
    migration_database_url: str = ""
    database_schema: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    # PostgreSQL connections a process keeps open, and how many more it may open for a burst
    # (each of those is closed again when handed back, so a burst beyond the pool opens and
    # closes a server connection per transaction). At most pool + overflow per process: size
    # PostgreSQL's max_connections for every process of every service (docs/operations.md).
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_max_overflow: int = Field(default=5, ge=0, le=200)
    nats_url: str = "nats://127.0.0.1:14222"
    # The service's own NATS user (shared/bus_access.py): its name, and a password given here or,
    # better, in a file (compose: a secret; make run: generated under var/nats/users/).
    nats_user: str = ""  # empty: the service's name
    nats_password: SecretStr | None = None
    nats_password_file: Path | None = None
    nats_ca_file: Path | None = None  # the CA of the servers' certificates, for tls:// URLs
    stream_admin: bool = True  # creates and updates the stream; False: waits for it (audit does)
    stream_name: str = "DPA_EVENTS"
    stream_replicas: int = Field(default=1, ge=1, le=5)
    stream_max_age_days: int = Field(default=30, ge=1)
    stream_duplicate_window_seconds: float = Field(default=600.0, ge=1.0)
    consumer_ack_wait_seconds: float = Field(default=30.0, gt=0)
    consumer_max_deliver: int = Field(default=20, ge=1)
    consumer_batch_size: int = Field(default=64, ge=1, le=1024)
    # After a batch consumer's first message, how long it lets more arrive before it stores the
    # batch (Kafka's linger.ms): each stored batch costs a transaction and a handful of
    # statements, so at a few events a second the events share them instead of paying one each.
    # The wait overlaps the previous batch's storing; it adds at most this much to the lag.
    consumer_linger_seconds: float = Field(default=0.02, ge=0, le=1.0)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_batch_size: int = Field(default=100, ge=1, le=10_000)
    # Published outbox rows are deleted once their publication is older than the stream's
    # duplicate window plus this margin (TOM-32a: no clear copies kept), at most
    # outbox_prune_batch_size rows per transaction, every outbox_prune_seconds.
    outbox_prune_margin_seconds: float = Field(default=3600.0, ge=0)
    outbox_prune_seconds: float = Field(default=300.0, gt=0)
    outbox_prune_batch_size: int = Field(default=1000, ge=1, le=100_000)
    metrics_sample_seconds: float = Field(default=15.0, gt=0)  # outbox backlog, consumer lag
    jwks_url: str = "http://127.0.0.1:8101/.well-known/jwks.json"
    token_issuer: str = "pactum-identity"  # noqa: S105 (a name, not a secret)
    token_audience: str = "pactum"  # noqa: S105 (a name, not a secret)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    # The largest request body a route may receive (bytes): above it, 413 before it is read.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    demo_data: bool = False  # seed the demo tenants of the seed contract (make run sets it)
    # The key of the client addresses' pseudonyms (shared/pseudonyms.py), one for the platform:
    # compose gives every service the same secret file; make run creates var/pseudonym-key.
    pseudonym_key_file: Path | None = None
    # The audit service's public ingest key, which every service seals the actor's name to
    # before an event leaves it (shared/ingest_keys.py): audit writes it (compose: on a volume
    # the others read); in development and test the first service to start creates the pair.
    ingest_public_key_file: Path | None = None

    def model_post_init(self, __context: object) -> None:
        # Frozen model: fill service-dependent defaults through object.__setattr__.
        if not self.port:
            object.__setattr__(self, "port", DEFAULT_PORTS.get(self.service, 8100))
        if not self.database_url:
            path = self.var_dir / f"{self.service}.db"
            object.__setattr__(self, "database_url", f"sqlite+aiosqlite:///{path}")

    @property
    def outbox_kept_seconds(self) -> float:
        """How long a published outbox row is kept: past the stream's duplicate window (inside it
        a re-publish of the row must still be dropped as a duplicate), plus the margin."""
        return self.stream_duplicate_window_seconds + self.outbox_prune_margin_seconds

    @property
    def pseudonym_key_path(self) -> Path:
        return self.pseudonym_key_file or self.var_dir / "pseudonym-key"

    @property
    def ingest_public_key_path(self) -> Path:
        return self.ingest_public_key_file or self.var_dir / "ingest-public-key.pem"

    @property
    def migration_url(self) -> str:
        """The URL migrations connect with: the migration role's, else the service's own."""
        return self.migration_database_url or self.database_url

    @property
    def runtime_role(self) -> str | None:
        """The role the service runs as, when migrations connect as another one: each upgrade
        grants it what the service uses. None with one URL (or one role) for both."""
        if not self.migration_database_url:
            return None
        role = make_url(self.database_url).username
        return role if role and role != make_url(self.migration_database_url).username else None

    def nats_login(self) -> tuple[str, str] | None:
        """The service's NATS user and password, or None to connect without one."""
        if self.nats_password is not None:
            password = self.nats_password.get_secret_value()
        elif self.nats_password_file is not None:
            password = self.nats_password_file.read_text().strip()
        else:
            return None
        return self.nats_user or self.service, password

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of every event this service emits."""
        return f"/dpa/{self.service}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        service_env = EnvSettingsSource(
            settings_cls, env_prefix=f"{PLATFORM_PREFIX}{cls.service.upper()}_"
        )
        platform_env = EnvSettingsSource(settings_cls, env_prefix=PLATFORM_PREFIX)
        return init_settings, service_env, platform_env, file_secret_settings
