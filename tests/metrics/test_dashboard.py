"""The Grafana dashboard and the alert rules ask only for metrics the services really export (read
from real ``/metrics`` scrapes after real work), and compose runs Prometheus on every service,
Alertmanager and Grafana with that dashboard provisioned."""

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml  # type: ignore[import-untyped]  # (PyYAML ships no type hints)

from deploy.mailsink import MailSink
from services.console.main import create_app as create_console
from services.console.settings import ConsoleSettings
from tests.identity.conftest import EVERYWHERE, Identity
from tests.metrics.conftest import Server
from tests.metrics.exposition import Family, parse
from tests.notifier.conftest import Notifier, Receiver, event
from tests.notifier.test_breach_notices import breach_notice
from tests.scaling.test_compose_file import SECRETS, rendered
from tests.support.platform import eventually

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "pactum.json"
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
WRONG = "definitely not the password"
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (label matchers, grouping clauses, ranges,
    strings, functions and keywords left out)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    bare = re.sub(r"\{[^}]*\}", "", bare)
    bare = re.sub(r"\[[^\]]*\]", "", bare)
    bare = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", bare)
    bare = re.sub(r"\b[a-zA-Z_][a-zA-Z0-9_]*\s*\(", "(", bare)  # functions and aggregations
    found = set(re.findall(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", bare))
    return {name for name in found if name.lower() not in KEYWORDS}


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def sample_names(families: dict[str, Family]) -> set[str]:
    return {name for family in families.values() for name, _ in family.samples}


def test_metric_names_are_read_out_of_promql() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (service_name, http_route, le) (rate(a_b_bucket{x="1"}'
        "[5m]))) > 2 unless on (consumer) max by (consumer) (c_total) + d:e or vector(0)"
    )
    assert metric_names(expr) == {"a_b_bucket", "c_total", "d:e"}


async def _scrape(client: httpx.AsyncClient) -> set[str]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return sample_names(parse(response.text))


@pytest.mark.parametrize("services", [EVERYWHERE])
async def test_the_dashboard_and_the_alerts_use_only_metrics_the_services_export(
    identity: Identity, mail_sink: MailSink, receiver: Receiver, server: Server, tmp_path: Path
) -> None:
    platform = identity.platform
    admin = await identity.admin()
    policy = await identity.client.patch("/policy", json={"lock_threshold": 3}, headers=admin.auth)
    assert policy.status_code == 200, policy.text
    member = await identity.member(admin)
    for _ in range(3):  # a lockout
        await identity.login(member.email, WRONG)
    created = await platform.clients["agreements"].post(
        "/agreements", json={"title": "Dashboard"}, headers=admin.auth
    )
    assert created.status_code == 201, created.text
    notifier = Notifier(platform, mail_sink)
    controller = str(uuid.uuid4())
    await notifier.endpoint(controller, receiver, ["breach"])
    await notifier.publish(
        event("dpa.agreements.breach_notice.issued.v1", controller, breach_notice(controller))
    )

    async def delivered() -> bool:
        return bool(receiver.verified_calls())

    await eventually(delivered)
    for service in platform.apps:
        await platform.runtime(service).sample_metrics()
    console = create_console(ConsoleSettings(var_dir=tmp_path / "console", identity_url=server.url))
    try:
        await console.state.apis.call("identity", "GET", "/organisation")
    finally:
        await console.state.apis.close()

    exported: set[str] = set()
    for service in platform.apps:
        exported |= await _scrape(platform.clients[service])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=console), base_url="http://console"
    ) as client:
        exported |= await _scrape(client)

    asked = {name for expr in dashboard_expressions() for name in metric_names(expr)}
    assert asked, "the dashboard has no queries"
    assert asked <= exported, f"not exported: {sorted(asked - exported)}"
    alerted = {name for expr in rule_expressions() for name in metric_names(expr)}
    assert alerted <= exported, f"not exported: {sorted(alerted - exported)}"


def test_every_runbook_url_resolves_to_a_heading_of_the_docs() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert rules
    for rule in rules:
        path, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        document = ROOT / path
        assert document.is_file(), rule["alert"]
        assert anchor in _anchors(document.read_text()), f"{rule['alert']}: #{anchor}"


def _anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a document's headings (lower case, punctuation dropped, spaces
    as hyphens, a repeated heading numbered)."""
    anchors: set[str] = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not (match := re.match(r"#{1,6} (.+)$", line)):
            continue
        anchor = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
        numbered, n = anchor, 0
        while numbered in anchors:
            n += 1
            numbered = f"{anchor}-{n}"
        anchors.add(numbered)
    return anchors


def test_compose_scrapes_every_service_and_provisions_alertmanager_and_the_dashboard() -> None:
    compose: dict[str, Any] = rendered(**dict.fromkeys(SECRETS, "not-a-real-secret"))
    services = compose["services"]
    prometheus = yaml.safe_load(PROMETHEUS.read_text())
    scraped = {
        (name, config["port"])
        for job in prometheus["scrape_configs"]
        for config in job.get("dns_sd_configs", [])
        for name in config["names"]
    }
    ports = {
        (name, int(services[name]["environment"][f"PACTUM_{name.upper()}_PORT"]))
        for name in ("identity", "agreements", "audit", "notifier", "console")
    }
    assert scraped == ports
    assert "data" in services["prometheus"]["networks"]  # where /metrics answers
    for service in ports:
        assert services[service[0]]["environment"]["OTEL_METRICS_EXPORTER"] == "none"
    [alertmanagers] = prometheus["alerting"]["alertmanagers"]
    assert alertmanagers["static_configs"][0]["targets"] == ["alertmanager:9093"]
    mounted = {volume["target"]: volume.get("source") for volume in services["grafana"]["volumes"]}
    assert mounted["/var/lib/grafana/dashboards"] == str(DASHBOARD.parent)
    provisioning = Path(mounted["/etc/grafana/provisioning"])
    datasource = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    uid = datasource["datasources"][0]["uid"]
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert {p["datasource"]["uid"] for p in panels if p["type"] != "row"} == {uid}
    provider = yaml.safe_load((provisioning / "dashboards" / "pactum.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    grafana = services["grafana"]["environment"]
    assert grafana["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
    assert "GF_SECURITY_ADMIN_PASSWORD" not in grafana  # the password only as a secret file
    receivers = yaml.safe_load((ROOT / "deploy" / "alertmanager" / "alertmanager.yml").read_text())
    assert receivers["route"]["receiver"] in {r["name"] for r in receivers["receivers"]}
    for name in ("prometheus", "alertmanager", "grafana"):
        assert all(port["host_ip"] == "127.0.0.1" for port in services[name]["ports"]), name
