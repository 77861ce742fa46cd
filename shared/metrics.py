"""Metrics: one OpenTelemetry meter provider per service, read two ways.

- Pulled: ``GET /metrics`` renders the current values in the Prometheus text exposition format
  (version 0.0.4), so Prometheus can scrape a service without a collector.
- Pushed: when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT``) is set,
  the same instruments are exported over OTLP/HTTP every ``OTEL_METRIC_EXPORT_INTERVAL`` ms
  (default 60000), as the traces are; the collector exposes them to Prometheus.

The instruments every service has are defined here (:class:`ServiceMetrics`); each service
defines its own beside the use case that moves them, from ``ServiceMetrics.meter``. Names follow
the OpenTelemetry-to-Prometheus translation the collector applies (dots become underscores, the
unit ``s`` adds ``_seconds``, a monotonic sum adds ``_total``), so a PromQL expression is the same
whichever way the metric travelled. No instrument carries an organisation id or a raw path: the
attributes are bounded sets (route templates, status classes, consumer names, channels).
"""

import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal

import structlog
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    HistogramDataPoint,
    InMemoryMetricReader,
    MetricReader,
    MetricsData,
    NumberDataPoint,
    PeriodicExportingMetricReader,
    Sum,
)
from opentelemetry.sdk.resources import Resource

log = structlog.get_logger("pactum.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Request durations in seconds: 5 ms to 10 s (a login's argon2 check sits near 100 ms).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

Labels = Mapping[str, str]
Reading = Iterable[tuple[float, Labels]]


def otlp_configured() -> bool:
    """Whether the standard OTLP variables name a collector for metrics."""
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
    )


class ServiceMetrics:
    """The meter provider of one service, its common instruments and its ``/metrics`` text."""

    def __init__(self, service: str, *, resource: Resource | None = None) -> None:
        self.service = service
        self.resource = resource or Resource.create(
            {"service.name": f"pactum-{service}", "service.namespace": "pactum"}
        )
        self._pull = InMemoryMetricReader()
        readers: list[MetricReader] = [self._pull]
        if otlp_configured():
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        # No exemplars: neither the text format here nor the collector's Prometheus exporter
        # carries them, and sampling them costs time on every request.
        self.provider = MeterProvider(
            resource=self.resource,
            metric_readers=readers,
            exemplar_filter=AlwaysOffExemplarFilter(),
        )
        self.meter: Meter = self.provider.get_meter("pactum")
        self.requests = self.meter.create_histogram(
            "pactum.http.server.duration",
            unit="s",
            description="HTTP requests served, by method, route template and status class.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )

    def record_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """One request served; ``route`` is the template (``/agreements/{agreement_id}``)."""
        self.requests.record(
            seconds,
            {
                "method": method if method in HTTP_METHODS else "other",
                "route": route,
                "status_class": f"{status // 100}xx",
            },
        )

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

    def exposition(self) -> str:
        """The current values in the Prometheus text format."""
        data = self._pull.get_metrics_data()
        return render(data, resource=self.resource)

    def shutdown(self) -> None:
        self.provider.shutdown(timeout_millis=5_000)


def since(moment: float | None) -> Reading:
    """A one-value reading: seconds since the wall-clock ``moment`` (nothing while unknown)."""
    if moment is None:
        return []
    return [(max(0.0, time.time() - moment), {})]


# --- Prometheus text exposition format 0.0.4 -------------------------------------------------

_UNIT_SUFFIXES = {"s": "seconds", "ms": "milliseconds", "By": "bytes"}
_INVALID_NAME = re.compile(r"[^a-zA-Z0-9_:]")
_INVALID_LABEL = re.compile(r"[^a-zA-Z0-9_]")


def metric_name(name: str, unit: str, *, counter: bool) -> str:
    """The Prometheus name of an OpenTelemetry instrument, as the collector translates it."""
    result = _INVALID_NAME.sub("_", name)
    suffix = _UNIT_SUFFIXES.get(unit)
    if suffix and not result.endswith(f"_{suffix}"):
        result = f"{result}_{suffix}"
    if counter and not result.endswith("_total"):
        result = f"{result}_total"
    if result[0].isdigit():
        result = f"_{result}"
    return result


def label_name(name: str) -> str:
    result = _INVALID_LABEL.sub("_", name)
    return f"_{result}" if result[0].isdigit() else result


def _label_value(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _labels(attributes: Mapping[str, object] | None, extra: Sequence[tuple[str, str]] = ()) -> str:
    pairs = [(label_name(key), _label_value(value)) for key, value in (attributes or {}).items()]
    pairs += [(key, _label_value(value)) for key, value in extra]
    if not pairs:
        return ""
    return "{" + ",".join(f'{key}="{value}"' for key, value in pairs) + "}"


def render(data: MetricsData | None, *, resource: Resource | None = None) -> str:
    """Metrics data in the Prometheus text format: one family per metric name, each with its
    ``# HELP`` and ``# TYPE`` lines; histograms as cumulative ``_bucket`` series with ``le``,
    then ``_sum`` and ``_count``. The resource becomes a ``target_info`` gauge."""
    families: dict[str, tuple[str, str, list[str]]] = {}
    if resource is not None:
        attributes = {
            key: value for key, value in resource.attributes.items() if key.startswith("service.")
        }
        info = f"target_info{_labels(attributes)} 1"
        families["target_info"] = ("gauge", "Target metadata", [info])
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                points = metric.data
                if isinstance(points, Sum) and points.is_monotonic:
                    kind = "counter"
                elif isinstance(points, Sum | Gauge):
                    kind = "gauge"
                elif isinstance(points, Histogram):
                    kind = "histogram"
                else:  # exponential histograms are not used here
                    continue
                name = metric_name(metric.name, metric.unit or "", counter=kind == "counter")
                _, _, lines = families.setdefault(name, (kind, metric.description or name, []))
                for point in points.data_points:
                    if isinstance(point, HistogramDataPoint):
                        lines += _histogram_lines(name, point)
                    elif isinstance(point, NumberDataPoint):
                        lines.append(f"{name}{_labels(point.attributes)} {_number(point.value)}")
    out: list[str] = []
    for name, (kind, description, lines) in families.items():
        if not lines:
            continue
        out += [f"# HELP {name} {_help(description)}", f"# TYPE {name} {kind}", *lines]
    return "\n".join(out) + "\n" if out else ""


def _histogram_lines(name: str, point: HistogramDataPoint) -> list[str]:
    lines = []
    cumulative = 0
    for bound, count in zip(point.explicit_bounds, point.bucket_counts, strict=False):
        cumulative += count
        le = (("le", _number(bound)),)
        lines.append(f"{name}_bucket{_labels(point.attributes, le)} {cumulative}")
    lines.append(f"{name}_bucket{_labels(point.attributes, (('le', '+Inf'),))} {point.count}")
    lines.append(f"{name}_sum{_labels(point.attributes)} {_number(point.sum)}")
    lines.append(f"{name}_count{_labels(point.attributes)} {point.count}")
    return lines
