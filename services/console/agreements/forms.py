"""The agreement forms, read and checked before anything is sent: Annex 1 and the terms, the draft
of a new agreement, and the processor's announcement of a subprocessor change (DPA-5).

A reader returns the body for the agreements API (empty while there is something to correct),
the values to show again, and what to correct as ``(field, message)`` pairs. ``gettext``
translates a message into the person's language. No I/O: the pages send what these accept.
"""

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

Gettext = Callable[[str], str]
Problems = list[tuple[str, str]]
Form = Mapping[str, Any]  # a posted form: text fields are strings, files are not

LONG_TEXT = 4000
SHORT_TEXT = 200
LONGEST_RETENTION_DAYS = 36500  # a hundred years
MOST_CATEGORIES = 100  # of personal data, or of data subjects, as the agreements API takes
# After a category's last comma: meant as its days when it looks like a number at all.
LOOKS_LIKE_A_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)")
CHANGE_KINDS = ("add", "replace")


def _(message: str) -> str:
    """Marks a message for the catalogue; translated when the form is read."""
    return message


@dataclass
class Reading:
    """What one form said: the API body once nothing is left to correct."""

    body: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    problems: Problems = field(default_factory=list)


def text(form: Form, name: str) -> str:
    """A text field, trimmed, whole: the console's body limit bounds what arrives, the checks
    compare lengths, and a form shown again holds everything that was typed (a value cut here
    lost the end of a long text, and a long list of categories its last ones, silently)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace("\r", "").split("\n") if line.strip()]


def required(
    gettext: Gettext, form: Form, name: str, message: str, problems: Problems, limit: int = 200
) -> str:
    """A field that must be filled in (``message`` says with what), within ``limit``."""
    value = text(form, name)
    if not value:
        problems.append((name, gettext(message)))
    elif len(value) > limit:
        problems.append((name, gettext("Keep this under %(num)d characters.") % {"num": limit}))
    return value


# -- Annex 1 and the terms ------------------------------------------------------------------------


def read_annex1(
    gettext: Gettext, form: Form, problems: Problems
) -> tuple[dict[str, Any], dict[str, str]]:
    """Annex 1 from the form, and the values to show again; problems appended to ``problems``."""
    values = {
        name: text(form, name)
        for name in (
            "subject",
            "duration",
            "nature",
            "purpose",
            "legal_basis",
            "data_categories",
            "data_subject_categories",
        )
    }
    for name in ("subject", "duration", "nature", "purpose"):
        if len(values[name]) > LONG_TEXT:
            problems.append((name, gettext("Keep this under 4000 characters.")))
    categories = _kept_categories(gettext, values["data_categories"], problems)
    subjects = lines(values["data_subject_categories"])
    if len(subjects) > MOST_CATEGORIES:
        problems.append(("data_subject_categories", gettext("List at most 100 categories.")))
    elif any(len(subject) > SHORT_TEXT for subject in subjects):
        problems.append(("data_subject_categories", gettext("A category name is too long.")))
    if len(values["legal_basis"]) > LONG_TEXT:  # last: the form asks for it last
        problems.append(("legal_basis", gettext("Keep this under 4000 characters.")))
    annex1 = {
        "subject": values["subject"],
        "duration": values["duration"],
        "nature": values["nature"],
        "purpose": values["purpose"],
        "legal_basis": values["legal_basis"],
        "data_categories": categories,
        "data_subject_categories": subjects,
    }
    return annex1, values


def _kept_categories(gettext: Gettext, typed: str, problems: Problems) -> list[dict[str, Any]]:
    """The data categories, one a line: a name, and after a comma how many days it is kept."""
    typed_lines = lines(typed)
    if len(typed_lines) > MOST_CATEGORIES:  # the agreements API refuses more, in its own words
        problems.append(("data_categories", gettext("List at most 100 categories.")))
        return []
    categories = []
    for line in typed_lines:
        name, _comma, days = line.rpartition(",")
        days = days.strip()
        if name and LOOKS_LIKE_A_NUMBER.fullmatch(days) and not days.isdigit():
            # "-5" or "3.5" is a mistyped number of days, not part of the category's name.
            whole_days = gettext(
                "Write how long it is kept as a whole number of days, such as 365."
            )
            problems.append(("data_categories", whole_days))
            break
        if not name or not days.isdigit():
            name, days = line, ""
        name = name.strip()
        if len(name) > SHORT_TEXT:
            problems.append(("data_categories", gettext("A category name is too long.")))
            break
        retention = int(days) if days else None
        if retention is not None and retention > LONGEST_RETENTION_DAYS:
            problems.append(("data_categories", gettext("Keep data at most 100 years.")))
            break
        if retention == 0:  # the agreements API refuses it, in words no person reads
            problems.append(("data_categories", gettext("Keep data at least 1 day.")))
            break
        categories.append({"name": name, "retention_days": retention})
    return categories


def read_terms(
    gettext: Gettext, form: Form, problems: Problems
) -> tuple[dict[str, Any], dict[str, str]]:
    values = {
        "authorisation": text(form, "authorisation") or "general",
        "notice_days": text(form, "notice_days") or "30",
        "breach_notice_hours": text(form, "breach_notice_hours") or "48",
        "silence_is_acceptance": "yes" if text(form, "silence_is_acceptance") else "",
        "closure_days": text(form, "closure_days"),
    }
    terms: dict[str, Any] = {"silence_is_acceptance": bool(values["silence_is_acceptance"])}
    if values["authorisation"] not in ("general", "specific"):
        problems.append(("authorisation", gettext("Choose general or specific authorisation.")))
    terms["authorisation"] = values["authorisation"]
    bounds = (("notice_days", 1, 365), ("breach_notice_hours", 1, 72), ("closure_days", 1, 365))
    for name, low, high in bounds:
        raw = values[name]
        if name == "closure_days" and not raw:
            terms[name] = None  # the platform's period
        elif not raw.isdigit() or not low <= int(raw) <= high:
            message = gettext("Enter a whole number from %(low)d to %(high)d.")
            problems.append((name, message % {"low": low, "high": high}))
            terms[name] = low
        else:
            terms[name] = int(raw)
    return terms, values


# -- drafting an agreement ------------------------------------------------------------------------


def read_draft(gettext: Gettext, form: Form, *, own_party: str) -> Reading:
    """A new agreement with the person's organisation as ``own_party``: its title, the other
    party's organisation number (it may be left for later), Annex 1 and the terms."""
    problems: Problems = []
    title = text(form, "title")
    if not title:
        problems.append(("title", gettext("Enter a title for the agreement.")))
    elif len(title) > 200:
        problems.append(("title", gettext("Keep the title under 200 characters.")))
    counterparty = text(form, "counterparty_id")
    if counterparty:
        number = _organisation_number(counterparty)
        if number is None:
            message = gettext(
                "This is not an organisation number: copy it as the other party gives it."
            )
            problems.append(("counterparty_id", message))
        else:
            counterparty = number
    annex1, annex_shown = read_annex1(gettext, form, problems)
    terms, terms_shown = read_terms(gettext, form, problems)
    values = {"title": title, "counterparty_id": counterparty} | annex_shown | terms_shown
    body = {"title": title, "party": own_party, "annex1": annex1, "terms": terms}
    if counterparty:
        body["counterparty_id"] = counterparty
    return Reading(body={} if problems else body, values=values, problems=problems)


def _organisation_number(typed: str) -> str | None:
    try:
        return str(uuid.UUID(typed))
    except ValueError:
        return None


def draft_refused(gettext: Gettext, status: int, detail: str) -> tuple[str, str]:
    """The agreements service's refusal of a draft, in the person's words, next to its field."""
    if status == 403:
        return ("", gettext("Only an administrator of your organisation can draft an agreement."))
    if status == 409:
        return ("", gettext("pactum does not know your organisation yet. Try again in a minute."))
    if "counterparty" in detail:
        message = gettext("No organisation with this number can be the other party. Check it.")
        return ("counterparty_id", message)
    return ("", gettext("The agreement could not be drafted: %(reason)s") % {"reason": detail})


# -- announcing a subprocessor change (DPA-5) -----------------------------------------------------


def read_subprocessor_change(gettext: Gettext, form: Form, *, today: date) -> Reading:
    """A subprocessor the processor adds, or puts in another's place: who it is, what it does and
    where, how a transfer is protected, which data it gets, and from when (not before ``today``)."""
    problems: Problems = []
    kind = text(form, "kind") or "add"
    replaces = text(form, "replaces_id")
    name = required(gettext, form, "name", _("Enter the subprocessor's name."), problems)
    service = required(
        gettext, form, "service", _("Say what the subprocessor does for you."), problems
    )
    location = required(
        gettext, form, "location", _("Say where the data will be processed."), problems
    )
    protection = _("Say how a transfer is protected (or that there is none).")
    transfer = required(gettext, form, "transfer_mechanism", protection, problems)
    categories_text = text(form, "data_categories")
    categories = lines(categories_text)
    problems += _categories_problems(gettext, categories)
    effective = text(form, "effective_date")
    problems += _effective_date_problems(gettext, effective, today=today)
    problems += _kind_problems(gettext, kind, replaces)
    values = {"kind": kind, "replaces_id": replaces, "name": name, "service": service,
              "location": location, "transfer_mechanism": transfer,
              "data_categories": categories_text, "effective_date": effective}  # fmt: skip
    body: dict[str, Any] = {"kind": kind, "name": name, "service": service, "location": location,
                            "transfer_mechanism": transfer, "data_categories": categories,
                            "effective_date": effective}  # fmt: skip
    if kind == "replace":
        body["replaces_id"] = replaces
    return Reading(body={} if problems else body, values=values, problems=problems)


def _categories_problems(gettext: Gettext, categories: list[str]) -> Problems:
    if not categories:
        return [("data_categories", gettext("Name at least one category of personal data."))]
    if len(categories) > MOST_CATEGORIES:
        return [("data_categories", gettext("List at most 100 categories."))]
    if any(len(c) > SHORT_TEXT for c in categories):
        return [("data_categories", gettext("A category name is too long."))]
    return []


def _effective_date_problems(gettext: Gettext, effective: str, *, today: date) -> Problems:
    try:
        effective_date = date.fromisoformat(effective)
    except ValueError:
        return [("effective_date", gettext("Enter a date like 2027-01-31."))]
    if effective_date < today:
        return [("effective_date", gettext("The date cannot lie in the past."))]
    return []


def _kind_problems(gettext: Gettext, kind: str, replaces: str) -> Problems:
    if kind not in CHANGE_KINDS:
        return [("kind", gettext("Choose whether this adds or replaces a subprocessor."))]
    if kind == "replace" and not replaces:
        return [("replaces_id", gettext("Choose the subprocessor this one replaces."))]
    return []
