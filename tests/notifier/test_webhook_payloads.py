"""The webhooks an endpoint receives are the ones the notifier's OpenAPI document describes
(issue 16.4): each real delivered body validates against its notice kind's documented schema."""

import json
import uuid
from dataclasses import replace
from functools import cache
from typing import Any

import jsonschema_rs
from pydantic import BaseModel

from services.notifier import addressing
from services.notifier.addressing import Recipient
from services.notifier.domain import Channel, Locale
from services.notifier.plans import PLANS, plan_for
from services.notifier.webhook_payloads import notice_kinds
from shared.api_examples import example_of
from shared.events import CATALOGUE
from tests.notifier.conftest import Call, Notifier, Receiver, event
from tests.notifier.test_breach_notices import breach_notice, breach_update
from tests.support.documents import openapi
from tests.support.platform import eventually


@cache
def _notifier_document() -> dict[str, Any]:
    return openapi("notifier")


@cache
def _documented(notice: str) -> jsonschema_rs.Validator:
    document = _notifier_document()
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


def _webhook_bodies(event_type: str, payload: type[BaseModel]) -> list[tuple[str, Any]]:
    """The webhook bodies the notifier plans for one event of ``event_type`` whose payload has
    every field (an example built from its catalogued model)."""
    data = payload.model_validate(example_of(payload.model_json_schema()))
    plan = plan_for(event(event_type, str(uuid.uuid4()), data))
    notices = plan.notices + [
        replace(check.warning, facts=check.warning.facts | {"missing": ["processor"]})
        for check in plan.checks
    ]
    bodies = []
    for notice in notices:
        if notice.link_id:  # a one-time link goes to its person by mail, never to a webhook
            continue
        recipient = Recipient("endpoint", Channel.webhook, Locale.en, endpoint_id=uuid.uuid4())
        message = addressing._message(notice, recipient, f"https://pactum.test{notice.link}")
        bodies.append((notice.notice, json.loads(message["body"])))
    return bodies


def test_every_notice_an_event_plans_is_a_body_its_documented_schema_accepts() -> None:
    """From the event catalogue: every event the notifier plans notices for, with a payload built
    from its catalogued model, gives webhook bodies that validate against their notice kind's
    documented schema (no fact outside the documented ones)."""
    planned = [
        kind
        for kind in CATALOGUE.values()
        if kind.type.removeprefix("dpa.").rsplit(".", 1)[0] in PLANS
    ]
    notices: set[str] = set()
    for kind in planned:
        for notice, body in _webhook_bodies(kind.type, kind.payload):
            assert _problems(notice, body) == [], (kind.type, notice, body)
            notices.add(notice)
    assert len(planned) >= len(PLANS) and len(notices) >= 20, sorted(notices)
