"""The sign-in rules form (TOM-T2b, TOM-T2c, TOM-T5, ASVS 7.3.1), read and checked before
anything is sent: each field against identity's bounds, so that a mistake is shown next to its
field; identity checks the whole policy again and has the last word.

No I/O: ``gettext`` translates a message into the person's language, and the page sends what
``read_form`` accepts.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Gettext = Callable[[str], str]
Problems = list[tuple[str, str]]

MFA_CHOICES = ("none", "admins", "everyone")
MOST_LOCKS = 10  # durations in the lock schedule
LONGEST_LOCK = 1440  # minutes: one day


def form_values(policy: dict[str, Any]) -> dict[str, str]:
    """The policy as the form shows it."""
    after = policy.get("permanent_after")
    return {
        "min_length": str(policy["min_length"]),
        "password_history": str(policy["password_history"]),
        "mfa": str(policy["mfa"]),
        "lock_threshold": str(policy["lock_threshold"]),
        "lock_minutes": ", ".join(str(m) for m in policy["lock_minutes"]),
        "permanent_after": "" if after is None else str(after),
        "phishing_resistant_admins": "yes" if policy.get("phishing_resistant_admins") else "",
        "passwordless": "yes" if policy.get("passwordless") else "",
        "session_idle_minutes": str(policy.get("session_idle_minutes", 30)),
    }


@dataclass(frozen=True)
class Answer:
    """One rule as the form gave it: the value to send, or what to correct in which field."""

    name: str
    value: Any = None
    problem: tuple[str, str] | None = None


def read_form(gettext: Gettext, values: dict[str, str]) -> tuple[dict[str, Any], Problems]:
    """The changes to send, or the problems tied to their fields (in the form's order)."""
    answers = [
        _number(values, "min_length", 8, 64,
                gettext("Enter a minimum length from %(low)d to %(high)d characters.")),
        _number(values, "password_history", 0, 24, gettext(
            "Enter how many earlier passwords may not be used again, from %(low)d to %(high)d.")),
        _second_step(gettext, values["mfa"]),
        _number(values, "lock_threshold", 3, 100, gettext(
            "Enter after how many failed attempts an account locks, from %(low)d to %(high)d.")),
        _lock_schedule(gettext, values["lock_minutes"]),
        _permanent_lock(gettext, values),
        _number(values, "session_idle_minutes", 5, 1440, gettext(
            "Enter after how many minutes without use a sign-in ends, from %(low)d to %(high)d.")),
    ]  # fmt: skip
    changes = {answer.name: answer.value for answer in answers if answer.problem is None}
    for choice in ("phishing_resistant_admins", "passwordless"):  # checkboxes: absent is off
        changes[choice] = values.get(choice) == "yes"
    return changes, [answer.problem for answer in answers if answer.problem is not None]


def whole_number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 6 else None


def _number(values: dict[str, str], name: str, low: int, high: int, message: str) -> Answer:
    number = whole_number(values[name])
    if number is None or not low <= number <= high:
        return Answer(name, problem=(name, message % {"low": low, "high": high}))
    return Answer(name, number)


def _second_step(gettext: Gettext, mfa: str) -> Answer:
    if mfa in MFA_CHOICES:
        return Answer("mfa", mfa)
    return Answer("mfa", problem=("mfa-none", gettext("Choose who must use a second step.")))


def _lock_schedule(gettext: Gettext, text: str) -> Answer:
    """How long each lock in a row lasts, in minutes, none shorter than the one before."""
    parts = [part.strip() for part in text.replace(";", ",").split(",")]
    durations = [whole_number(part) for part in parts if part]
    if (
        not durations
        or len(durations) > MOST_LOCKS
        or any(d is None or not 1 <= d <= LONGEST_LOCK for d in durations)
    ):
        message = gettext(
            "Enter one to ten durations in minutes, separated by commas, "
            "each from 1 to 1440 (one day), for example 1, 5, 15, 60."
        )
        return Answer("lock_minutes", problem=("lock_minutes", message))
    if durations != sorted(durations):  # type: ignore[type-var]
        message = gettext("Each lock must last at least as long as the one before.")
        return Answer("lock_minutes", problem=("lock_minutes", message))
    return Answer("lock_minutes", durations)


def _permanent_lock(gettext: Gettext, values: dict[str, str]) -> Answer:
    """After how many locks in a row an account stays locked; empty: never."""
    if not values["permanent_after"].strip():
        return Answer("permanent_after", None)
    message = gettext(
        "Enter after how many locks in a row an account stays locked, from %(low)d to "
        "%(high)d, or leave it empty."
    )
    return _number(values, "permanent_after", 1, 50, message)


def refused_field(detail: str) -> str:
    """Which field identity's refusal is about (its words name the rule)."""
    detail = detail.lower()
    for words, name in (
        ("min_length", "min_length"),
        ("history", "password_history"),
        ("threshold", "lock_threshold"),
        ("duration", "lock_minutes"),
        ("lock_minutes", "lock_minutes"),
        ("permanent", "permanent_after"),
        ("session_idle", "session_idle_minutes"),
    ):
        if words in detail:
            return name
    return ""
