"""Metrics: one OpenTelemetry meter provider per service, read two ways.

- Pulled: ``GET /metrics`` answers from OpenTelemetry's Prometheus exporter
  (``opentelemetry-exporter-prometheus``), whose ``PrometheusMetricReader`` fills a registry of
  this service's own (never the process-wide one: tests run several services in one process).
- Pushed: when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT``) is set
  and ``OTEL_METRICS_EXPORTER`` does not leave ``otlp`` out, the same instruments are also
  exported over OTLP/HTTP every ``OTEL_METRIC_EXPORT_INTERVAL`` ms (default 60000).

HTTP is measured under the OpenTelemetry semantic conventions (``http.server.request.duration``
in seconds with ``http.request.method``, ``http.route``, ``http.response.status_code``;
``http.server.active_requests``); the domain instruments are named ``pactum.<area>.<what>``. The
exporter translates names as the collector does (dots become underscores, the unit ``s`` adds
``_seconds``, a monotonic sum adds ``_total``), so a PromQL expression is the same whichever way
the metric travelled, and every series carries ``service_name``. No instrument carries an
organisation id or a raw path: the attributes are bounded sets (route templates, status codes,
consumer names, channels).
"""

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

import structlog
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

log = structlog.get_logger("pactum.metrics")

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# The buckets the HTTP semantic conventions advise for http.server.request.duration (seconds).
DURATION_BUCKETS = (
    0.0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Resource attributes copied onto every series (the collector does the same for OTLP).
SERIES_RESOURCE_ATTRIBUTES = frozenset({"service.name"})

Labels = Mapping[str, str]
Reading = Iterable[tuple[float, Labels]]


def otlp_configured() -> bool:
    """Whether the standard OTLP variables name a collector for metrics and allow OTLP."""
    exporters = {
        name.strip() for name in os.environ.get("OTEL_METRICS_EXPORTER", "otlp").split(",")
    }
    return "otlp" in exporters and bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
    )


class ServiceMetrics:
    """The meter provider of one service, its HTTP server instruments and its ``/metrics``."""

    def __init__(self, service: str, *, resource: Resource | None = None) -> None:
        self.service = service
        self.resource = resource or Resource.create(
            {"service.name": f"pactum-{service}", "service.namespace": "pactum"}
        )
        self.registry = CollectorRegistry(auto_describe=False)
        # No otel_scope_* labels: three more labels on every sample (a third of a scrape's
        # time) that tell nothing here; the metric names already say where they come from.
        self._pull = PrometheusMetricReader(
            registry=self.registry,
            scope_info_enabled=False,
            resource_attribute_filter=SERIES_RESOURCE_ATTRIBUTES.__contains__,
        )
        readers: list[MetricReader] = [self._pull]
        if otlp_configured():
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        # No exemplars: the text format does not carry them, and sampling them costs time on
        # every request.
        self.provider = MeterProvider(
            resource=self.resource,
            metric_readers=readers,
            exemplar_filter=AlwaysOffExemplarFilter(),
        )
        self.meter: Meter = self.provider.get_meter("pactum")
        self.requests = self.meter.create_histogram(
            "http.server.request.duration",
            unit="s",
            description="Duration of HTTP server requests.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        # Requests in flight, counted in a plain dict and read at collection: two SDK
        # measurements per request (an up-down counter's +1 and -1) cost more than the
        # duration's own record.
        self._active: Counter[tuple[str, str]] = Counter()
        self.meter.create_observable_up_down_counter(
            "http.server.active_requests",
            callbacks=[self._read_active],
            unit="{request}",
            description="Number of active HTTP server requests.",
        )

    def request_started(self, *, method: str, scheme: str) -> Callable[[], None]:
        """One request in flight; call the answer when it ends."""
        key = (_method(method), scheme)
        self._active[key] += 1

        def ended() -> None:
            self._active[key] -= 1

        return ended

    def _read_active(self, _options: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(count, {"http.request.method": method, "url.scheme": scheme})
            for (method, scheme), count in list(self._active.items())
        ]

    def record_request(
        self, *, method: str, route: str | None, status: int, seconds: float, scheme: str = "http"
    ) -> None:
        """One request served; ``route`` is the template (``/agreements/{agreement_id}``), None
        when no route matched (the convention then leaves ``http.route`` out)."""
        attributes: dict[str, str | int] = {
            "http.request.method": _method(method),
            "http.response.status_code": status,
            "url.scheme": scheme,
        }
        if route is not None:
            attributes["http.route"] = route
        if status >= 500:
            attributes["error.type"] = str(status)
        self.requests.record(seconds, attributes)

    def observe(
        self,
        name: str,
        read: Callable[[], Reading],
        *,
        kind: Literal["gauge", "counter"] = "gauge",
        unit: str = "",
        description: str = "",
    ) -> None:
        """An instrument read when metrics are collected: ``read`` returns (value, labels) pairs
        from memory (it must not wait for I/O; sample slow sources in a background task)."""

        def callback(_options: CallbackOptions) -> Iterable[Observation]:
            try:
                return [Observation(value, dict(labels)) for value, labels in read()]
            except Exception as error:  # a broken reading must not break the whole scrape
                log.warning("metrics.read_failed", metric=name, error=str(error))
                return []

        if kind == "counter":
            self.meter.create_observable_counter(
                name, callbacks=[callback], unit=unit, description=description
            )
        else:
            self.meter.create_observable_gauge(
                name, callbacks=[callback], unit=unit, description=description
            )

    def exposition(self) -> bytes:
        """The current values in the Prometheus text format (version 0.0.4)."""
        return generate_latest(self.registry)

    def shutdown(self) -> None:
        self.provider.shutdown(timeout_millis=5_000)


def _method(method: str) -> str:
    return method if method in HTTP_METHODS else "_OTHER"


def since(moment: float | None) -> Reading:
    """A one-value reading: seconds since the wall-clock ``moment`` (nothing while unknown)."""
    if moment is None:
        return []
    return [(max(0.0, time.time() - moment), {})]
