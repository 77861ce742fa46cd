"""The sign-in rules form, read without a browser: each rule is checked against identity's bounds
and a mistake is named by its field, so nothing is sent until every rule is right (TOM-T2b,
TOM-T5)."""

from services.console.organisation.policy_form import form_values, read_form, refused_field

POLICY = {
    "min_length": 12,
    "password_history": 5,
    "mfa": "admins",
    "lock_threshold": 5,
    "lock_minutes": [1, 5, 15],
    "permanent_after": None,
    "phishing_resistant_admins": True,
    "passwordless": False,
    "session_idle_minutes": 30,
}


def same(message: str) -> str:
    return message


def test_the_policy_shown_on_the_form_reads_back_as_the_same_policy() -> None:
    changes, problems = read_form(same, form_values(POLICY))
    assert problems == []
    assert changes == POLICY


def test_each_rule_out_of_bounds_is_named_by_its_field_in_the_forms_order() -> None:
    values = form_values(POLICY) | {
        "min_length": "7",
        "mfa": "sometimes",
        "lock_minutes": "15, 5",
        "permanent_after": "51",
        "session_idle_minutes": "ten",
    }
    changes, problems = read_form(same, values)
    assert [field for field, _ in problems] == [
        "min_length",
        "mfa-none",
        "lock_minutes",
        "permanent_after",
        "session_idle_minutes",
    ]
    assert problems[0][1] == "Enter a minimum length from 8 to 64 characters."
    assert problems[2][1] == "Each lock must last at least as long as the one before."
    assert "min_length" not in changes


def test_a_lock_schedule_takes_up_to_ten_durations_of_at_most_a_day() -> None:
    def lock_problem(schedule: str) -> list[str]:
        _, problems = read_form(same, form_values(POLICY) | {"lock_minutes": schedule})
        return [field for field, _ in problems]

    assert lock_problem("1; 5, 60 ,1440") == []
    assert lock_problem(", ".join(["1"] * 11)) == ["lock_minutes"]
    assert lock_problem("1, 1441") == ["lock_minutes"]
    assert lock_problem("") == ["lock_minutes"]


def test_an_empty_permanent_lock_means_never_and_absent_checkboxes_are_off() -> None:
    values = form_values(POLICY) | {"permanent_after": " ", "phishing_resistant_admins": ""}
    changes, _ = read_form(same, values)
    assert changes["permanent_after"] is None
    assert changes["phishing_resistant_admins"] is False


def test_identitys_refusal_is_shown_next_to_the_rule_it_names() -> None:
    assert refused_field("lock_minutes must not decrease") == "lock_minutes"
    assert refused_field("Password HISTORY too long") == "password_history"
    assert refused_field("something else") == ""
