"""A trace does not stop at publish (USE-2): the audit and notifier consumers record a ``process``
span per batch, linked to the context each event was produced in, and the notifier's send of a
notice continues that batch's trace, down to the webhook call's ``traceparent``."""

import uuid

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.events import Actor, new_event
from tests.notifier.conftest import Call, Notifier, Receiver
from tests.notifier.test_breach_notices import breach_notice
from tests.support.platform import eventually

BREACH_NOTICE = "dpa.agreements.breach_notice.issued.v1"


def _record(notifier: Notifier, service: str) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    notifier.platform.runtime(service).tracer_provider.add_span_processor(
        SimpleSpanProcessor(exporter)
    )
    return exporter


def _batches_linked_to(exporter: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    return [
        span
        for span in exporter.get_finished_spans()
        if span.name == "process DPA_EVENTS"
        and any(link.context.trace_id == trace_id for link in span.links)
    ]


async def test_consumers_link_their_batch_to_the_request_and_the_notice_continues_it__USE_2(
    notifier: Notifier, receiver: Receiver
) -> None:
    audit_spans, notifier_spans = _record(notifier, "audit"), _record(notifier, "notifier")
    controller = str(uuid.uuid4())
    await notifier.endpoint(controller, receiver, ["breach"])
    trace_id, producer_span = uuid.uuid4().int, uuid.uuid4().int >> 64
    traceparent = f"00-{trace_id:032x}-{producer_span:016x}-01"
    await notifier.publish(
        new_event(
            source="/dpa/agreements",
            type=BREACH_NOTICE,
            tenant=controller,
            actor=Actor.system("agreements"),
            data=breach_notice(controller),
            traceparent=traceparent,
        )
    )

    async def sent() -> list[Call]:
        return receiver.verified_calls()

    [call, *_] = await eventually(sent)

    async def audited() -> list[ReadableSpan]:
        return _batches_linked_to(audit_spans, trace_id)

    [audit_batch] = await eventually(audited)
    assert audit_batch.kind is SpanKind.CONSUMER
    assert audit_batch.attributes is not None
    assert audit_batch.attributes["messaging.consumer.group.name"] == "audit"
    count = audit_batch.attributes["messaging.batch.message_count"]
    assert isinstance(count, int) and count >= 1
    [link] = [link for link in audit_batch.links if link.context.trace_id == trace_id]
    assert link.context.span_id == producer_span

    # The webhook can arrive before the notifier's spans end (each is exported as it ends).
    async def traced() -> list[list[ReadableSpan]]:
        finished = notifier_spans.get_finished_spans()
        spans = [
            _batches_linked_to(notifier_spans, trace_id),
            [s for s in finished if s.name == "send webhook notice"],
            [s for s in finished if s.kind is SpanKind.CLIENT],
        ]
        return spans if all(spans) else []

    [planned], [send], [webhook_call] = await eventually(traced)
    assert send.context.trace_id == planned.context.trace_id  # the send continues the batch
    assert send.parent is not None and send.parent.span_id == planned.context.span_id
    assert webhook_call.parent is not None and webhook_call.parent.span_id == send.context.span_id
    assert call.headers["traceparent"].split("-")[1] == f"{planned.context.trace_id:032x}"


async def test_an_event_without_a_trace_context_is_consumed_in_a_batch_without_links(
    notifier: Notifier, receiver: Receiver
) -> None:
    audit_spans = _record(notifier, "audit")
    controller = str(uuid.uuid4())
    event = new_event(
        source="/dpa/agreements",
        type=BREACH_NOTICE,
        tenant=controller,
        actor=Actor.system("agreements"),
        data=breach_notice(controller),
    )
    await notifier.publish(event)

    async def audited() -> list[ReadableSpan]:
        return [s for s in audit_spans.get_finished_spans() if s.name == "process DPA_EVENTS"]

    [batch, *_] = await eventually(audited)
    assert all(link.context.is_valid for link in batch.links)
    assert not [link for link in batch.links if link.attributes and
                link.attributes.get("messaging.message.id") == str(event.id)]  # fmt: skip
