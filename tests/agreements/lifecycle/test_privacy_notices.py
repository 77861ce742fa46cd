"""The processor's privacy notice is submitted to the controller before processing starts; the
controller approves it or comments (a new version follows), and the agreement cannot be
activated before approval (DPA-10, art. 10 of the contract), over HTTP."""

import uuid
from functools import partial
from typing import Any

import pytest

from services.agreements.lifecycle.store import Agreement, PrivacyNotice
from shared.outbox import OutboxMessage
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually

TEXT = "We record your name and telephone number to plan your appointment at the town hall."
MANNER = "Shown on the booking form before the citizen sends it"


async def _submit(parties: Parties, agreement_id: str, text: str = TEXT) -> dict[str, Any]:
    submitted = await parties.client.post(
        f"/agreements/{agreement_id}/privacy-notices",
        json={"text": text, "manner": MANNER},
        headers=parties.processor_admin(),
    )
    assert submitted.status_code == 201, submitted.text
    body: dict[str, Any] = submitted.json()
    return body


async def _answer(
    parties: Parties, agreement_id: str, notice_id: str, **body: Any
) -> dict[str, Any]:
    answered = await parties.client.post(
        f"/agreements/{agreement_id}/privacy-notices/{notice_id}/answer",
        json=body,
        headers=parties.controller_admin(),
    )
    assert answered.status_code == 200, answered.text
    result: dict[str, Any] = answered.json()
    return result


async def _activate(parties: Parties, agreement_id: str) -> int:
    activated = await parties.client.post(
        f"/agreements/{agreement_id}/activation", headers=parties.controller_admin()
    )
    return activated.status_code


async def test_dpa_10_processing_starts_only_after_the_controller_approves_the_notice(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.signed()
    first = await _submit(parties, agreement_id)
    assert (first["version"], first["review"]) == (1, None)
    assert await _activate(parties, agreement_id) == 409  # awaiting the controller's answer

    commented = await _answer(
        parties, agreement_id, first["id"], review="commented", comment="Name the retention period"
    )
    assert (commented["review"], commented["comment"]) == ("commented", "Name the retention period")
    assert await _activate(parties, agreement_id) == 409  # a comment is not an approval

    second = await _submit(parties, agreement_id, TEXT + " We keep it for one year.")
    assert second["version"] == 2
    approved = await _answer(parties, agreement_id, second["id"], review="approved")
    assert approved["review"] == "approved"
    assert await _activate(parties, agreement_id) == 200

    listed = await parties.client.get(
        f"/agreements/{agreement_id}/privacy-notices", headers=parties.controller_admin()
    )
    assert [n["version"] for n in listed.json()["items"]] == [2, 1]

    for verb in ("proposed", "commented", "approved"):
        entries = await eventually(
            partial(
                platform.audit_entries,
                organisation_id=parties.controller,
                event_type=f"dpa.agreements.privacy_notice.{verb}.v1",
            )
        )
        assert all(TEXT not in str(entry.data) for entry in entries)  # the text stays in records
    # the controller hears of the submission, the processor of the answers
    await eventually(
        partial(
            platform.receipts,
            organisation_id=parties.controller,
            event_type="dpa.agreements.privacy_notice.proposed.v1",
        )
    )


async def test_dpa_10_an_agreement_without_a_submitted_notice_is_activated_as_before(
    parties: Parties,
) -> None:
    agreement_id = await parties.signed()
    assert await _activate(parties, agreement_id) == 200


async def test_dpa_10_one_version_awaits_an_answer_at_a_time_and_only_the_newest_is_answered(
    parties: Parties,
) -> None:
    agreement_id = await parties.signed()
    first = await _submit(parties, agreement_id)
    again = await parties.client.post(
        f"/agreements/{agreement_id}/privacy-notices",
        json={"text": TEXT, "manner": MANNER},
        headers=parties.processor_admin(),
    )
    assert again.status_code == 409
    await _answer(parties, agreement_id, first["id"], review="commented", comment="Shorter")
    await _submit(parties, agreement_id)
    stale = await parties.client.post(
        f"/agreements/{agreement_id}/privacy-notices/{first['id']}/answer",
        json={"review": "approved"},
        headers=parties.controller_admin(),
    )
    assert stale.status_code == 409
    assert "newer version" in stale.json()["detail"]


async def test_dpa_10_only_the_processor_submits_only_the_controller_answers_strangers_see_nothing(
    parties: Parties,
) -> None:
    agreement_id = await parties.signed()
    url = f"/agreements/{agreement_id}/privacy-notices"
    by_controller = await parties.client.post(
        url, json={"text": TEXT, "manner": MANNER}, headers=parties.controller_admin()
    )
    assert by_controller.status_code == 403
    notice = await _submit(parties, agreement_id)
    by_processor = await parties.client.post(
        f"{url}/{notice['id']}/answer",
        json={"review": "approved"},
        headers=parties.processor_admin(),
    )
    assert by_processor.status_code == 403
    stranger = parties.platform.auth(str(uuid.uuid4()))
    assert (await parties.client.get(url, headers=stranger)).status_code == 404
    answered = await parties.client.post(
        f"{url}/{notice['id']}/answer", json={"review": "approved"}, headers=stranger
    )
    assert answered.status_code == 404
    assert (
        await parties.client.post(
            f"{url}/{uuid.uuid4()}/answer",
            json={"review": "approved"},
            headers=parties.controller_admin(),
        )
    ).status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("", {"text": "", "manner": MANNER}, "at least 1 character"),
        ("", {"text": TEXT}, "Field required"),
        ("", {"text": TEXT, "manner": MANNER, "extra": 1}, "Extra inputs"),
        ("answer", {"review": "maybe"}, "approved"),
        ("answer", {"review": "commented"}, "say what the processor must change"),
    ],
)
async def test_dpa_10_a_bad_notice_or_answer_gets_422_and_changes_nothing(
    parties: Parties, path: str, body: dict[str, Any], message: str
) -> None:
    agreement_id = await parties.signed()
    url = f"/agreements/{agreement_id}/privacy-notices"
    headers = parties.processor_admin()
    if path:
        notice = await _submit(parties, agreement_id)
        url, headers = f"{url}/{notice['id']}/answer", parties.controller_admin()
    before = await parties.platform.count("agreements", OutboxMessage)
    notices = await parties.platform.count("agreements", PrivacyNotice)
    response = await parties.client.post(url, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert message in response.text
    assert await parties.platform.count("agreements", OutboxMessage) == before
    assert await parties.platform.count("agreements", PrivacyNotice) == notices
    assert await parties.platform.count("agreements", Agreement) == 1
