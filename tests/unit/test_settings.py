"""Configuration: service variable over platform variable over default."""

from pathlib import Path

import pytest

from services.agreements.settings import AgreementsSettings
from services.audit.settings import AuditSettings
from shared.settings import nats_servers, nats_url_without_credentials


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


def test_a_cluster_url_lists_its_servers_and_is_shown_without_passwords() -> None:
    url = "nats://pactum:s3cret@nats-1:4222, nats://pactum:s3cret@nats-2:4222,tls://nats-3:4222"
    assert nats_servers(url) == [
        "nats://pactum:s3cret@nats-1:4222",
        "nats://pactum:s3cret@nats-2:4222",
        "tls://nats-3:4222",
    ]
    assert (
        nats_url_without_credentials(url)
        == "nats://nats-1:4222,nats://nats-2:4222,tls://nats-3:4222"
    )
    assert nats_servers("nats://127.0.0.1:14222") == ["nats://127.0.0.1:14222"]
