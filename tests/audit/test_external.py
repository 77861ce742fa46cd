"""External producers: the processor's other applications record their accesses to a customer's
data in the customer's log, through the same envelope and validation (TOM-T3a, TOM-T3c)."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.auth import Role
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.platform import Platform


def _access(controller: str, processor: str, **changes: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/dpa/external",
        "type": "dpa.external.record.viewed.v1",
        "subject": "case-991",
        "time": datetime.now(UTC).isoformat(),
        "tenantid": controller,
        "actorid": "helpdesk-12",
        "actortype": "user",
        "actororgid": processor,
        "data": {
            "application": "case-desk",
            "record_type": "citizen_case",
            "record_ids": ["case-991"],
            "fields": ["status", "address"],
            "purpose": "support ticket 4711",
        },
    }
    return envelope | changes


async def _parties(producer: Producer, controller: str, processor: str) -> None:
    await producer.send(
        event(
            controller,
            type="dpa.agreements.agreement.created.v1",
            data={
                "agreement_id": str(uuid.uuid4()),
                "controller_id": controller,
                "processor_id": processor,
            },
        )
    )


async def test_a_processor_application_records_an_access_in_the_customers_log__TOM_T3a_TOM_T3c(
    audit: Platform, producer: Producer
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await _parties(producer, controller, processor)
    await entries_of(audit, controller, 1)
    access = _access(controller, processor)
    client, headers = audit.clients["audit"], audit.auth(processor, [Role.admin])
    first = await client.post("/audit/events", content=json.dumps(access), headers=headers)
    again = await client.post("/audit/events", content=json.dumps(access), headers=headers)
    assert first.status_code == 202 and first.json()["duplicate"] is False
    assert again.status_code == 202 and again.json()["duplicate"] is True

    _, recorded = await entries_of(audit, controller, 2)
    assert str(recorded.event_id) == access["id"]
    assert recorded.event_type == "dpa.external.record.viewed.v1"
    assert recorded.supplier_intervention is True
    assert recorded.actor_organisation_id == processor
    assert "TOM-T3c" in recorded.requirements
    page = await client.get("/audit/entries?supplier_only=true", headers=reader(audit, controller))
    assert [item["event_id"] for item in page.json()["items"]] == [access["id"]]
    assert len(await audit.audit_entries(organisation_id=controller)) == 2


async def test_nats_producers_go_through_the_same_validation__TOM_T3a(
    audit: Platform, producer: Producer
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    access = _access(controller, processor)
    subject = f"dpa.{controller}.external.record.viewed"
    await producer.js.publish(subject, json.dumps(access | {"data": {}}).encode())
    await producer.js.publish(subject, json.dumps(access).encode())
    [recorded] = await entries_of(audit, controller, 1)
    assert str(recorded.event_id) == access["id"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"type": "dpa.agreements.agreement.viewed.v1"}, "type must be"),
        ({"type": "dpa.external.record.exploded.v1"}, "unknown event type"),
        ({"data": {"application": "x"}}, "does not match"),
        ({"time": "yesterday"}, "time"),
        ({"actororgid": None}, "actororgid"),
        ({"extra": "field"}, "extra"),
        ({"subject": "case\u0000"}, "control characters"),  # the edge's rule: 400
    ],
)
async def test_invalid_external_events_get_a_clear_4xx_and_store_nothing(
    audit: Platform, changes: dict[str, Any], reason: str
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    access = _access(processor, processor) | changes
    response = await audit.clients["audit"].post(
        "/audit/events", content=json.dumps(access), headers=audit.auth(processor, [Role.admin])
    )
    # A control character breaks the platform's input rule (shared/input_rules.py): refused
    # before the route reads it, with 400 like any body that is not acceptable JSON.
    assert response.status_code == (400 if reason == "control characters" else 422)
    assert reason in response.json()["detail"]
    assert controller  # unused by this case
    garbage = await audit.clients["audit"].post(
        "/audit/events", content=b"\xff{", headers=audit.auth(processor, [Role.admin])
    )
    assert garbage.status_code == 422


async def test_an_application_may_not_write_into_a_log_it_does_not_serve(
    audit: Platform,
) -> None:
    stranger, victim = str(uuid.uuid4()), str(uuid.uuid4())
    client = audit.clients["audit"]
    refused = await client.post(
        "/audit/events",
        content=json.dumps(_access(victim, stranger)),
        headers=audit.auth(stranger, [Role.admin]),
    )
    assert refused.status_code == 403
    member = await client.post(
        "/audit/events",
        content=json.dumps(_access(stranger, stranger)),
        headers=audit.auth(stranger, [Role.member]),
    )
    assert member.status_code == 403
