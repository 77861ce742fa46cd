"""The controller asks the processor's help with a DPIA or a prior consultation (DPA-16, art.
28(3)(f)) or its intervention in a data subject's claim (DPA-19, art. 12 of the contract); each
request is recorded with the processor's answer, over HTTP on a real nats-server and database."""

import uuid
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest

from services.agreements.assistance.store import AssistanceRequest
from shared.outbox import OutboxMessage
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually

QUESTION = "Claim by Mrs Janssens before the court of first instance of Ghent, ref. 26/1234/A"


async def _asked(parties: Parties, agreement_id: str, **body: Any) -> dict[str, Any]:
    asked = await parties.client.post(
        f"/agreements/{agreement_id}/assistance-requests",
        json={"kind": "dpia", "question": "Describe your security measures for our DPIA"} | body,
        headers=parties.controller_admin(),
    )
    assert asked.status_code == 201, asked.text
    result: dict[str, Any] = asked.json()
    return result


async def _answer(
    parties: Parties, agreement_id: str, request_id: str, **body: Any
) -> tuple[int, dict[str, Any]]:
    answered = await parties.client.post(
        f"/agreements/{agreement_id}/assistance-requests/{request_id}/answer",
        json=body,
        headers=parties.processor_admin(),
    )
    result: dict[str, Any] = answered.json()
    return answered.status_code, result


async def test_dpa_16_a_dpia_or_prior_consultation_request_is_recorded_with_its_answer(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    due = (date.today() + timedelta(days=10)).isoformat()
    dpia = await _asked(parties, agreement_id, due_on=due)
    assert (dpia["number"], dpia["kind"], dpia["due_on"], dpia["answer"]) == (1, "dpia", due, None)
    consultation = await _asked(parties, agreement_id, kind="prior_consultation")
    assert consultation["number"] == 2

    status, answered = await _answer(
        parties, agreement_id, dpia["id"], answer="Annex 2 measures and our pen-test report"
    )
    assert (status, answered["answer"]) == (200, "Annex 2 measures and our pen-test report")
    status, _ = await _answer(parties, agreement_id, dpia["id"], answer="again")
    assert status == 409
    listed = await parties.client.get(
        f"/agreements/{agreement_id}/assistance-requests", headers=parties.processor_admin()
    )
    assert [(r["number"], r["answered_at"] is not None) for r in listed.json()["items"]] == [
        (2, False),
        (1, True),
    ]
    for verb in ("requested", "answered"):
        entries = await eventually(
            partial(
                platform.audit_entries,
                organisation_id=parties.controller,
                event_type=f"dpa.agreements.dpia_assistance.{verb}.v1",
            )
        )
        assert all("pen-test" not in str(entry.data) for entry in entries)
    await eventually(
        partial(
            platform.receipts,
            organisation_id=parties.controller,  # the receipt is filed under the event's tenant
            event_type="dpa.agreements.dpia_assistance.requested.v1",
        )
    )


async def test_dpa_19_the_request_to_intervene_in_a_claim_is_recorded_with_its_answer(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    claim = await _asked(parties, agreement_id, kind="claim", question=QUESTION)
    status, refused = await _answer(parties, agreement_id, claim["id"], answer="We will")
    assert status == 422  # a claim's answer says whether the processor intervenes
    assert "intervenes" in refused["detail"]
    status, answered = await _answer(
        parties,
        agreement_id,
        claim["id"],
        answer="Our counsel joins on 12 January",
        intervenes=True,
    )
    assert (status, answered["intervenes"]) == (200, True)
    [entry] = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.claim_intervention.answered.v1",
        )
    )
    assert entry.data["intervenes"] is True
    assert "Janssens" not in str(entry.data)


async def test_dpa_16_dpa_19_only_the_controller_asks_only_the_processor_answers(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/assistance-requests"
    by_processor = await parties.client.post(
        url, json={"kind": "claim", "question": QUESTION}, headers=parties.processor_admin()
    )
    assert by_processor.status_code == 403
    asked = await _asked(parties, agreement_id)
    by_controller = await parties.client.post(
        f"{url}/{asked['id']}/answer", json={"answer": "x"}, headers=parties.controller_admin()
    )
    assert by_controller.status_code == 403
    stranger = parties.platform.auth(str(uuid.uuid4()))
    assert (await parties.client.get(url, headers=stranger)).status_code == 404
    status, _ = await _answer(parties, agreement_id, str(uuid.uuid4()), answer="x")
    assert status == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "advice"}, "dpia"),
        ({"question": ""}, "at least 1 character"),
        ({"due_on": "2020-01-01"}, "has passed"),
        ({"kind": "claim", "question": QUESTION, "extra": True}, "Extra inputs"),
    ],
)
async def test_dpa_16_dpa_19_a_bad_request_gets_422_and_changes_nothing(
    parties: Parties, body: dict[str, Any], message: str
) -> None:
    agreement_id = await parties.active()
    before = await parties.platform.count("agreements", OutboxMessage)
    response = await parties.client.post(
        f"/agreements/{agreement_id}/assistance-requests",
        json={"kind": "dpia", "question": "Help with our DPIA"} | body,
        headers=parties.controller_admin(),
    )
    assert response.status_code == 422, response.text
    assert message in response.text
    assert await parties.platform.count("agreements", OutboxMessage) == before
    assert await parties.platform.count("agreements", AssistanceRequest) == 0


async def test_dpa_16_an_answer_to_a_dpia_request_takes_no_intervention(parties: Parties) -> None:
    agreement_id = await parties.active()
    asked = await _asked(parties, agreement_id)
    status, refused = await _answer(
        parties, agreement_id, asked["id"], answer="x", intervenes=False
    )
    assert status == 422
    assert "only for a claim" in refused["detail"]
    listed = await parties.client.get(
        f"/agreements/{agreement_id}/assistance-requests", headers=parties.controller_admin()
    )
    assert listed.json()["items"][0]["answer"] is None


async def test_dpa_16_the_requests_are_walked_in_pages_and_a_strange_cursor_is_refused(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    for _ in range(3):
        await _asked(parties, agreement_id)
    url = f"/agreements/{agreement_id}/assistance-requests"
    first = await parties.client.get(url, params={"limit": 2}, headers=parties.processor_admin())
    page = first.json()
    assert [r["number"] for r in page["items"]] == [3, 2]
    rest = await parties.client.get(
        url,
        params={"limit": 2, "cursor": page["next_cursor"]},
        headers=parties.processor_admin(),
    )
    assert ([r["number"] for r in rest.json()["items"]], rest.json()["next_cursor"]) == ([1], None)
    strange = await parties.client.get(
        url, params={"cursor": "bm90LWEtbnVtYmVy"}, headers=parties.processor_admin()
    )
    assert strange.status_code == 422
    assert strange.json()["code"] == "invalid_cursor"
