"""OpenTelemetry tracing: one tracer provider per service, OTLP export when configured."""

import os

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()


def build_tracer_provider(service: str) -> TracerProvider:
    """A tracer provider for one service; exports over OTLP/HTTP when an endpoint is set.

    The standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` (and the other ``OTEL_*`` variables) configure
    the exporter. Without it spans are still created, so trace ids reach logs and audit entries.
    The standard ``OTEL_TRACES_SAMPLER``/``OTEL_TRACES_SAMPLER_ARG`` choose which requests record
    spans (default: all); an unsampled request still carries its trace id everywhere
    (docs/performance.md, "Cutting the cost of an audited request").
    """
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": f"pactum-{service}", "service.namespace": "pactum"}
        )
    )
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the active span, if any."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def trace_id_of(traceparent: str | None) -> str | None:
    """The 32-hex trace id inside a ``traceparent`` header, or None if it is malformed."""
    if not traceparent:
        return None
    span = trace.get_current_span(_propagator.extract({"traceparent": traceparent}))
    span_context = span.get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x")


def context_from_traceparent(traceparent: str | None) -> Context | None:
    """A parent context restored from a stored ``traceparent`` (None starts a new trace)."""
    if not traceparent:
        return None
    return _propagator.extract({"traceparent": traceparent})
