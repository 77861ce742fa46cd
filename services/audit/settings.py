"""The audit service's settings (``PACTUM_AUDIT_*``), on top of every service's."""

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from services.audit.checkpoints import DEFAULT_ORIGIN
from shared.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    service: ClassVar[str] = "audit"

    consumer_batch_size: int = Field(default=512, ge=1, le=1024)
    # Ingest split by organisation (services/audit/partitions.py): 1 reads DPA_EVENTS through the
    # one ``audit`` durable; N > 1 reads N partitions of DPA_AUDIT_PARTITIONS.
    partitions: int = Field(default=1, ge=1, le=64)
    # How long a replica's lease on a partition lasts unless renewed (every third of it): a dead
    # replica's partitions are taken over within about this time.
    partition_lease_seconds: float = Field(default=6.0, ge=0.5, le=300)
    checkpoint_key_file: Path | None = None  # default: <var_dir>/audit/checkpoint-key.pem
    checkpoint_interval_seconds: float = Field(default=60.0, gt=0)
    # The ingest key: producers seal the actor's name to its public half, audit opens it here
    # (shared/ingest_keys.py). Default: <var_dir>/audit/ingest-key.pem, retired keys beside it.
    ingest_key_file: Path | None = None
    # The transparency-log origin: checkpoint notes name "<origin>/<organisation id>" and the
    # checkpoint key is named "<origin>" (schema-less URL of the log, C2SP tlog-checkpoint).
    log_origin: str = Field(
        default=DEFAULT_ORIGIN, min_length=1, max_length=200, pattern=r"^[^\s+]+$"
    )
    # How far an external producer's event ``time`` may be from now (POST /audit/events).
    external_time_skew_seconds: float = Field(default=300.0, gt=0, le=86400)
    personal_data_retention_days: int = Field(default=365, ge=1)
    retention_check_seconds: float = Field(default=3600.0, gt=0)

    @property
    def checkpoint_key_path(self) -> Path:
        return self.checkpoint_key_file or self.var_dir / "audit" / "checkpoint-key.pem"

    @property
    def ingest_key_path(self) -> Path:
        return self.ingest_key_file or self.var_dir / "audit" / "ingest-key.pem"

    @property
    def ingest_keys_kept_days(self) -> int:
        """How long a retired ingest key is kept: past the stream's retention (an event sealed to
        it may wait that long on the stream), and a day for what still waited in an outbox."""
        return self.stream_max_age_days + 1
