"""What every agreements page shares: the agreement as its person sees it, Annex 1 as a form shows
it (``forms`` reads it back).

Everything comes from the agreements service's public API with the person's own token: a page
about an agreement the person's organisation is no party to is the 404 page (the API answers
404, which the console turns into its page not found).
"""

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from services.console.apis import ApiRefused
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


# What to correct on a form, as (field, message) pairs; field "" for the form as a whole.
Errors = list[tuple[str, str]]
# Refusals a person can act on (a conflict with the agreement's state, a rule of the service,
# a step that is the other party's): said on the form; any other status is the error page.
REFUSALS = (403, 409, 422)


def refused_problem(request: Request, refused: ApiRefused) -> tuple[str, str]:
    """The agreements service's refusal, said on the form."""
    return ("", t(request, "This could not be done: %(reason)s") % {"reason": refused.detail})


async def submit(
    request: Request,
    person: Person,
    path: str,
    body: dict[str, Any],
    errors: Errors,
    *,
    refusals: tuple[int, ...] = REFUSALS,
) -> bool:
    """Post a form's body to the agreements API: True once it is taken. A refusal whose status
    is among ``refusals`` joins ``errors``, to show the form again; any other is raised."""
    try:
        await agreements_api(request, person, "POST", path, json=body)
    except ApiRefused as refused:
        if refused.status not in refusals:
            raise
        errors.append(refused_problem(request, refused))
        return False
    return True


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


# -- Annex 1 and the terms as the form shows them ------------------------------------------------


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
