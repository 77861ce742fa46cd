"""The controller's side of art. 6 (DPA-18) over HTTP, on a real nats-server and database: its own
measures, its reviews of the processor's Annex 2 measures with their follow-up, the risk
assessment Annex 2 is matched to, and the notice when a processor measure's status changes."""

import io
import json
import uuid
import zipfile
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest

from services.agreements.closure import archive
from services.agreements.commitments.store import ControllerMeasure, MeasureReview, RiskAssessment
from shared.outbox import OutboxMessage
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually

RISKS = [
    {"description": "Bookings read by an outsider", "likelihood": "medium", "impact": "high",
     "measure_ids": ["TOM-T5", "TOM-T10"]},
    {"description": "Backups lost in a fire", "likelihood": "low", "impact": "medium",
     "measure_ids": []},
]  # fmt: skip


def _valid(path: str) -> dict[str, Any]:
    today = date.today().isoformat()
    bodies: dict[str, dict[str, Any]] = {
        "controller-measures": {"title": "Access review"},
        "measure-reviews": {
            "measure_id": "TOM-T5",
            "reviewed_on": today,
            "reviewer": "An Peeters",
            "finding": "In place",
        },
        "risk-assessments": {"risks": RISKS, "reviewed_on": today, "reviewed_by": "An Peeters"},
    }
    return bodies[path]


async def _supervise(parties: Parties, url: str) -> None:
    """The controller records one measure of its own, one review and one risk assessment."""
    for path in ("controller-measures", "measure-reviews", "risk-assessments"):
        posted = await parties.client.post(
            f"{url}/{path}", json=_valid(path), headers=parties.controller_admin()
        )
        assert posted.status_code == 201, posted.text


async def test_dpa_18_the_controller_records_its_own_measures_and_the_processor_reads_them(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/controller-measures"
    body = {"title": "Quarterly access review", "description": "Our DPO checks who has access"}
    recorded = await parties.client.post(url, json=body, headers=parties.controller_admin())
    assert recorded.status_code == 201, recorded.text
    by_processor = await parties.client.post(url, json=body, headers=parties.processor_admin())
    assert by_processor.status_code == 403
    listed = await parties.client.get(url, headers=parties.processor_admin())
    assert [m["title"] for m in listed.json()["items"]] == ["Quarterly access review"]
    [entry] = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.controller_measure.created.v1",
        )
    )
    assert "DPO checks" not in str(entry.data)


async def test_dpa_18_a_review_with_follow_up_reaches_the_processor_and_is_closed_once(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/measure-reviews"
    today = date.today()
    reviewed = await parties.client.post(
        url,
        json={
            "measure_id": "TOM-T5",
            "reviewed_on": (today - timedelta(days=1)).isoformat(),
            "reviewer": "An Peeters",
            "finding": "Lockout after 10 attempts, not 5 as stated",
            "follow_up": "Set the lockout to 5 attempts",
            "follow_up_due_on": (today + timedelta(days=14)).isoformat(),
        },
        headers=parties.controller_admin(),
    )
    assert reviewed.status_code == 201, reviewed.text
    review = reviewed.json()
    assert (review["closed_at"], review["follow_up"]) == (None, "Set the lockout to 5 attempts")
    [entry] = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.measure_review.reported.v1",
        )
    )
    assert "Peeters" not in str(entry.data) and "lockout" not in str(entry.data).lower()
    await eventually(
        partial(
            platform.receipts,
            organisation_id=parties.controller,
            event_type="dpa.agreements.measure_review.reported.v1",
        )
    )

    closure = f"{url}/{review['id']}/closure"
    by_processor = await parties.client.post(closure, json={}, headers=parties.processor_admin())
    assert by_processor.status_code == 403
    closed = await parties.client.post(
        closure, json={"note": "Lockout now 5"}, headers=parties.controller_admin()
    )
    assert (closed.status_code, closed.json()["closing_note"]) == (200, "Lockout now 5")
    again = await parties.client.post(closure, json={}, headers=parties.controller_admin())
    assert again.status_code == 409
    missing = await parties.client.post(
        f"{url}/{uuid.uuid4()}/closure", json={}, headers=parties.controller_admin()
    )
    assert missing.status_code == 404
    listed = await parties.client.get(url, headers=parties.processor_admin())
    assert [r["closed_at"] is not None for r in listed.json()["items"]] == [True]


async def test_dpa_18_a_risk_assessment_rates_each_risk_and_shows_what_no_measure_addresses(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/risk-assessments"
    none_yet = await parties.client.get(f"{url}/current", headers=parties.controller_admin())
    assert none_yet.status_code == 404
    body = {"risks": RISKS, "reviewed_on": date.today().isoformat(), "reviewed_by": "An Peeters"}
    first = await parties.client.post(url, json=body, headers=parties.processor_admin())
    assert first.status_code == 201, first.text
    assert [r["level"] for r in first.json()["risks"]] == ["high", "low"]
    assert first.json()["unaddressed"] == [2]
    addressed = [RISKS[0], RISKS[1] | {"measure_ids": ["TOM-O1"]}]
    second = await parties.client.post(
        url, json=body | {"risks": addressed}, headers=parties.controller_admin()
    )
    assert second.status_code == 201, second.text
    current = await parties.client.get(f"{url}/current", headers=parties.processor_admin())
    assert (current.json()["id"], current.json()["unaddressed"]) == (second.json()["id"], [])
    history = await parties.client.get(url, headers=parties.controller_admin())
    assert [a["id"] for a in history.json()["items"]] == [first.json()["id"], second.json()["id"]]


async def test_dpa_18_the_controller_is_told_when_a_processor_measure_status_changes(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/measures/TOM-T5"
    for status in ("implemented", "implemented", "partial"):
        stated = await parties.client.put(
            url, json={"status": status, "evidence": "lockout policy"},
            headers=parties.processor_admin(),
        )  # fmt: skip
        assert stated.status_code == 200, stated.text

    async def all_three() -> list[Any]:
        found = await platform.audit_entries(
            organisation_id=parties.controller, event_type="dpa.agreements.measure.updated.v1"
        )
        return found if len(found) == 3 else []

    entries = await eventually(all_three)
    assert sorted((e.data["previous_status"] or "", e.data["status"]) for e in entries) == [
        ("", "implemented"),
        ("implemented", "implemented"),
        ("implemented", "partial"),
    ]
    assert {e.data["controller_id"] for e in entries} == {parties.controller}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("controller-measures", {"title": ""}, "at least 1 character"),
        ("measure-reviews", {"measure_id": "TOM-X9"}, "not measures of Annex 2"),
        ("measure-reviews", {"reviewed_on": "2999-01-01"}, "in the future"),
        ("measure-reviews", {"follow_up": "Fix it"}, "together"),
        (
            "measure-reviews",
            {"follow_up": "Fix it", "follow_up_due_on": "2020-01-01"},
            "before the review",
        ),
        ("risk-assessments", {"risks": []}, "at least 1 item"),
        ("risk-assessments", {"risks": [RISKS[0] | {"likelihood": "certain"}]}, "low"),
        ("risk-assessments", {"risks": [RISKS[0] | {"measure_ids": ["X"]}]}, "not measures"),
    ],
)
async def test_dpa_18_bad_input_gets_422_and_changes_nothing(
    parties: Parties, path: str, body: dict[str, Any], message: str
) -> None:
    agreement_id = await parties.active()
    before = await parties.platform.count("agreements", OutboxMessage)
    response = await parties.client.post(
        f"/agreements/{agreement_id}/{path}",
        json=_valid(path) | body,
        headers=parties.controller_admin(),
    )
    assert response.status_code == 422, response.text
    assert message in response.text
    assert await parties.platform.count("agreements", OutboxMessage) == before
    for model in (ControllerMeasure, MeasureReview, RiskAssessment):
        assert await parties.platform.count("agreements", model) == 0


async def test_dpa_18_a_stranger_sees_none_of_it(parties: Parties) -> None:
    agreement_id = await parties.active()
    stranger = parties.platform.auth(str(uuid.uuid4()))
    for path in ("controller-measures", "measure-reviews", "risk-assessments"):
        url = f"/agreements/{agreement_id}/{path}"
        assert (await parties.client.get(url, headers=stranger)).status_code == 404
        posted = await parties.client.post(url, json=_valid(path), headers=stranger)
        assert posted.status_code == 404


async def test_dpa_11_dpa_18_the_compliance_report_carries_the_supervision_of_annex_2(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    await _supervise(parties, url)
    report = await parties.client.get(
        f"{url}/compliance-report", headers=parties.controller_admin()
    )
    section = report.json()["sections"]["supervision"]
    assert section["requirements"] == ["DPA-18"]
    records = section["records"]
    assert [m["title"] for m in records["controller_measures"]] == ["Access review"]
    assert [r["measure_id"] for r in records["measure_reviews"]] == ["TOM-T5"]
    assert records["risk_assessments"][0]["unaddressed"] == [2]
    assert "supervision" in report.json()["requirement_index"]["DPA-18"]


async def test_dpa_13_dpa_18_the_return_export_holds_the_supervision_of_annex_2(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    await _supervise(parties, url)
    terminated = await parties.client.post(
        f"{url}/termination", json={"reason": "end of contract"}, headers=parties.controller_admin()
    )
    assert terminated.status_code == 200, terminated.text
    exported = await parties.client.get(f"{url}/export", headers=parties.controller_admin())
    assert exported.status_code == 200, exported.text
    archive.check(exported.content)
    with zipfile.ZipFile(io.BytesIO(exported.content)) as opened:
        names = set(opened.namelist())
        own = json.loads(opened.read("controller_measures.json"))
        reviews = json.loads(opened.read("measure_reviews.json"))
        assessments = json.loads(opened.read("risk_assessments.json"))
    for record in ("controller_measures", "measure_reviews", "risk_assessments"):
        assert {f"{record}.json", f"{record}.csv"} <= names
    assert [m["title"] for m in own] == ["Access review"]
    assert [(r["measure_id"], r["finding"]) for r in reviews] == [("TOM-T5", "In place")]
    assert [len(a["risks"]) for a in assessments] == [2]
    assert [r["reviewer"] for r in reviews] == ["An Peeters"]

    closed = await parties.client.post(
        f"{url}/closure", json={"choice": "return"}, headers=parties.controller_admin()
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["statement"]["destroyed"]["supervision"] == 2
    for path in ("measure-reviews", "risk-assessments"):
        after = await parties.client.get(f"{url}/{path}", headers=parties.controller_admin())
        assert after.status_code == 200, after.text
        assert "An Peeters" not in after.text  # the names are destroyed, what was found stays
        assert "[destroyed]" in after.text
    reviews_after = await parties.client.get(
        f"{url}/measure-reviews", headers=parties.controller_admin()
    )
    assert [r["finding"] for r in reviews_after.json()["items"]] == ["In place"]
