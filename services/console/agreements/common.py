"""What every agreements page shares: the agreement as its person sees it, and Annex 1 on a form.

Everything comes from the agreements service's public API with the person's own token: a page
about an agreement the person's organisation is no party to is the 404 page (the API answers
404, which the console turns into its page not found).
"""

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from services.console.sessions import Person
from services.console.web import NotYours, apis_of, t


def _(message: str) -> str:
    """Marks a message for the catalogue; the page translates it when it shows it."""
    return message


TABS = (
    ("", _("Overview")),
    ("/annexes", _("Annexes")),
    ("/supervision", _("Supervision")),
    ("/versions", _("Versions")),
    ("/instructions", _("Instructions")),
    ("/privacy-notice", _("Privacy notice")),
    ("/subject-requests", _("Data subjects' requests")),
    ("/assistance", _("Help asked")),
    ("/subprocessors", _("Subprocessors")),
    ("/breaches", _("Breaches")),
    ("/staff", _("Staff with access")),
    ("/disclosures", _("Disclosures")),
    ("/end", _("End of the agreement")),
    ("/evidence-pack", _("Evidence pack")),
)
MEASURE_STATUSES = ("planned", "partial", "implemented", "not_applicable")
LONG_TEXT = 4000
SHORT_TEXT = 200


def checked_id(value: str) -> str:
    """An id from the address bar: a UUID, or the page does not exist."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotYours from None


async def agreements_api(
    request: Request, person: Person, method: str, path: str, **kw: Any
) -> Any:
    return await apis_of(request).json("agreements", method, path, token=person.access_token, **kw)


async def every_of(request: Request, person: Person, path: str) -> list[Any]:
    """Every item of one of the agreements service's lists, all its pages."""
    return await apis_of(request).every("agreements", path, token=person.access_token)


@dataclass(frozen=True)
class Seen:
    """An agreement with the person's side of it."""

    agreement: dict[str, Any]
    party: str  # controller | processor

    @property
    def id(self) -> str:
        return str(self.agreement["id"])


def seen(agreement: dict[str, Any], person: Person) -> Seen:
    if str(agreement.get("processor_id")) == person.organisation_id:
        return Seen(agreement, "processor")
    return Seen(agreement, "controller")


async def load(request: Request, person: Person, agreement_id: str) -> Seen:
    found = await agreements_api(request, person, "GET", f"/agreements/{checked_id(agreement_id)}")
    return seen(found, person)


def page_context(person: Person, shown: Seen, tab: str) -> dict[str, Any]:
    """What the agreement's header and tabs need."""
    is_admin = person.is_admin
    return {
        "agreement": shown.agreement,
        "party": shown.party,
        "tab": tab,
        "tabs": TABS,
        "base": f"/agreements/{shown.id}",
        "processor_admin": is_admin and shown.party == "processor",
        "controller_admin": is_admin and shown.party == "controller",
    }


# -- Annex 1 and the terms on a form ---------------------------------------------------------


def text(form: FormData, name: str, limit: int = SHORT_TEXT) -> str:
    value = form.get(name)
    return value.strip()[: limit + 1] if isinstance(value, str) else ""


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace("\r", "").split("\n") if line.strip()]


def annex1_values(annex1: dict[str, Any]) -> dict[str, str]:
    """Annex 1 as the form shows it (one category a line: name, days)."""
    categories = []
    for category in annex1.get("data_categories") or []:
        days = category.get("retention_days")
        categories.append(f"{category['name']}, {days}" if days is not None else category["name"])
    return {
        "subject": annex1.get("subject") or "",
        "duration": annex1.get("duration") or "",
        "nature": annex1.get("nature") or "",
        "purpose": annex1.get("purpose") or "",
        "legal_basis": annex1.get("legal_basis") or "",
        "data_categories": "\n".join(categories),
        "data_subject_categories": "\n".join(annex1.get("data_subject_categories") or []),
    }


def terms_values(terms: dict[str, Any]) -> dict[str, str]:
    return {
        "authorisation": str(terms.get("authorisation") or "general"),
        "notice_days": str(terms.get("notice_days", 30)),
        "breach_notice_hours": str(terms.get("breach_notice_hours", 48)),
        "silence_is_acceptance": "yes" if terms.get("silence_is_acceptance") else "",
        "closure_days": str(terms.get("closure_days") or ""),
    }


def read_annex1(
    request: Request, form: FormData, errors: list[tuple[str, str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Annex 1 from the form, and the values to show again; problems appended to ``errors``."""
    values = {
        name: text(form, name, LONG_TEXT)
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
    for name in ("subject", "duration", "nature", "purpose", "legal_basis"):
        if len(values[name]) > LONG_TEXT:
            errors.append((name, t(request, "Keep this under 4000 characters.")))
    categories = []
    for line in lines(values["data_categories"]):
        name, _, days = line.rpartition(",")
        if not name or not days.strip().isdigit():
            name, days = line, ""
        name = name.strip()
        if len(name) > SHORT_TEXT:
            errors.append(("data_categories", t(request, "A category name is too long.")))
            break
        retention = int(days.strip()) if days.strip() else None
        if retention is not None and retention > 36500:
            errors.append(("data_categories", t(request, "Keep data at most 100 years.")))
            break
        categories.append({"name": name, "retention_days": retention})
    subjects = lines(values["data_subject_categories"])
    if any(len(subject) > SHORT_TEXT for subject in subjects):
        errors.append(("data_subject_categories", t(request, "A category name is too long.")))
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


def read_terms(
    request: Request, form: FormData, errors: list[tuple[str, str]]
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
        errors.append(("authorisation", t(request, "Choose general or specific authorisation.")))
    terms["authorisation"] = values["authorisation"]
    bounds = (("notice_days", 1, 365), ("breach_notice_hours", 1, 72), ("closure_days", 1, 365))
    for name, low, high in bounds:
        raw = values[name]
        if name == "closure_days" and not raw:
            terms[name] = None  # the platform's period
        elif not raw.isdigit() or not low <= int(raw) <= high:
            message = t(request, "Enter a whole number from %(low)d to %(high)d.")
            errors.append((name, message % {"low": low, "high": high}))
            terms[name] = low
        else:
            terms[name] = int(raw)
    return terms, values


# -- versions side by side ---------------------------------------------------------------------

ANNEX1_FIELDS = (
    ("subject", _("Subject of the processing")),
    ("duration", _("Duration")),
    ("nature", _("Nature of the processing")),
    ("purpose", _("Purpose")),
    ("data_categories", _("Categories of personal data and how long they are kept")),
    ("data_subject_categories", _("Categories of data subjects")),
    ("legal_basis", _("Legal basis")),
)
TERMS_FIELDS = (
    ("authorisation", _("Authorisation for subprocessors")),
    ("notice_days", _("Days to object to a new subprocessor")),
    ("silence_is_acceptance", _("Silence counts as acceptance")),
    ("breach_notice_hours", _("Hours for the processor to report a breach")),
    ("closure_days", _("Days after termination to return or destroy the data")),
)


def shown_value(name: str, value: Any) -> str:
    if name == "data_categories":
        parts = []
        for category in value or []:
            days = category.get("retention_days")
            parts.append(f"{category['name']} ({days} d)" if days is not None else category["name"])
        return "; ".join(parts)
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if value is None:
        return ""
    return str(value)


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str]]:
    """What changed from one version to the next: (label msgid, before, after)."""
    changed = []
    for part, fields in (("annex1", ANNEX1_FIELDS), ("terms", TERMS_FIELDS)):
        for name, label in fields:
            old = (before.get(part) or {}).get(name)
            new = (after.get(part) or {}).get(name)
            if old != new:
                changed.append((label, shown_value(name, old), shown_value(name, new)))
    return changed
