"""The webhooks an endpoint receives are the ones the notifier's OpenAPI document describes
(issue 16.4): each real delivered body validates against its notice kind's documented schema."""

import uuid
from typing import Any

import jsonschema_rs

from services.notifier.webhook_payloads import notice_kinds
from tests.notifier.conftest import Call, Notifier, Receiver, event
from tests.notifier.test_breach_notices import breach_notice, breach_update
from tests.support.documents import openapi
from tests.support.platform import eventually


def _documented(notice: str) -> jsonschema_rs.Validator:
    document = openapi("notifier")
    body = document["webhooks"][notice]["post"]["requestBody"]["content"]["application/json"]
    return jsonschema_rs.validator_for({**body["schema"], "components": document["components"]})


def _problems(notice: str, body: Any) -> list[str]:
    return [error.message for error in _documented(notice).iter_errors(body)]


def test_every_notice_kind_is_documented_as_a_webhook_with_a_closed_schema() -> None:
    document = openapi("notifier")
    assert sorted(document["webhooks"]) == notice_kinds()
    assert document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    assert schemas["NoticeFacts"]["additionalProperties"] is False
    assert all(fact.get("description") for fact in schemas["NoticeFacts"]["properties"].values())


def test_a_body_with_an_undocumented_fact_or_another_kind_fails_the_documented_schema() -> None:
    example = openapi("notifier")["components"]["schemas"]["BreachWebhook"]["examples"][0]
    assert _problems("breach", example) == []
    assert _problems("breach", example | {"data": example["data"] | {"notice": "breach_update"}})
    facts = example["data"]["facts"] | {"contact_email": "dpo@gemeente.example"}
    assert _problems("breach", example | {"data": example["data"] | {"facts": facts}})


async def _calls(receiver: Receiver, count: int) -> list[Call]:
    calls = receiver.verified_calls()
    return calls if len(calls) >= count else []


async def test_delivered_breach_webhooks_validate_against_their_documented_schemas__USE_3(
    notifier: Notifier, receiver: Receiver
) -> None:
    controller = str(uuid.uuid4())
    await notifier.endpoint(controller, receiver, ["breach"])
    data = breach_notice(controller)
    await notifier.publish(event("dpa.agreements.breach_notice.issued.v1", controller, data))
    [first] = await eventually(lambda: _calls(receiver, 1))
    await notifier.publish(
        event("dpa.agreements.breach_notice.updated.v1", controller, breach_update(data))
    )
    calls = await eventually(lambda: _calls(receiver, 2))

    bodies = {call.json["data"]["notice"]: call.json for call in calls}
    assert set(bodies) == {"breach", "breach_update"}
    for notice, body in bodies.items():
        assert _problems(notice, body) == [], (notice, body)
    assert bodies["breach"] == first.json
    assert _problems("breach_update", first.json)  # each kind its own schema
