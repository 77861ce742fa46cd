"""External producers: the processor's other applications record their accesses to a customer's
data in the customer's log, through the same envelope and validation (TOM-T3a, TOM-T3c), and stay
in their lane (issue 15.7): only under an agreement both parties signed, as the actor their token
names, at the time it is now."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.auth import Role
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.platform import Platform, eventually


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


async def _parties(
    audit: Platform, producer: Producer, controller: str, processor: str, *, signed: bool = True
) -> str:
    """An agreement between the two, drafted and (unless told otherwise) signed by both."""
    agreement = str(uuid.uuid4())
    parties = {"agreement_id": agreement, "controller_id": controller, "processor_id": processor}
    events = [event(controller, type="dpa.agreements.agreement.created.v1", data=parties)]
    for party, both in (("processor", False), ("controller", True)) if signed else ():
        events.append(
            event(
                controller,
                type="dpa.agreements.agreement.signed.v1",
                data=parties | {"version": 1, "party": party, "fully_signed": both},
            )
        )
    before = len(await audit.audit_entries(organisation_id=controller))
    await producer.send(*events)
    await entries_of(audit, controller, before + len(events))
    return agreement


async def test_a_processor_application_records_an_access_in_the_customers_log__TOM_T3a_TOM_T3c(
    audit: Platform, producer: Producer
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await _parties(audit, producer, controller, processor)
    # Who acted comes from the token, whatever the body claims (issue 15.7).
    access = _access(controller, processor, actorid="someone-else", actororgid=controller)
    client = audit.clients["audit"]
    headers = {"Authorization": f"Bearer {audit.token(processor, [Role.admin], user_id='app-7')}"}
    first = await client.post("/audit/events", content=json.dumps(access), headers=headers)
    again = await client.post("/audit/events", content=json.dumps(access), headers=headers)
    assert first.status_code == 202 and first.json()["duplicate"] is False
    assert again.status_code == 202 and again.json()["duplicate"] is True

    *_, recorded = await entries_of(audit, controller, 4)
    assert str(recorded.event_id) == access["id"]
    assert recorded.event_type == "dpa.external.record.viewed.v1"
    assert (recorded.actor_id, recorded.actor_organisation_id) == ("app-7", processor)
    assert recorded.supplier_intervention is True
    assert "TOM-T3c" in recorded.requirements
    page = await client.get("/audit/entries?supplier_only=true", headers=reader(audit, controller))
    assert [item["event_id"] for item in page.json()["items"]] == [access["id"]]
    assert len(await audit.audit_entries(organisation_id=controller)) == 4


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
        ({"time": timedelta(minutes=-10)}, "within 300"),
        ({"time": timedelta(minutes=10)}, "within 300"),
        ({"extra": "field"}, "extra"),
        ({"subject": "case\u0000"}, "control characters"),  # the edge's rule: 400
    ],
)
async def test_invalid_external_events_get_a_clear_4xx_and_store_nothing(
    audit: Platform, changes: dict[str, Any], reason: str
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    if isinstance(skew := changes.get("time"), timedelta):
        # Skewed from the moment the test runs, not from collection (a loaded run takes minutes).
        changes = {"time": (datetime.now(UTC) + skew).isoformat()}
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


async def test_entries_go_into_a_controllers_log_only_under_an_agreement_both_signed(
    audit: Platform, producer: Producer
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    drafted = await _parties(audit, producer, controller, processor, signed=False)
    client, headers = audit.clients["audit"], audit.auth(processor, [Role.admin])

    async def post(**changes: Any) -> int:
        answer = await client.post(
            "/audit/events",
            content=json.dumps(_access(controller, processor, **changes)),
            headers=headers,
        )
        return answer.status_code

    # A draft naming the controller is not enough (the probe of issue 15.7).
    assert await post() == 403
    signed = await _parties(audit, producer, controller, processor)
    access = _access(controller, processor)
    assert await post(data=access["data"] | {"agreement_id": drafted}) == 403
    assert await post(data=access["data"] | {"agreement_id": signed}) == 202
    assert await post() == 202  # naming no agreement: one both signed is there
    # Back-dated: refused, nothing stored.
    assert await post(time=(datetime.now(UTC) - timedelta(days=30)).isoformat()) == 422

    async def accepted() -> list[Any] | None:
        found = await audit.audit_entries(
            organisation_id=controller, event_type="dpa.external.record.viewed.v1"
        )
        return found if len(found) >= 2 else None

    await eventually(accepted)
    recorded = await audit.audit_entries(
        organisation_id=controller, event_type="dpa.external.record.viewed.v1"
    )
    assert len(recorded) == 2 and all(
        entry.actor_organisation_id == processor for entry in recorded
    )
