"""The breach forms, read and checked before anything is sent: the processor's report (art. 33(3)
GDPR), a further phase (art. 33(4)), and the controller's decision about its supervisory
authority (art. 33(1)).

Each reader returns the body for the agreements API (empty while there is something to correct),
the values to show again, and what to correct as ``(field, message)`` pairs. ``gettext``
translates a message into the person's language. No I/O: the pages send what these accept.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.console.language import brussels_moment

Gettext = Callable[[str], str]
Problems = list[tuple[str, str]]

# A breach is reported on an agreement until return or destruction is certified (it is closed).
HOLDING_DATA = ("signed", "active", "terminated")
SHORT_TEXT = 200  # the API's limit for the report's free-text fields
LONG_TEXT = 4000
REPORT_TEXTS = ("nature", "consequences", "measures", "contact_point")
PHASE_FIELDS = ("nature", "approx_data_subjects", "approx_records", "consequences", "measures")
MOST = {"approx_data_subjects": 1_000_000_000, "approx_records": 2_000_000_000}
FUTURE_MARGIN = timedelta(minutes=1)  # a clock slightly ahead of the server's is not the future


def _(message: str) -> str:
    """Marks a message for the catalogue; translated when the page is rendered."""
    return message


FIELD_NAMES = {
    "nature": _("What happened"),
    "data_categories": _("Data categories concerned"),
    "data_subject_categories": _("Categories of people concerned"),
    "approx_data_subjects": _("Approximate number of people concerned"),
    "approx_records": _("Approximate number of records concerned"),
    "consequences": _("Likely consequences"),
    "measures": _("Measures taken or proposed"),
    "contact_point": _("Contact point for more information"),
    "aware_at": _("When you became aware of it"),
}


@dataclass
class Reading:
    """What one form said: the API body once nothing is left to correct."""

    body: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    problems: Problems = field(default_factory=list)


# -- what the report's words mean ----------------------------------------------------------------


def lines(value: str) -> list[str]:
    """The distinct entries of a list typed one per line (or separated by commas)."""
    seen: dict[str, None] = {}
    for line in value.replace(",", "\n").splitlines():
        if line.strip():
            seen.setdefault(" ".join(line.split()), None)
    return list(seen)


def _normal(category: str) -> str:
    return " ".join(category.lower().split())


def categories_of(agreement: dict[str, Any]) -> list[str]:
    """The data categories of an agreement's Annex 1."""
    return [
        str(c.get("name", "")) for c in (agreement.get("annex1") or {}).get("data_categories") or []
    ]


def affected(agreements: list[dict[str, Any]], categories: list[str]) -> list[dict[str, Any]]:
    """The agreements not closed whose Annex 1 data categories the breach touches, as the agreements
    service derives them (case- and space-insensitive)."""
    wanted = {_normal(c) for c in categories}
    return [a for a in agreements if wanted & {_normal(c) for c in categories_of(a)}]


def count(value: str, most: int) -> int | None:
    """A whole number as people type it ("1 200", "1.200"), or None if it is not one."""
    text = value.strip().replace(" ", "").replace(".", "")
    if not text.isdigit():
        return None
    number = int(text)
    return number if number <= most else None


# -- the processor's report ----------------------------------------------------------------------


def read_report(
    gettext: Gettext, form: dict[str, Any], agreements: list[dict[str, Any]], *, now: datetime
) -> tuple[Reading, list[dict[str, Any]]]:
    """The report from the form, and the agreements it will be sent under."""
    values = {k: str(form.get(k, "") or "") for k in (*FIELD_NAMES, "other_categories")}
    chosen = [str(c) for c in form.get("category", [])]
    categories = list(dict.fromkeys([*chosen, *lines(values["other_categories"])]))
    values["data_categories"] = "\n".join(categories)
    subjects = lines(values["data_subject_categories"])
    aware_at = brussels_moment(values["aware_at"])
    people = count(values["approx_data_subjects"], MOST["approx_data_subjects"])
    records = count(values["approx_records"], MOST["approx_records"])
    reached = affected(agreements, categories) if categories else []
    problems = [
        *_awareness_problems(gettext, aware_at, now=now),
        *_text_problems(gettext, values, REPORT_TEXTS, required=True),
        *_category_problems(gettext, categories, subjects),
        *_number_problems(gettext, people=people, records=records),
    ]
    if categories and not reached and not any(p[0] == "data_categories" for p in problems):
        problems.append(
            (
                "data_categories",
                gettext(
                    "None of your agreements that are not closed covers these data categories. Choose the categories as your agreements name them.",  # noqa: E501
                ),
            )
        )
    reading = Reading(values=values | {"chosen": chosen}, problems=problems)
    if not problems and aware_at is not None:
        reading.body = {
            "aware_at": aware_at.isoformat(),
            **{name: values[name].strip() for name in ("nature", "consequences", "measures")},
            "data_categories": categories,
            "data_subject_categories": subjects,
            "approx_data_subjects": people,
            "approx_records": records,
            "contact_point": values["contact_point"].strip(),
            "agreement_ids": [str(a["id"]) for a in reached],
        }
    return reading, reached


def _awareness_problems(gettext: Gettext, aware_at: datetime | None, *, now: datetime) -> Problems:
    if aware_at is None:
        return [("aware_at", gettext("Enter the date and time you became aware of the breach."))]
    if aware_at > now + FUTURE_MARGIN:
        return [("aware_at", gettext("The moment you became aware cannot be in the future."))]
    return []


def _text_problems(
    gettext: Gettext, values: dict[str, str], names: Iterable[str], *, required: bool
) -> Problems:
    problems = []
    for name in names:
        value = values.get(name, "").strip()
        if required and not value:
            problems.append(
                (
                    name,
                    gettext("Fill in this field: %(field)s.")
                    % {"field": gettext(FIELD_NAMES[name])},
                )
            )
        elif len(value) > SHORT_TEXT or "\x00" in value:
            problems.append(
                (
                    name,
                    gettext(
                        "Keep this to 200 characters at most; give details in a later phase or to the contact point.",  # noqa: E501
                    ),
                )
            )
    return problems


def _category_problems(gettext: Gettext, categories: list[str], subjects: list[str]) -> Problems:
    problems = []
    if not categories:
        problems.append(("data_categories", gettext("Choose or enter at least one data category.")))
    elif any(len(c) > SHORT_TEXT for c in categories) or len(categories) > 100:
        problems.append(
            ("data_categories", gettext("Each data category can be 200 characters at most."))
        )
    if not subjects:
        problems.append(
            (
                "data_subject_categories",
                gettext("Enter at least one category of people concerned, like citizens or staff."),
            )
        )
    elif any(len(c) > SHORT_TEXT for c in subjects) or len(subjects) > 100:
        problems.append(
            ("data_subject_categories", gettext("Each category can be 200 characters at most."))
        )
    return problems


def _number_problems(gettext: Gettext, *, people: int | None, records: int | None) -> Problems:
    problems = []
    if people is None:
        problems.append(
            (
                "approx_data_subjects",
                gettext("Enter the approximate number of people as a whole number, 0 if none."),
            )
        )
    if records is None:
        problems.append(
            (
                "approx_records",
                gettext("Enter the approximate number of records as a whole number, 0 if none."),
            )
        )
    return problems


# -- a further phase ----------------------------------------------------------------------------


def read_phase(gettext: Gettext, form: Any) -> Reading:
    """A phase completes the report: only the fields filled in change."""
    values = {k: str(form.get(k, "") or "") for k in (*PHASE_FIELDS, "contact_point", "note")}
    problems = _text_problems(gettext, values, REPORT_TEXTS, required=False)
    body: dict[str, Any] = {
        name: values[name].strip() for name in REPORT_TEXTS if values[name].strip()
    }
    for name, most in MOST.items():
        if values[name].strip():
            number = count(values[name], most)
            if number is None:
                problems.append(
                    (
                        name,
                        gettext(
                            "Enter a whole number, or leave this empty to keep the earlier one."
                        ),
                    )
                )
            else:
                body[name] = number
    note = values["note"].strip()
    if len(note) > LONG_TEXT or "\x00" in note:
        problems.append(("note", gettext("Keep the note to 4000 characters at most.")))
    if not body and not problems:
        problems.append(
            ("nature", gettext("Fill in at least one field that changes or completes the report."))
        )
    if note:
        body["note"] = note
    return Reading(body={} if problems else body, values=values, problems=problems)


# -- the controller's decision about the supervisory authority -----------------------------------


def read_authority_decision(gettext: Gettext, form: Any, *, now: datetime) -> Reading:
    """Whether and when the controller notified its authority, with the reason where it did not,
    or did so after 72 hours (the agreements service judges the 72 hours)."""
    values = {k: str(form.get(k, "") or "") for k in ("decision", "notified_at", "reason")}
    reason = values["reason"].strip()
    problems: Problems = []
    body: dict[str, Any] = {}
    if len(reason) > LONG_TEXT or "\x00" in reason:
        problems.append(("reason", gettext("Keep the reason to 4000 characters at most.")))
    if values["decision"] == "notified":
        moment = brussels_moment(values["notified_at"])
        if moment is None:
            problems.append(
                ("notified_at", gettext("Enter the date and time you notified the authority."))
            )
        elif moment > now + FUTURE_MARGIN:
            problems.append(
                (
                    "notified_at",
                    gettext("The moment you notified the authority cannot be in the future."),
                )
            )
        else:
            body = {"notified_authority": True, "notified_at": moment.isoformat()}
    elif values["decision"] == "not_notified":
        if not reason:
            problems.append(
                (
                    "reason",
                    gettext(
                        "Say why you do not notify the authority (for example: the breach is unlikely to result in a risk to people).",  # noqa: E501
                    ),
                )
            )
        body = {"notified_authority": False}
    else:
        problems.append(
            ("decision-notified", gettext("Choose whether you notified the authority."))
        )
    if reason:
        body["reason"] = reason
    return Reading(body={} if problems else body, values=values, problems=problems)


def authority_problem(gettext: Gettext, detail: str) -> str:
    """The agreements service's refusal of a decision, in the person's words."""
    if "72 hours" in detail:
        return gettext(
            "You notified the authority more than 72 hours after you were told: say why."
        )
    if "before the breach" in detail:
        return gettext("That moment lies before the processor became aware of the breach.")
    if "future" in detail:
        return gettext("The moment you notified the authority cannot be in the future.")
    return gettext("This could not be recorded: %(reason)s") % {"reason": detail}
