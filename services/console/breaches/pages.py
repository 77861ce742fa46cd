"""Personal-data breaches (art. 33 GDPR, TOM-O4): the list, one breach with each controller's
72-hour clock, the processor's report with a check of the answers before it is sent, further
phases, and the controller's record of its decision about the supervisory authority.

``/breaches/{id}`` is the address every breach notice mail links to: the processor and each
affected controller see it (each controller only its own clock); anyone else gets the 404 page.
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.apis import ApiRefused
from services.console.language import BRUSSELS, brussels_moment
from services.console.render import render
from services.console.sessions import Person
from services.console.web import NotYours, SignedIn, apis_of, go, t, visitor
from shared.idempotency import valid_key

router = APIRouter(dependencies=[Depends(visitor)])

# A breach is reported on an agreement until return or destruction is certified (it is closed).
HOLDING_DATA = ("signed", "active", "terminated")
SHORT_TEXT = 200  # the API's limit for the report's free-text fields
LONG_TEXT = 4000
REPORT_TEXTS = ("nature", "consequences", "measures", "contact_point")
PHASE_FIELDS = ("nature", "approx_data_subjects", "approx_records", "consequences", "measures")


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


# -- reading ------------------------------------------------------------------------------------


def _breach_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotYours from None


async def _agreements(request: Request, person: Person) -> list[dict[str, Any]]:
    """The organisation's agreements (for the parties' names and the processor's Annex 1s)."""
    return await apis_of(request).every("agreements", "/agreements", token=person.access_token)


def _names(person: Person, agreements: list[dict[str, Any]]) -> dict[str, str]:
    names = {person.organisation_id: person.organisation_name}
    for agreement in agreements:
        for side in ("controller", "processor"):
            if agreement.get(f"{side}_id") and agreement.get(f"{side}_name"):
                names[str(agreement[f"{side}_id"])] = str(agreement[f"{side}_name"])
    return names


async def _thread_acknowledged(request: Request, person: Person, thread: str) -> bool | None:
    """Whether the organisation acknowledged this notice thread; None when it has no notice."""
    found = await apis_of(request).every(
        "notifier", "/notifier/inbox", token=person.access_token, page_size=500
    )
    items = [i for i in found if i.get("thread_id") == thread]
    if not items:
        return None
    return any(i.get("acknowledged_at") for i in items)


@router.get("/breaches")
async def list_breaches(request: Request, person: SignedIn, cursor: str = "") -> Response:
    """Breaches the organisation reported (processor) or was notified of (controller), newest
    first, a page at a time."""
    if person.is_operator:
        raise NotYours
    found, agreements = await asyncio.gather(
        apis_of(request).page("agreements", "/breaches", token=person.access_token, cursor=cursor),
        _agreements(request, person),
    )
    if found is None:
        return go("/breaches")  # a cursor from an old or edited link: start over
    names = _names(person, agreements)
    rows = []
    for breach in found.get("items", []):
        mine = [
            n for n in breach.get("notices") or [] if n["controller_id"] == person.organisation_id
        ]
        rows.append(
            {
                "breach": breach,
                "processor": names.get(str(breach["processor_id"]), ""),
                "controllers": sorted(
                    {names.get(str(n["controller_id"]), "") for n in breach.get("notices") or []}
                ),
                "deadline": min(
                    (n["authority_deadline"] for n in mine if n["authority_status"] == "pending"),
                    default=None,
                ),
                "open": any(n["authority_status"] == "pending" for n in mine),
            }
        )
    context = {"rows": rows, "next_cursor": found.get("next_cursor"), "first_page": not cursor}
    return render(request, "breaches/breaches.html", context)


async def _breach_context(request: Request, person: Person, breach_id: str) -> dict[str, Any]:
    apis = apis_of(request)
    breach, agreements = await asyncio.gather(
        apis.json("agreements", "GET", f"/breaches/{breach_id}", token=person.access_token),
        _agreements(request, person),
    )
    names = _names(person, agreements)
    titles = {str(a["id"]): a.get("title", "") for a in agreements}
    reporter = str(breach["processor_id"]) == person.organisation_id
    notices = [
        n
        | {
            "controller_name": names.get(str(n["controller_id"]), ""),
            "title": titles.get(str(n["agreement_id"]), ""),
        }
        for n in breach.get("notices") or []
    ]
    acknowledged: dict[str, bool | None] = {}
    if not reporter:
        notices = [n for n in notices if n["controller_id"] == person.organisation_id]
        found = await asyncio.gather(
            *(_thread_acknowledged(request, person, str(n["id"])) for n in notices)
        )
        acknowledged = {str(n["id"]): state for n, state in zip(notices, found, strict=True)}
    return {
        "breach": breach,
        "processor_name": names.get(str(breach["processor_id"]), ""),
        "reporter": reporter,
        "notices": notices,
        "acknowledged": acknowledged,
        "field_names": {k: t(request, v) for k, v in FIELD_NAMES.items()},
        "errors": [],
        "values": {},
        "failed_notice": "",
    }


@router.get("/breaches/new")
async def report_breach_form(request: Request, person: SignedIn) -> Response:
    """The processor's report: every field of art. 33(3) GDPR."""
    _processor_admin(person)
    agreements = await _agreements(request, person)
    context = _report_context(request, person, agreements, {}, [])
    return render(request, "breaches/report_breach.html", context)


@router.get("/breaches/{breach_id}")
async def breach_page(request: Request, person: SignedIn, breach_id: str) -> Response:
    """One breach: the report, its phases, and each clock this organisation may see."""
    if person.is_operator:
        raise NotYours
    context = await _breach_context(request, person, _breach_id(breach_id))
    return render(request, "breaches/breach.html", context)


# -- the processor reports ------------------------------------------------------------------------


def _processor_admin(person: Person) -> None:
    if not (person.is_processor and person.is_admin):
        raise NotYours


def _lines(value: str) -> list[str]:
    seen: dict[str, None] = {}
    for line in value.replace(",", "\n").splitlines():
        if line.strip():
            seen.setdefault(" ".join(line.split()), None)
    return list(seen)


def _normal(category: str) -> str:
    return " ".join(category.lower().split())


def _categories_of(agreement: dict[str, Any]) -> list[str]:
    return [
        str(c.get("name", "")) for c in (agreement.get("annex1") or {}).get("data_categories") or []
    ]


def _holding_data(person: Person, agreements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        a
        for a in agreements
        if a.get("status") in HOLDING_DATA and str(a.get("processor_id")) == person.organisation_id
    ]


def affected(agreements: list[dict[str, Any]], categories: list[str]) -> list[dict[str, Any]]:
    """The agreements not closed whose Annex 1 data categories the breach touches, as the agreements
    service derives them (case- and space-insensitive)."""
    wanted = {_normal(c) for c in categories}
    return [a for a in agreements if wanted & {_normal(c) for c in _categories_of(a)}]


def _count(value: str, limit: int) -> int | None:
    text = value.strip().replace(" ", "").replace(".", "")
    if not text.isdigit():
        return None
    number = int(text)
    return number if number <= limit else None


def _text_errors(
    request: Request, values: dict[str, str], names: tuple[str, ...], *, required: bool
) -> list[tuple[str, str]]:
    errors = []
    for name in names:
        value = values.get(name, "").strip()
        if required and not value:
            errors.append(
                (
                    name,
                    t(request, "Fill in this field: %(field)s.")
                    % {"field": t(request, FIELD_NAMES[name])},
                )
            )
        elif len(value) > SHORT_TEXT or "\x00" in value:
            errors.append(
                (
                    name,
                    t(
                        request,
                        "Keep this to 200 characters at most; give details in a later phase or to the contact point.",  # noqa: E501
                    ),
                )
            )
    return errors


def read_report(
    request: Request, form: dict[str, Any], agreements: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, str], list[tuple[str, str]], list[dict[str, Any]]]:
    """The API's report from the form, the values to show again, what to correct, and the
    agreements it will be sent under."""
    values = {k: str(form.get(k, "") or "") for k in (*FIELD_NAMES, "other_categories")}
    chosen = [str(c) for c in form.get("category", [])]
    categories = list(dict.fromkeys([*chosen, *_lines(values["other_categories"])]))
    values["data_categories"] = "\n".join(categories)
    errors = _text_errors(request, values, REPORT_TEXTS, required=True)
    now = datetime.now(UTC)
    aware_at = brussels_moment(values["aware_at"])
    if aware_at is None:
        errors.insert(
            0, ("aware_at", t(request, "Enter the date and time you became aware of the breach."))
        )
    elif aware_at > now + timedelta(minutes=1):
        errors.insert(
            0, ("aware_at", t(request, "The moment you became aware cannot be in the future."))
        )
    subjects = _lines(values["data_subject_categories"])
    if not categories:
        errors.append(
            ("data_categories", t(request, "Choose or enter at least one data category."))
        )
    elif any(len(c) > SHORT_TEXT for c in categories) or len(categories) > 100:
        errors.append(
            ("data_categories", t(request, "Each data category can be 200 characters at most."))
        )
    if not subjects:
        errors.append(
            (
                "data_subject_categories",
                t(
                    request,
                    "Enter at least one category of people concerned, like citizens or staff.",
                ),
            )
        )
    elif any(len(c) > SHORT_TEXT for c in subjects) or len(subjects) > 100:
        errors.append(
            ("data_subject_categories", t(request, "Each category can be 200 characters at most."))
        )
    people = _count(values["approx_data_subjects"], 1_000_000_000)
    if people is None:
        errors.append(
            (
                "approx_data_subjects",
                t(request, "Enter the approximate number of people as a whole number, 0 if none."),
            )
        )
    records = _count(values["approx_records"], 2_000_000_000)
    if records is None:
        errors.append(
            (
                "approx_records",
                t(request, "Enter the approximate number of records as a whole number, 0 if none."),
            )
        )
    reached = affected(agreements, categories) if categories else []
    if categories and not reached and not any(e[0] == "data_categories" for e in errors):
        errors.append(
            (
                "data_categories",
                t(
                    request,
                    "None of your agreements that are not closed covers these data categories. Choose the categories as your agreements name them.",  # noqa: E501
                ),
            )
        )
    report: dict[str, Any] = {}
    if not errors:
        assert aware_at is not None
        report = {
            "aware_at": aware_at.isoformat(),
            "nature": values["nature"].strip(),
            "data_categories": categories,
            "data_subject_categories": subjects,
            "approx_data_subjects": people,
            "approx_records": records,
            "consequences": values["consequences"].strip(),
            "measures": values["measures"].strip(),
            "contact_point": values["contact_point"].strip(),
            "agreement_ids": [str(a["id"]) for a in reached],
        }
    return report, values | {"chosen": chosen}, errors, reached  # type: ignore[return-value]


def _report_context(
    request: Request,
    person: Person,
    agreements: list[dict[str, Any]],
    values: dict[str, Any],
    errors: list[tuple[str, str]],
) -> dict[str, Any]:
    live = _holding_data(person, agreements)
    known = sorted({c for a in live for c in _categories_of(a)}, key=str.lower)
    chosen = set(values.get("chosen") or [])
    others = [c for c in _lines(values.get("data_categories", "")) if c not in known]
    shown = {k: v for k, v in values.items() if isinstance(v, str)}
    if others and not shown.get("other_categories"):
        shown["other_categories"] = "\n".join(others)
    if not shown.get("aware_at"):
        shown["aware_at"] = ""
    return {
        "values": shown,
        "errors": errors,
        "known_categories": known,
        "chosen": chosen,
        "live": live,
        "now_local": datetime.now(BRUSSELS).strftime("%Y-%m-%dT%H:%M"),
    }


@router.post("/breaches/new")
async def report_breach(request: Request, person: SignedIn) -> Response:
    """One form, three steps: check the answers, change them, or send the report."""
    _processor_admin(person)
    form = await request.form()
    fields: dict[str, Any] = {k: form.get(k) for k in form if k != "category"}
    fields["category"] = form.getlist("category")
    step = str(form.get("step") or "check")
    agreements = await _agreements(request, person)
    live = _holding_data(person, agreements)
    report, values, errors, reached = read_report(request, fields, live)
    if step == "change" or errors:
        context = _report_context(request, person, agreements, values, errors)
        return render(
            request, "breaches/report_breach.html", context, status=400 if errors else 200
        )
    if step != "send":
        aware = datetime.fromisoformat(report["aware_at"])
        shown = [
            a
            | {
                "processor_deadline": (
                    aware
                    + timedelta(hours=int((a.get("terms") or {}).get("breach_notice_hours", 48)))
                ).isoformat(),
            }
            for a in reached
        ]
        context = {
            "report": report,
            "values": values,
            "reached": shown,
            "field_names": {k: t(request, v) for k, v in FIELD_NAMES.items()},
            "now": datetime.now(UTC).isoformat(),
            # Sent as the Idempotency-Key: a second click, a resent form or a retry after a
            # lost answer opens the one breach, and no controller is told twice.
            "report_key": str(uuid.uuid4()),
        }
        return render(request, "breaches/check_breach_report.html", context)
    key = form.get("report_key")
    try:
        sent = await apis_of(request).json(
            "agreements",
            "POST",
            "/breaches",
            token=person.access_token,
            json=report,
            idempotency_key=key if isinstance(key, str) and valid_key(key) else None,
        )
    except ApiRefused as refused:
        if refused.status not in (400, 409, 422):
            raise
        problem = t(request, "The breach could not be reported: %(reason)s") % {
            "reason": refused.detail
        }
        context = _report_context(request, person, agreements, values, [("", problem)])
        return render(request, "breaches/report_breach.html", context, status=400)
    return go(f"/breaches/{sent['id']}?done=breach_reported")


# -- further phases (art. 33(4)) -------------------------------------------------------------------


@router.get("/breaches/{breach_id}/phases/new")
async def add_phase_form(request: Request, person: SignedIn, breach_id: str) -> Response:
    _processor_admin(person)
    context = await _breach_context(request, person, _breach_id(breach_id))
    if not context["reporter"]:
        raise NotYours
    return render(request, "breaches/add_breach_phase.html", context)


@router.post("/breaches/{breach_id}/phases")
async def add_phase(request: Request, person: SignedIn, breach_id: str) -> Response:
    """Complete the report: only the fields filled in change; every controller is told."""
    _processor_admin(person)
    breach_id = _breach_id(breach_id)
    form = await request.form()
    values = {k: str(form.get(k, "") or "") for k in (*PHASE_FIELDS, "contact_point", "note")}
    errors = _text_errors(
        request, values, ("nature", "consequences", "measures", "contact_point"), required=False
    )
    body: dict[str, Any] = {}
    for name in ("nature", "consequences", "measures", "contact_point"):
        if values[name].strip():
            body[name] = values[name].strip()
    for name, limit in (("approx_data_subjects", 1_000_000_000), ("approx_records", 2_000_000_000)):
        if values[name].strip():
            number = _count(values[name], limit)
            if number is None:
                errors.append(
                    (
                        name,
                        t(
                            request,
                            "Enter a whole number, or leave this empty to keep the earlier one.",
                        ),
                    )
                )
            else:
                body[name] = number
    note = values["note"].strip()
    if len(note) > LONG_TEXT or "\x00" in note:
        errors.append(("note", t(request, "Keep the note to 4000 characters at most.")))
    if not body and not errors:
        errors.append(
            (
                "nature",
                t(request, "Fill in at least one field that changes or completes the report."),
            )
        )
    if not errors:
        try:
            await apis_of(request).json(
                "agreements",
                "POST",
                f"/breaches/{breach_id}/phases",
                token=person.access_token,
                json=body | ({"note": note} if note else {}),
            )
        except ApiRefused as refused:
            if refused.status not in (400, 409, 422):
                raise
            errors.append(
                (
                    "",
                    t(request, "The phase could not be added: %(reason)s")
                    % {"reason": refused.detail},
                )
            )
    if errors:
        context = await _breach_context(request, person, breach_id)
        if not context["reporter"]:
            raise NotYours
        context |= {"errors": errors, "values": values}
        return render(request, "breaches/add_breach_phase.html", context, status=400)
    return go(f"/breaches/{breach_id}?done=phase_added")


# -- the controller's decision about the supervisory authority (art. 33(1)) ----------------------


@router.post("/breaches/{breach_id}/notices/{notice_id}/authority")
async def record_authority_decision(
    request: Request, person: SignedIn, breach_id: str, notice_id: str
) -> Response:
    """Whether and when the controller notified its supervisory authority, with the reason
    where it did not, or did so after 72 hours."""
    if not (person.is_controller and person.is_admin):
        raise NotYours
    breach_id, notice_id = _breach_id(breach_id), _breach_id(notice_id)
    form = await request.form()
    values = {k: str(form.get(k, "") or "") for k in ("decision", "notified_at", "reason")}
    errors: list[tuple[str, str]] = []
    body: dict[str, Any] = {}
    reason = values["reason"].strip()
    if len(reason) > LONG_TEXT or "\x00" in reason:
        errors.append(("reason", t(request, "Keep the reason to 4000 characters at most.")))
    if values["decision"] == "notified":
        moment = brussels_moment(values["notified_at"])
        if moment is None:
            errors.append(
                ("notified_at", t(request, "Enter the date and time you notified the authority."))
            )
        elif moment > datetime.now(UTC) + timedelta(minutes=1):
            errors.append(
                (
                    "notified_at",
                    t(request, "The moment you notified the authority cannot be in the future."),
                )
            )
        else:
            body = {"notified_authority": True, "notified_at": moment.isoformat()}
    elif values["decision"] == "not_notified":
        if not reason:
            errors.append(
                (
                    "reason",
                    t(
                        request,
                        "Say why you do not notify the authority (for example: the breach is unlikely to result in a risk to people).",  # noqa: E501
                    ),
                )
            )
        body = {"notified_authority": False}
    else:
        errors.append(
            ("decision-notified", t(request, "Choose whether you notified the authority."))
        )
    if reason:
        body["reason"] = reason
    if not errors:
        try:
            await apis_of(request).json(
                "agreements",
                "POST",
                f"/breach-notices/{notice_id}/authority-notification",
                token=person.access_token,
                json=body,
            )
        except ApiRefused as refused:
            if refused.status == 409:
                return go(f"/breaches/{breach_id}?done=authority_recorded")
            if refused.status not in (400, 422):
                raise
            field = "reason" if "reason" in refused.detail else "notified_at"
            errors.append((field, _authority_problem(request, refused.detail)))
    if errors:
        context = await _breach_context(request, person, breach_id)
        if not any(str(n["id"]) == notice_id for n in context["notices"]):
            raise NotYours
        context |= {"errors": errors, "values": values, "failed_notice": notice_id}
        return render(request, "breaches/breach.html", context, status=400)
    return go(f"/breaches/{breach_id}?done=authority_recorded")


def _authority_problem(request: Request, detail: str) -> str:
    if "72 hours" in detail:
        return t(
            request, "You notified the authority more than 72 hours after you were told: say why."
        )
    if "before the breach" in detail:
        return t(request, "That moment lies before the processor became aware of the breach.")
    if "future" in detail:
        return t(request, "The moment you notified the authority cannot be in the future.")
    return t(request, "This could not be recorded: %(reason)s") % {"reason": detail}
