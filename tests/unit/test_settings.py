"""Configuration: service variable over platform variable over default."""

import subprocess
from pathlib import Path

import pytest

from services.agreements.settings import AgreementsSettings
from services.audit.settings import AuditSettings
from services.console.settings import ConsoleSettings
from services.identity.settings import IdentitySettings
from services.notifier.domain import UnsafeEndpoint, check_endpoint_url
from services.notifier.main import create_app as notifier_app
from services.notifier.settings import NotifierSettings
from shared.settings import nats_servers, nats_url_without_credentials

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_service_not_told_otherwise_runs_as_in_production(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Before, a service started without PACTUM_ENVIRONMENT ran as development: webhooks to
    loopback and private addresses allowed, and the mail sink's listing served."""
    for service in ("", "IDENTITY_", "AGREEMENTS_", "AUDIT_", "NOTIFIER_", "CONSOLE_"):
        monkeypatch.delenv(f"PACTUM_{service}ENVIRONMENT", raising=False)
    monkeypatch.setenv("PACTUM_VAR_DIR", str(tmp_path))
    for settings in (
        IdentitySettings(),
        AgreementsSettings(),
        AuditSettings(),
        NotifierSettings(),
        ConsoleSettings(),
    ):
        assert settings.environment == "production"
    assert NotifierSettings().production
    assert ConsoleSettings().secure_cookies
    with pytest.raises(UnsafeEndpoint):
        check_endpoint_url("http://127.0.0.1:9000/hooks", production=NotifierSettings().production)


@pytest.mark.parametrize(
    ("environment", "listed"),
    [(None, False), ("production", False), ("test", False), ("development", True)],
)
def test_the_mail_sinks_listing_exists_only_in_development(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, environment: str | None, listed: bool
) -> None:
    monkeypatch.delenv("PACTUM_ENVIRONMENT", raising=False)
    monkeypatch.delenv("PACTUM_NOTIFIER_ENVIRONMENT", raising=False)
    if environment is not None:
        monkeypatch.setenv("PACTUM_NOTIFIER_ENVIRONMENT", environment)
    monkeypatch.setenv("PACTUM_NOTIFIER_DATABASE_URL", "sqlite+aiosqlite://")
    monkeypatch.setenv("PACTUM_VAR_DIR", str(tmp_path))
    app = notifier_app()
    assert ("/notifier/mail" in app.openapi()["paths"]) is listed


def test_make_run_keeps_development() -> None:
    planned = subprocess.run(
        ["make", "-n", "run"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert 'PACTUM_ENVIRONMENT="${PACTUM_ENVIRONMENT:-development}"' in planned
