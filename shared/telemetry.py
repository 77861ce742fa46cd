"""OpenTelemetry tracing: one tracer provider per service, OTLP export when configured, and
outgoing HTTP calls (httpx) traced with the W3C ``traceparent`` they carry."""

import os
from typing import Any

import httpx
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor, RequestInfo
from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()

# The instrumentations (FastAPI, httpx) follow the stable HTTP semantic conventions
# (``http.request.method``, ``url.full``, ``http.client.request.duration`` in seconds) unless
# the operator chose otherwise; they read this once, when the first of them is set up.
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")


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


def trace_outgoing(
    client: httpx.AsyncClient,
    *,
    tracer_provider: trace.TracerProvider,
    meter_provider: MeterProvider | None = None,
    show_path: bool = True,
) -> httpx.AsyncClient:
    """``client`` with a client span around each request and that span's ``traceparent`` in
    the request's headers, so the service called continues the same trace.

    ``url.full`` on the span never holds the query (it may carry a token); with ``show_path``
    false it holds only the origin, for addresses customers chose (a webhook URL's path is often
    its secret). Given a ``meter_provider``, requests are measured as
    ``http.client.request.duration``: only for calls between pactum's own services, since the
    ``server.address`` label of a customer's endpoint would put tenant data into the metrics.
    """

    async def redact(span: trace.Span, request: RequestInfo) -> None:
        url = request.url if isinstance(request.url, httpx.URL) else httpx.URL(str(request.url))
        shown = url.copy_with(query=None, fragment=None, username=None, password=None)
        if not show_path:
            shown = shown.copy_with(path="/")
        span.set_attribute("url.full", str(shown))

    instrument: Any = HTTPXClientInstrumentor.instrument_client
    instrument(
        client,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        request_hook=redact,
    )
    return client
