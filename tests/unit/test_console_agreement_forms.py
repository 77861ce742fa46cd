"""The console's agreement forms, read without a browser: a draft and a subprocessor change become
the agreements API's body only when nothing is left to correct, each problem naming its field,
and the service's refusal of a draft is told next to the field it is about."""

from datetime import date

import pytest

from services.console.agreements import forms

TODAY = date(2026, 12, 7)
COUNTERPARTY = "5f0c6b9e-3c1a-4c47-9a57-2d6f1e0b8a11"


def same(message: str) -> str:
    return message


def draft(**changes: str) -> dict[str, str]:
    return {
        "title": "Payroll processing",
        "counterparty_id": COUNTERPARTY.upper(),
        "subject": "Payroll",
        "data_categories": "Identification data, 365\nSalary",
        "data_subject_categories": "Staff",
        "notice_days": "30",
        "breach_notice_hours": "48",
    } | changes


def change(**changes: str) -> dict[str, str]:
    return {
        "kind": "add",
        "name": "Mailer BV",
        "service": "Sends the payslips",
        "location": "Belgium",
        "transfer_mechanism": "None: within the EEA",
        "data_categories": "Identification data\nSalary",
        "effective_date": "2027-01-31",
    } | changes


def fields(reading: forms.Reading) -> list[str]:
    return [name for name, _ in reading.problems]


def test_a_complete_draft_becomes_the_apis_body_with_the_persons_own_side() -> None:
    reading = forms.read_draft(same, draft(), own_party="processor")
    assert reading.problems == []
    assert reading.body["party"] == "processor"
    assert reading.body["counterparty_id"] == COUNTERPARTY  # as the API writes it
    assert reading.body["annex1"]["data_categories"] == [
        {"name": "Identification data", "retention_days": 365},
        {"name": "Salary", "retention_days": None},
    ]
    assert reading.body["terms"]["closure_days"] is None  # the platform's period


def test_a_draft_may_leave_the_other_party_for_later_but_not_mistype_it() -> None:
    later = forms.read_draft(same, draft(counterparty_id=""), own_party="controller")
    assert "counterparty_id" not in later.body
    mistyped = forms.read_draft(same, draft(counterparty_id="KBO 0123"), own_party="controller")
    assert (mistyped.body, fields(mistyped)) == ({}, ["counterparty_id"])
    assert mistyped.values["counterparty_id"] == "KBO 0123"  # shown again as typed


def test_each_wrong_answer_of_a_draft_is_named_in_the_forms_order() -> None:
    reading = forms.read_draft(
        same,
        draft(
            title="",
            data_categories="Health, 40000",
            legal_basis="L" * 4001,  # asked for last in Annex 1, after the data categories
            notice_days="0",
            authorisation="x",
        ),
        own_party="controller",
    )
    assert fields(reading) == [
        "title",
        "data_categories",
        "legal_basis",
        "authorisation",
        "notice_days",
    ]


def test_data_kept_for_no_day_at_all_is_refused_before_the_service_sees_it() -> None:
    reading = forms.read_draft(same, draft(data_categories="Health, 0"), own_party="controller")
    assert reading.problems == [("data_categories", "Keep data at least 1 day.")]
    assert reading.values["data_categories"] == "Health, 0"


@pytest.mark.parametrize("days", ["-5", "3.5", "+30", ".5"])
def test_a_mistyped_number_of_days_is_refused_not_kept_as_part_of_the_name(days: str) -> None:
    reading = forms.read_draft(
        same, draft(data_categories=f"Health, {days}"), own_party="controller"
    )
    assert fields(reading) == ["data_categories"]
    assert "whole number of days" in reading.problems[0][1]
    named = forms.read_draft(same, draft(data_categories="Name, address"), own_party="controller")
    assert named.body["annex1"]["data_categories"] == [
        {"name": "Name, address", "retention_days": None}
    ]


def test_the_services_refusal_of_a_draft_is_told_next_to_its_field() -> None:
    assert forms.draft_refused(same, 422, "counterparty is not an organisation")[0] == (
        "counterparty_id"
    )
    assert forms.draft_refused(same, 403, "")[1].startswith("Only an administrator")
    assert forms.draft_refused(same, 422, "odd") == (
        "",
        "The agreement could not be drafted: odd",
    )


def test_a_complete_subprocessor_change_becomes_the_apis_body__DPA_5() -> None:
    reading = forms.read_subprocessor_change(same, change(), today=TODAY)
    assert reading.problems == []
    assert reading.body["data_categories"] == ["Identification data", "Salary"]
    assert "replaces_id" not in reading.body
    replacing = forms.read_subprocessor_change(
        same, change(kind="replace", replaces_id="s-1"), today=TODAY
    )
    assert replacing.body["replaces_id"] == "s-1"


def test_a_change_in_the_past_without_data_or_replacing_nobody_is_refused() -> None:
    reading = forms.read_subprocessor_change(
        same,
        change(name="", data_categories="", effective_date="2026-12-06", kind="replace"),
        today=TODAY,
    )
    assert reading.body == {}
    assert fields(reading) == ["name", "data_categories", "effective_date", "replaces_id"]
    assert reading.values["kind"] == "replace"
    badly = forms.read_subprocessor_change(
        same, change(effective_date="31/01/2027", kind="swap"), today=TODAY
    )
    assert fields(badly) == ["effective_date", "kind"]


def test_a_hundred_categories_longer_than_4000_characters_are_all_kept__DPA_1() -> None:
    # The form once cut every field at 4001 characters: the last categories were lost silently.
    typed = "\n".join(
        f"Category number {n:03d} of the payroll records, {n + 1}" for n in range(100)
    )
    assert len(typed) > 4000
    reading = forms.read_draft(same, draft(data_categories=typed), own_party="controller")
    assert reading.problems == []
    kept = reading.body["annex1"]["data_categories"]
    assert len(kept) == 100
    assert kept[-1] == {"name": "Category number 099 of the payroll records", "retention_days": 100}


def test_more_than_a_hundred_categories_are_refused_in_words_and_shown_again_whole() -> None:
    many = "\n".join(f"Category {n}" for n in range(101))
    reading = forms.read_draft(
        same,
        draft(data_categories=many, data_subject_categories=many),
        own_party="controller",
    )
    assert reading.problems == [
        ("data_categories", "List at most 100 categories."),
        ("data_subject_categories", "List at most 100 categories."),
    ]
    assert reading.values["data_categories"] == many
    changed = forms.read_subprocessor_change(same, change(data_categories=many), today=TODAY)
    assert changed.problems == [("data_categories", "List at most 100 categories.")]


def test_a_text_over_4000_characters_is_refused_and_shown_again_as_typed() -> None:
    typed = "What is processed, in detail. " * 150  # 4,500 characters
    reading = forms.read_draft(same, draft(subject=typed), own_party="controller")
    assert reading.problems == [("subject", "Keep this under 4000 characters.")]
    assert reading.values["subject"] == typed.strip()
