"""Personal-data breaches (art. 33 GDPR, TOM-O4): the list, one breach with each controller's
72-hour clock, the processor's report with a check of the answers before it is sent, further
phases, and the controller's record of its decision about the supervisory authority.

``/breaches/{id}`` is the address every breach notice mail links to: the processor and each
affected controller see it (each controller only its own clock); anyone else gets the 404 page.
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.apis import ApiRefused
from services.console.breaches import forms
from services.console.language import BRUSSELS
from services.console.render import render
from services.console.sessions import Person
from services.console.web import NotYours, SignedIn, apis_of, go, t, visitor
from shared.idempotency import valid_key

router = APIRouter(dependencies=[Depends(visitor)])

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
        "field_names": {k: t(request, v) for k, v in forms.FIELD_NAMES.items()},
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


def _gettext(request: Request) -> forms.Gettext:
    return partial(t, request)


def _holding_data(person: Person, agreements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        a
        for a in agreements
        if a.get("status") in forms.HOLDING_DATA
        and str(a.get("processor_id")) == person.organisation_id
    ]


def _report_context(
    request: Request,
    person: Person,
    agreements: list[dict[str, Any]],
    values: dict[str, Any],
    errors: list[tuple[str, str]],
) -> dict[str, Any]:
    live = _holding_data(person, agreements)
    known = sorted({c for a in live for c in forms.categories_of(a)}, key=str.lower)
    chosen = set(values.get("chosen") or [])
    others = [c for c in forms.lines(values.get("data_categories", "")) if c not in known]
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


def _check_context(
    request: Request, reading: forms.Reading, reached: list[dict[str, Any]]
) -> dict[str, Any]:
    """The check page: the report as it will be sent, and each agreement's deadline to tell its
    controller (the agreement's hours from the moment of awareness)."""
    aware = datetime.fromisoformat(reading.body["aware_at"])

    def deadline(agreement: dict[str, Any]) -> str:
        hours = int((agreement.get("terms") or {}).get("breach_notice_hours", 48))
        return (aware + timedelta(hours=hours)).isoformat()

    return {
        "report": reading.body,
        "values": reading.values,
        "reached": [a | {"processor_deadline": deadline(a)} for a in reached],
        "field_names": {k: t(request, v) for k, v in forms.FIELD_NAMES.items()},
        "now": datetime.now(UTC).isoformat(),
        # Sent as the Idempotency-Key: a second click, a resent form or a retry after a
        # lost answer opens the one breach, and no controller is told twice.
        "report_key": str(uuid.uuid4()),
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
    reading, reached = forms.read_report(
        _gettext(request), fields, _holding_data(person, agreements), now=datetime.now(UTC)
    )
    if step == "change" or reading.problems:
        context = _report_context(request, person, agreements, reading.values, reading.problems)
        status = 400 if reading.problems else 200
        return render(request, "breaches/report_breach.html", context, status=status)
    if step != "send":
        return render(
            request, "breaches/check_breach_report.html", _check_context(request, reading, reached)
        )
    key = form.get("report_key")
    try:
        sent = await apis_of(request).json(
            "agreements",
            "POST",
            "/breaches",
            token=person.access_token,
            json=reading.body,
            idempotency_key=key if isinstance(key, str) and valid_key(key) else None,
        )
    except ApiRefused as refused:
        if refused.status not in (400, 409, 422):
            raise
        problem = t(request, "The breach could not be reported: %(reason)s") % {
            "reason": refused.detail
        }
        context = _report_context(request, person, agreements, reading.values, [("", problem)])
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
    reading = forms.read_phase(_gettext(request), await request.form())
    if not reading.problems:
        try:
            await apis_of(request).json(
                "agreements",
                "POST",
                f"/breaches/{breach_id}/phases",
                token=person.access_token,
                json=reading.body,
            )
        except ApiRefused as refused:
            if refused.status not in (400, 409, 422):
                raise
            problem = t(request, "The phase could not be added: %(reason)s")
            reading.problems.append(("", problem % {"reason": refused.detail}))
    if reading.problems:
        context = await _breach_context(request, person, breach_id)
        if not context["reporter"]:
            raise NotYours
        context |= {"errors": reading.problems, "values": reading.values}
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
    gettext = _gettext(request)
    reading = forms.read_authority_decision(gettext, await request.form(), now=datetime.now(UTC))
    done = go(f"/breaches/{breach_id}?done=authority_recorded")
    if not reading.problems:
        try:
            await apis_of(request).json(
                "agreements",
                "POST",
                f"/breach-notices/{notice_id}/authority-notification",
                token=person.access_token,
                json=reading.body,
            )
        except ApiRefused as refused:
            if refused.status == 409:
                return done  # recorded before: a second click
            if refused.status not in (400, 422):
                raise
            field = "reason" if "reason" in refused.detail else "notified_at"
            reading.problems.append((field, forms.authority_problem(gettext, refused.detail)))
    if reading.problems:
        context = await _breach_context(request, person, breach_id)
        if not any(str(n["id"]) == notice_id for n in context["notices"]):
            raise NotYours
        context |= {
            "errors": reading.problems,
            "values": reading.values,
            "failed_notice": notice_id,
        }
        return render(request, "breaches/breach.html", context, status=400)
    return done
