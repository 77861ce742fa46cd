"""Outgoing HTTP calls (httpx) are traced and carry the W3C ``traceparent`` of their span, so the
service called continues the caller's trace (USE-2); their spans hold no query or secret path."""

import uuid
from pathlib import Path

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.console.main import create_app as create_console
from services.console.settings import ConsoleSettings
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings
from shared.telemetry import trace_outgoing
from tests.metrics.conftest import TRACEPARENT, Server
from tests.metrics.exposition import parse, value
from tests.notifier.conftest import Call, Notifier, Receiver, event
from tests.notifier.test_breach_notices import breach_notice
from tests.support.platform import eventually


def _tracing() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


async def test_an_outgoing_request_carries_the_traceparent_of_its_client_span__USE_2(
    server: Server,
) -> None:
    provider, exporter = _tracing()
    async with trace_outgoing(httpx.AsyncClient(), tracer_provider=provider) as client:
        with provider.get_tracer("test").start_as_current_span("page") as page:
            response = await client.get(f"{server.url}/keys?token=secret-value")
    assert response.status_code == 200

    trace_id, parent_id = server.traceparent()
    [outgoing] = [span for span in exporter.get_finished_spans() if span.kind is SpanKind.CLIENT]
    assert trace_id == format(page.get_span_context().trace_id, "032x")
    assert parent_id == format(outgoing.context.span_id, "016x")  # the server's parent: the call
    assert outgoing.parent is not None
    assert outgoing.parent.span_id == page.get_span_context().span_id
    assert outgoing.attributes is not None
    assert outgoing.attributes["http.request.method"] == "GET"
    assert outgoing.attributes["http.response.status_code"] == 200
    assert outgoing.attributes["url.full"] == f"{server.url}/keys"  # no query: it may be a token
    assert "secret-value" not in str(dict(outgoing.attributes))


async def test_a_call_to_a_customer_address_shows_only_its_origin_on_the_span(
    server: Server,
) -> None:
    provider, exporter = _tracing()
    client = trace_outgoing(httpx.AsyncClient(), tracer_provider=provider, show_path=False)
    async with client:
        await client.get(f"{server.url}/services/T000/B000/secret-path-token")

    [outgoing] = exporter.get_finished_spans()
    assert outgoing.attributes is not None
    assert outgoing.attributes["url.full"] == f"{server.url}/"
    assert "secret-path-token" not in str(dict(outgoing.attributes))
    assert server.traceparent()[1] == format(outgoing.context.span_id, "016x")


async def test_the_console_calls_the_apis_in_a_traced_request_measured_by_convention__USE_2(
    server: Server, tmp_path: Path
) -> None:
    settings = ConsoleSettings(var_dir=tmp_path, identity_url=server.url)
    app = create_console(settings)
    try:
        answer = await app.state.apis.call("identity", "GET", "/organisation")
        assert answer.status_code == 200
    finally:
        await app.state.apis.close()

    server.traceparent()  # present and well-formed: the console's client made a span for it
    families = parse(app.state.metrics.exposition().decode())
    duration = "http_client_request_duration_seconds_count"
    assert value(families, duration, http_request_method="GET", server_port=str(server.port)) == 1


async def test_a_service_fetches_identitys_public_keys_in_a_traced_request(
    server: Server, tmp_path: Path
) -> None:
    settings = ServiceSettings(var_dir=tmp_path, jwks_url=f"{server.url}/.well-known/jwks.json")
    runtime = ServiceRuntime(settings, tables=[])
    try:
        assert await runtime.verifier.jwks() == {"keys": []}
    finally:
        for close in runtime.shutdown:
            await close()
        await runtime.engine.dispose()

    assert server.seen[0][0] == "/.well-known/jwks.json"
    server.traceparent()


async def test_a_webhook_delivery_carries_a_traceparent__USE_2(
    notifier: Notifier, receiver: Receiver
) -> None:
    controller = str(uuid.uuid4())
    await notifier.endpoint(controller, receiver, ["breach"])
    await notifier.publish(
        event("dpa.agreements.breach_notice.issued.v1", controller, breach_notice(controller))
    )

    async def delivered() -> list[Call]:
        return receiver.verified_calls()

    [call, *_] = await eventually(delivered)
    assert TRACEPARENT.fullmatch(call.headers["traceparent"])
