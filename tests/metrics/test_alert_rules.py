"""deploy/prometheus/alerts.yml agrees with the metrics, the settings and the runbook."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # (PyYAML ships no type hints)

from services.audit.settings import AuditSettings
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
OPERATIONS = ROOT / "docs" / "operations.md"


def _rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(RULES.read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def _section(title: str) -> str:
    text = OPERATIONS.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: rule["alert"])
def test_each_alert_names_documented_metrics_and_links_its_runbook_section(
    rule: dict[str, Any],
) -> None:
    expr = rule["expr"]
    assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}")
    assert rule["labels"]["severity"] in {"warning", "critical"}
    assert rule["annotations"]["summary"]
    documented = _section("Metrics")
    for metric in re.findall(r"\b(?:pactum|http)_[a-z_]+", expr):
        family = re.sub(r"_(bucket|count|sum)$", "", metric)
        assert f"`{family}`" in documented, f"{metric} is not in the Metrics table"
    runbook = rule["annotations"]["runbook_url"]
    assert runbook.startswith("docs/operations.md#")
    headings = re.findall(r"^### (.+)$", _section("Alerts and runbook"), flags=re.MULTILINE)
    assert runbook.split("#", 1)[1] in {_anchor(heading) for heading in headings}
    assert f"`{rule['alert']}`" in _section("Alerts and runbook")


def test_thresholds_follow_the_duplicate_window_and_the_checkpoint_interval() -> None:
    rules = {rule["alert"]: rule for rule in _rules()}
    window = ServiceSettings().stream_duplicate_window_seconds
    past_window = rules["OutboxBacklogPastDuplicateWindow"]["expr"]
    assert float(past_window.rsplit(">", 1)[1]) == window
    interval = AuditSettings().checkpoint_interval_seconds
    stopped = rules["CheckpointSigningStopped"]["expr"]
    assert float(stopped.rsplit(">", 1)[1]) >= 10 * interval
