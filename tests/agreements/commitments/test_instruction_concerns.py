"""An instruction the processor believes infringes the GDPR is on hold until the controller
confirms, amends or withdraws it (DPA-14, art. 28(3) last subparagraph), over HTTP."""

import uuid
from functools import partial
from typing import Any

import pytest

from services.agreements.commitments.store import Instruction
from shared.outbox import OutboxMessage
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually

REASON = "Profiling citizens by appointment history has no legal basis (art. 6 GDPR)"


async def _instructed(parties: Parties, text: str = "Rank citizens by no-shows") -> str:
    agreement_id = await parties.active()
    issued = await parties.client.post(
        f"/agreements/{agreement_id}/instructions",
        json={"text": text},
        headers=parties.controller_admin(),
    )
    assert issued.status_code == 201, issued.text
    return f"/agreements/{agreement_id}/instructions/{issued.json()['id']}"


async def _flag(parties: Parties, url: str) -> dict[str, Any]:
    flagged = await parties.client.post(
        f"{url}/concern", json={"reason": REASON}, headers=parties.processor_admin()
    )
    assert flagged.status_code == 200, flagged.text
    body: dict[str, Any] = flagged.json()
    return body


async def test_a_flagged_instruction_is_on_hold_until_the_controller_confirms_it__DPA_14(
    parties: Parties, platform: Platform
) -> None:
    url = await _instructed(parties)
    flagged = await _flag(parties, url)
    assert (flagged["standing"], flagged["concern"]) == ("on_hold", REASON)
    again = await parties.client.post(
        f"{url}/concern", json={"reason": "still"}, headers=parties.processor_admin()
    )
    assert again.status_code == 409

    confirmed = await parties.client.post(
        f"{url}/concern-answer",
        json={"outcome": "confirmed", "note": "Legal says art. 6(1)(e) covers it"},
        headers=parties.controller_admin(),
    )
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert (body["standing"], body["concern_answer"]) == ("in_effect", "confirmed")
    answered_twice = await parties.client.post(
        f"{url}/concern-answer", json={"outcome": "withdrawn"}, headers=parties.controller_admin()
    )
    assert answered_twice.status_code == 409

    for verb, organisation in (("reported", parties.controller), ("closed", parties.controller)):
        [entry] = await eventually(
            partial(
                platform.audit_entries,
                organisation_id=organisation,
                event_type=f"dpa.agreements.instruction_concern.{verb}.v1",
            )
        )
        assert REASON not in str(entry.data)  # the reason stays in the agreement's records
    # both parties are told: the controller of the concern, the processor of the answer
    await eventually(
        partial(
            platform.receipts,
            organisation_id=parties.controller,
            event_type="dpa.agreements.instruction_concern.reported.v1",
        )
    )


async def test_amending_a_flagged_instruction_replaces_it_and_withdrawing_ends_it__DPA_14(
    parties: Parties,
) -> None:
    url = await _instructed(parties)
    await _flag(parties, url)
    amended = await parties.client.post(
        f"{url}/concern-answer",
        json={"outcome": "amended", "text": "Count no-shows per month, without names"},
        headers=parties.controller_admin(),
    )
    assert amended.json()["standing"] == "withdrawn"
    listed = await parties.client.get(url.rsplit("/", 1)[0], headers=parties.processor_admin())
    old, new = listed.json()["items"]
    assert (old["standing"], old["concern_answer"]) == ("withdrawn", "amended")
    assert (new["supersedes_id"], new["standing"]) == (old["id"], "in_effect")
    assert new["text"] == "Count no-shows per month, without names"

    new_url = f"{url.rsplit('/', 1)[0]}/{new['id']}"
    await _flag(parties, new_url)
    withdrawn = await parties.client.post(
        f"{new_url}/concern-answer",
        json={"outcome": "withdrawn"},
        headers=parties.controller_admin(),
    )
    assert withdrawn.json()["standing"] == "withdrawn"
    late_flag = await parties.client.post(
        f"{new_url}/concern", json={"reason": REASON}, headers=parties.processor_admin()
    )
    assert late_flag.status_code == 409


async def test_only_the_processor_flags_and_only_the_controller_answers__DPA_14(
    parties: Parties,
) -> None:
    url = await _instructed(parties)
    by_controller = await parties.client.post(
        f"{url}/concern", json={"reason": REASON}, headers=parties.controller_admin()
    )
    assert by_controller.status_code == 403
    unflagged = await parties.client.post(
        f"{url}/concern-answer", json={"outcome": "confirmed"}, headers=parties.controller_admin()
    )
    assert unflagged.status_code == 409
    await _flag(parties, url)
    by_processor = await parties.client.post(
        f"{url}/concern-answer", json={"outcome": "confirmed"}, headers=parties.processor_admin()
    )
    assert by_processor.status_code == 403
    stranger = await parties.client.post(
        f"{url}/concern", json={"reason": REASON}, headers=parties.platform.auth(str(uuid.uuid4()))
    )
    assert stranger.status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("concern", {"reason": ""}, "at least 1 character"),
        ("concern", {}, "Field required"),
        ("concern-answer", {"outcome": "ignored"}, "confirmed"),
        ("concern-answer", {"outcome": "amended"}, "new instruction's text"),
        ("concern-answer", {"outcome": "confirmed", "text": "x"}, "only an amendment"),
    ],
)
async def test_a_bad_concern_or_answer_gets_422_and_changes_nothing__DPA_14(
    parties: Parties, path: str, body: dict[str, Any], message: str
) -> None:
    url = await _instructed(parties)
    if path == "concern-answer":
        await _flag(parties, url)
    headers = parties.processor_admin() if path == "concern" else parties.controller_admin()
    before = await parties.platform.count("agreements", OutboxMessage)
    response = await parties.client.post(f"{url}/{path}", json=body, headers=headers)
    assert response.status_code == 422
    assert message in response.text
    assert await parties.platform.count("agreements", OutboxMessage) == before
    assert await parties.platform.count("agreements", Instruction) == 1
