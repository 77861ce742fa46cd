"""Configuration: service variable over platform variable over default."""

from pathlib import Path

import pytest

from services.agreements.main import AgreementsSettings
from services.audit.main import AuditSettings


def test_defaults_put_each_service_on_its_port_and_its_own_sqlite_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "PACTUM_VAR_DIR",
        "PACTUM_AUDIT_PORT",
        "PACTUM_AUDIT_DATABASE_URL",
        "PACTUM_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = AuditSettings()
    assert settings.port == 8103
    assert settings.database_url == f"sqlite+aiosqlite:///{Path('var') / 'audit.db'}"
    assert settings.source == "/dpa/audit"


def test_service_variable_beats_platform_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACTUM_NATS_URL", "nats://platform:4222")
    monkeypatch.setenv("PACTUM_AUDIT_NATS_URL", "nats://audit-only:4222")
    monkeypatch.setenv("PACTUM_VAR_DIR", "/srv/pactum")
    assert AuditSettings().nats_url == "nats://audit-only:4222"
    assert AgreementsSettings().nats_url == "nats://platform:4222"
    assert AgreementsSettings().database_url == "sqlite+aiosqlite:////srv/pactum/agreements.db"


def test_invalid_configuration_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACTUM_AGREEMENTS_PORT", "99999")
    with pytest.raises(ValueError, match="port"):
        AgreementsSettings()
