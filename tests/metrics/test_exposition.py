"""``/metrics`` speaks the Prometheus text format and carries no tenant data."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from shared.metrics import CONTENT_TYPE, ServiceMetrics, otlp_configured
from tests.agreements.organisations import new_organisation
from tests.metrics.exposition import parse, total, value
from tests.support.platform import Platform


def test_label_values_and_help_texts_are_escaped_as_the_format_requires() -> None:
    metrics = ServiceMetrics("test")
    hostile = 'a "quoted" back\\slash\nnew line'
    metrics.observe("pactum.test.hostile", lambda: [(1.5, {"value": hostile})], description=hostile)
    counter = metrics.meter.create_counter("pactum.test.things", unit="{thing}")
    counter.add(2, {"kind": "x"})

    families = parse(metrics.exposition().decode())

    assert value(families, "pactum_test_hostile", value=hostile) == 1.5
    assert families["pactum_test_hostile"].help == hostile.replace("\\", "\\\\").replace(
        "\n", "\\n"
    )
    assert families["pactum_test_things_total"].type == "counter"
    assert value(families, "pactum_test_things_total", kind="x") == 2
    assert value(families, "target_info", service_name="pactum-test") == 1


def test_requests_follow_the_http_semantic_conventions() -> None:
    metrics = ServiceMetrics("test")
    ended = metrics.request_started(method="GET", scheme="http")
    metrics.record_request(method="BREW", route=None, status=418, seconds=0.2)
    metrics.record_request(method="GET", route="/things/{thing_id}", status=503, seconds=0.02)

    families = parse(metrics.exposition().decode())

    histogram = families["http_server_request_duration_seconds"]
    assert histogram.type == "histogram"
    count = "http_server_request_duration_seconds_count"
    assert value(families, count, http_request_method="_OTHER", http_route="") == 1
    bucket = "http_server_request_duration_seconds_bucket"
    assert value(families, bucket, http_response_status_code="418", le="0.25") == 1
    assert value(families, bucket, http_response_status_code="418", le="0.1") == 0
    failed = {"http_route": "/things/{thing_id}", "http_response_status_code": "503"}
    assert value(families, count, error_type="503", url_scheme="http", **failed) == 1
    assert value(families, count, service_name="pactum-test") == 1  # on every series
    assert value(families, "http_server_active_requests", http_request_method="GET") == 1
    ended()
    families = parse(metrics.exposition().decode())
    assert value(families, "http_server_active_requests", http_request_method="GET") == 0


@pytest.mark.parametrize(
    ("name", "unit", "counter", "expected"),
    [
        ("pactum.outbox.oldest_age", "s", False, "pactum_outbox_oldest_age_seconds"),
        ("pactum.outbox.published_events", "{event}", True, "pactum_outbox_published_events_total"),
        ("pactum.audit.checkpoint_age_seconds", "s", False, "pactum_audit_checkpoint_age_seconds"),
        ("pactum.x_total", "", True, "pactum_x_total"),
    ],
)
def test_names_follow_the_collector_translation(
    name: str, unit: str, counter: bool, expected: str
) -> None:
    metrics = ServiceMetrics("test")
    metrics.observe(name, lambda: [(1, {})], kind="counter" if counter else "gauge", unit=unit)

    families = parse(metrics.exposition().decode())

    assert families[expected].type == ("counter" if counter else "gauge")


async def test_metrics_endpoint_is_valid_text_without_tenant_data_and_outside_the_schema(
    platform: Platform,
) -> None:
    organisation = await new_organisation(platform, by_event=False)
    client = platform.clients["agreements"]
    created = await client.post(
        "/agreements", json={"title": "Metered"}, headers=platform.auth(organisation)
    )
    assert created.status_code == 201
    agreement_id = created.json()["id"]
    await client.get(f"/agreements/{agreement_id}", headers=platform.auth(organisation))

    scraped = await client.get("/metrics")

    assert scraped.status_code == 200
    assert scraped.headers["content-type"] == CONTENT_TYPE
    families = parse(scraped.text)
    assert total(families, "http_server_request_duration_seconds_count") >= 2
    assert organisation not in scraped.text
    assert agreement_id not in scraped.text
    schema = (await client.get("/openapi.json")).json()
    assert "/metrics" not in schema["paths"]


def test_metrics_are_pushed_over_otlp_when_a_collector_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received: list[bytes] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["content-length"])))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        metrics = ServiceMetrics("audit")
        metrics.meter.create_counter("pactum.audit.checkpoints_signed").add(1)
        metrics.provider.force_flush(timeout_millis=10_000)
        metrics.shutdown()
    finally:
        server.shutdown()
        server.server_close()

    exported = ExportMetricsServiceRequest()
    exported.ParseFromString(received[0])
    [resource] = exported.resource_metrics
    service = {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"]
    assert service == "pactum-audit"
    names = {m.name for scope in resource.scope_metrics for m in scope.metrics}
    assert "pactum.audit.checkpoints_signed" in names


@pytest.mark.parametrize(
    ("exporters", "pushed"),
    [(None, True), ("otlp", True), ("prometheus,otlp", True), ("none", False), ("console", False)],
)
def test_otel_metrics_exporter_decides_whether_metrics_are_also_pushed(
    monkeypatch: pytest.MonkeyPatch, exporters: str | None, pushed: bool
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    if exporters is None:
        monkeypatch.delenv("OTEL_METRICS_EXPORTER", raising=False)
    else:
        monkeypatch.setenv("OTEL_METRICS_EXPORTER", exporters)
    assert otlp_configured() is pushed
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    assert otlp_configured() is False  # nowhere to push to
