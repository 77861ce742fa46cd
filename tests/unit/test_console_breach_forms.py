"""The console's breach forms, read without a browser: what a processor types becomes the API's
report only when nothing is left to correct, and each problem names its field (TOM-O4)."""

from datetime import UTC, datetime, timedelta

from services.console.breaches import forms

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
AGREEMENT = {"id": "a-1", "annex1": {"data_categories": [{"name": "Identificatiegegevens"}]}}


def same(message: str) -> str:
    return message


def report(**changes: object) -> dict[str, object]:
    return {
        "aware_at": "2026-12-07T09:30",  # Brussels: 08:30 UTC
        "nature": "A laptop was stolen",
        "category": ["identificatiegegevens "],
        "other_categories": "",
        "data_subject_categories": "citizens, staff",
        "approx_data_subjects": "1.200",
        "approx_records": "3 400",
        "consequences": "Possible identity fraud",
        "measures": "Disk encrypted; passwords reset",
        "contact_point": "dpo@ibeauty.example",
    } | changes


def problem_fields(reading: forms.Reading) -> list[str]:
    return [name for name, _ in reading.problems]


def test_a_complete_report_becomes_the_apis_body_under_the_agreements_it_touches__TOM_O4() -> None:
    reading, reached = forms.read_report(same, report(), [AGREEMENT], now=NOW)
    assert reading.problems == []
    assert reached == [AGREEMENT]
    assert reading.body["aware_at"] == "2026-12-07T08:30:00+00:00"
    assert reading.body["data_subject_categories"] == ["citizens", "staff"]
    assert (reading.body["approx_data_subjects"], reading.body["approx_records"]) == (1200, 3400)
    assert reading.body["agreement_ids"] == ["a-1"]


def test_each_missing_or_wrong_answer_is_named_and_nothing_is_sent() -> None:
    reading, _ = forms.read_report(
        same,
        report(
            aware_at="",
            nature="",
            data_subject_categories="",
            approx_records="about ten",
            contact_point="x" * 201,
        ),
        [AGREEMENT],
        now=NOW,
    )
    assert reading.body == {}
    assert problem_fields(reading) == [
        "aware_at",
        "nature",
        "contact_point",
        "data_subject_categories",
        "approx_records",
    ]


def test_a_moment_of_awareness_in_the_future_is_refused_but_a_fast_clock_is_not() -> None:
    later = (NOW + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    reading, _ = forms.read_report(same, report(aware_at=later), [AGREEMENT], now=NOW)
    assert problem_fields(reading) == ["aware_at"]
    almost = forms.read_report(same, report(aware_at="2026-12-07T11:00"), [AGREEMENT], now=NOW)
    assert almost[0].problems == []  # 10:00 UTC: the server's own minute


def test_categories_no_open_agreement_covers_are_refused_with_that_reason() -> None:
    reading, reached = forms.read_report(
        same, report(category=[], other_categories="health data"), [AGREEMENT], now=NOW
    )
    assert reached == []
    assert problem_fields(reading) == ["data_categories"]
    assert "None of your agreements" in reading.problems[0][1]


def test_a_phase_sends_only_what_was_filled_in_and_refuses_an_empty_one() -> None:
    phase = forms.read_phase(same, {"measures": " Backups restored ", "approx_records": "12"})
    assert phase.body == {"measures": "Backups restored", "approx_records": 12}
    empty = forms.read_phase(same, {"note": "nothing new"})
    assert (empty.body, problem_fields(empty)) == ({}, ["nature"])
    wrong = forms.read_phase(same, {"approx_data_subjects": "-4", "note": "\x00"})
    assert problem_fields(wrong) == ["approx_data_subjects", "note"]


def test_the_authority_decision_needs_a_moment_or_a_reason() -> None:
    notified = forms.read_authority_decision(
        same, {"decision": "notified", "notified_at": "2026-12-07T10:15"}, now=NOW
    )
    assert notified.body == {"notified_authority": True, "notified_at": "2026-12-07T09:15:00+00:00"}
    silent = forms.read_authority_decision(same, {"decision": "not_notified"}, now=NOW)
    assert (silent.body, problem_fields(silent)) == ({}, ["reason"])
    undecided = forms.read_authority_decision(same, {"decision": "maybe"}, now=NOW)
    assert problem_fields(undecided) == ["decision-notified"]
    reasoned = forms.read_authority_decision(
        same, {"decision": "not_notified", "reason": "Encrypted; no risk"}, now=NOW
    )
    assert reasoned.body == {"notified_authority": False, "reason": "Encrypted; no risk"}


def test_the_services_refusal_is_told_in_the_persons_words() -> None:
    told = forms.authority_problem(same, "notified more than 72 hours after; give a reason")
    assert told.startswith("You notified the authority more than 72 hours")
    assert forms.authority_problem(same, "odd") == "This could not be recorded: odd"
