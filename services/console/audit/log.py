"""The audit-log viewer: read, filter and page the organisation's log, check one entry's proof,
export the log and verify it offline (TOM-T3a, TOM-T3b, TOM-T3c, TOM-T4, DPA-11).

Everything comes from the audit service's public API with the person's own token, so every page
here is itself an audited read. Filters live in the query string, so a filtered view is a link a
person can keep or send. Pages move with the API's cursor; nothing counts the whole log.
"""

import asyncio
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from opentelemetry import propagate
from starlette.background import BackgroundTask

from services.console.apis import ApiRefused, ServiceUnavailable
from services.console.audit import proofs
from services.console.audit.summaries import SUMMARIES
from services.console.language import BRUSSELS
from services.console.render import render
from services.console.sessions import Person
from services.console.web import NotYours, apis_of, signed_in, t, visitor
from shared.event_types.agreements import BREACH_LISTED

router = APIRouter(dependencies=[Depends(visitor)])

PAGE_SIZE = 50
CURSOR_LIMIT = 2**62
RECORD = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
ACTOR = re.compile(r"^[A-Za-z0-9:._@-]{1,200}$")
UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _(message: str) -> str:
    """Marks a message for the catalogue; translated when the page is rendered."""
    return message


# What a person can narrow the log to, as event type prefixes of the catalogue.
ACTIONS: dict[str, tuple[str, str]] = {
    "sign-ins": ("dpa.identity.login.", _("Sign-ins")),
    "people": ("dpa.identity.user", _("People and roles")),
    "supplier-access": ("dpa.identity.grant.", _("Supplier access grants")),
    "agreement-reads": ("dpa.agreements.agreement.viewed", _("Agreements read")),
    "agreements": ("dpa.agreements.agreement.", _("Agreements")),
    "breaches": ("dpa.agreements.breach", _("Breaches")),
    "subprocessors": ("dpa.agreements.subprocessor", _("Subprocessors")),
    "instructions": ("dpa.agreements.instruction.", _("Instructions")),
    "staff": ("dpa.agreements.staff_member.", _("Staff with access")),
    "disclosures": ("dpa.agreements.disclosure.", _("Disclosures to authorities")),
    "access-attempts": ("dpa.agreements.agreement_", _("Refused access attempts")),
    "maintenance": ("dpa.audit.platform_", _("Platform maintenance")),
    "audit-log": ("dpa.audit.", _("The audit log itself")),
    "other-applications": ("dpa.external.", _("The processor's other applications")),
    "notices": ("dpa.notifier.", _("Notices")),
}


async def log_reader(person: Annotated[Person, Depends(signed_in)]) -> Person:
    """The log is for an organisation's admins and auditors (TOM-T3b)."""
    if not (person.is_admin or person.is_auditor):
        raise NotYours
    return person


LogReader = Annotated[Person, Depends(log_reader)]


# -- filters ----------------------------------------------------------------------------------


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _start_of(day: date) -> str:
    """Midnight in Brussels, as the API's RFC 3339 time in UTC."""
    return datetime.combine(day, time(), tzinfo=BRUSSELS).astimezone(UTC).isoformat()


def read_filters(
    request: Request, values: dict[str, str]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The API's query from the page's query string, or what to correct."""
    errors: list[tuple[str, str]] = []
    query: dict[str, Any] = {}
    since, until = values.get("since", ""), values.get("until", "")
    first = _day(since) if since else None
    last = _day(until) if until else None
    if since and first is None:
        errors.append(("since", t(request, "Enter the start date as a date, like 2026-12-01.")))
    if until and last is None:
        errors.append(("until", t(request, "Enter the end date as a date, like 2026-12-31.")))
    if first and last and last < first:
        errors.append(("until", t(request, "The end date must be on or after the start date.")))
    if first:
        query["since"] = _start_of(first)
    if last:
        query["until"] = _start_of(last + timedelta(days=1))
    person = values.get("person", "")
    if person and not ACTOR.match(person):
        errors.append(("person", t(request, "Choose a person from the list.")))
    elif person:
        query["actor"] = person
    action = values.get("action", "")
    if action and action not in ACTIONS:
        errors.append(("action", t(request, "Choose what happened from the list.")))
    elif action:
        query["action"] = ACTIONS[action][0]
    record = values.get("record", "").strip()
    if record and not RECORD.match(record):
        errors.append(("record", t(request, "Enter the record's reference as shown in the log.")))
    elif record:
        query["resource"] = record
    if values.get("supplier"):
        query["supplier_only"] = "true"
    return query, errors


Short = Annotated[str, Query(max_length=300)]


async def log_filters(
    since: Short = "",
    until: Short = "",
    person: Short = "",
    action: Short = "",
    record: Short = "",
    supplier: Short = "",
) -> dict[str, str]:
    """The log's filters as the query string gives them (the log, the export and its download)."""
    return {
        "since": since,
        "until": until,
        "person": person,
        "action": action,
        "record": record,
        "supplier": "yes" if supplier else "",
    }


LogFilters = Annotated[dict[str, str], Depends(log_filters)]


# -- names --------------------------------------------------------------------------------------


async def _people(request: Request, person: Person) -> dict[str, str]:
    """The organisation's own people by id, as identity names them (admins and auditors read)."""
    try:
        found = await apis_of(request).every(
            "identity", "/users", token=person.access_token, page_size=500
        )
    except ApiRefused:
        return {}
    return {str(user["id"]): user.get("display_name") or user.get("email") or "" for user in found}


async def _organisations(request: Request, person: Person) -> dict[str, str]:
    """Names by id: one's own organisation, each agreement's title and its other party."""
    names = {person.organisation_id: person.organisation_name}
    if person.is_operator:
        return names
    try:
        found = await apis_of(request).every("agreements", "/agreements", token=person.access_token)
    except ApiRefused:
        return names
    for agreement in found:
        for side in ("controller", "processor"):
            if agreement.get(f"{side}_id") and agreement.get(f"{side}_name"):
                names.setdefault(str(agreement[f"{side}_id"]), str(agreement[f"{side}_name"]))
        if agreement.get("title"):
            names[str(agreement["id"])] = str(agreement["title"])
    return names


def describe(
    request: Request, entry: dict[str, Any], people: dict[str, str], organisations: dict[str, str]
) -> dict[str, Any]:
    """An entry as a person reads it: the log's own sentence in the person's language (naming the
    actor as they were named when the entry was written), what kind of event it is in words, and
    who did it by name."""
    summary = SUMMARIES.get(entry["event_type"])
    what = t(request, summary) if summary else _catalogue_summary(entry["event_type"])
    actor, kind = str(entry.get("actor_id") or ""), entry.get("actor_type")
    opened = entry.get("personal_data") or {}
    home = str(opened.get("actor_organisation_name") or "") or organisations.get(
        str(entry.get("actor_organisation_id") or ""), ""
    )
    named = False
    if opened.get("actor_name"):
        who, named = str(opened["actor_name"]), True
    elif kind == "operator":
        who = t(request, "pactum operator (supplier)")
    elif kind == "system" or actor.startswith("system:"):
        who = t(request, "pactum, automatically")
    elif people.get(actor):
        who, named = people[actor], True
    elif home:
        who = t(request, "someone at %(organisation)s") % {"organisation": home}
    else:
        who = t(request, "someone of another organisation")
    return {
        "entry": entry,
        "what": what,
        "sentence": entry.get("sentence") or what,
        "who": who,
        "home": home if named else "",
        "record": _record_name(entry, people, organisations),
        "kept_by": organisations.get(str(entry.get("organisation_id")), ""),
        "link": _record_link(entry),
    }


def _record_name(
    entry: dict[str, Any], people: dict[str, str], organisations: dict[str, str]
) -> str:
    """What the entry is about, by name where the console knows one (a person, an organisation,
    an agreement), else empty (the page shows the reference)."""
    subject = str(entry.get("subject") or "")
    return people.get(subject) or organisations.get(subject) or ""


def _catalogue_summary(event_type: str) -> str:
    from shared.events.catalogue import CATALOGUE  # the words of a type newer than this list

    kind = CATALOGUE.get(event_type)
    return kind.summary if kind else event_type


def _record_link(entry: dict[str, Any]) -> str | None:
    """The console page of what the entry is about, where the console has one."""
    event_type, subject = entry["event_type"], entry.get("subject") or ""
    if event_type.startswith(("dpa.agreements.breach.", "dpa.agreements.breach_notice.")):
        breach = (entry.get("data") or {}).get("breach_id") or subject
        return f"/breaches/{breach}" if breach and event_type != BREACH_LISTED else None
    if entry.get("agreement_id"):
        return f"/agreements/{entry['agreement_id']}"
    return None


# -- the log ------------------------------------------------------------------------------------


@router.get("/audit")
async def read_audit_log(
    request: Request,
    person: LogReader,
    values: LogFilters,
    cursor: Short = "",
) -> Response:
    """The log, newest first, narrowed by the filters in the query string."""
    query, errors = read_filters(request, values)
    position = _cursor(cursor)
    if cursor and position is None:
        errors.append(
            (
                "",
                t(
                    request,
                    "That page of the log does not exist. Start again from the newest entries.",
                ),
            )
        )
    people, organisations = await asyncio.gather(
        _people(request, person), _organisations(request, person)
    )
    entries: list[dict[str, Any]] = []
    next_cursor = None
    page = None if errors else await _log_page(request, person, query, position, errors)
    if page is not None:
        entries = [describe(request, e, people, organisations) for e in page["items"]]
        next_cursor = page.get("next_cursor") if len(page["items"]) == PAGE_SIZE else None
    context = {
        "entries": entries,
        "values": values,
        "errors": errors,
        "people": _people_options(request, people, values["person"]),
        "actions": _action_options(request),
    } | _paging(values, position=position, next_cursor=next_cursor)
    return render(request, "audit/read_audit_log.html", context, status=400 if errors else 200)


async def _log_page(
    request: Request,
    person: Person,
    query: dict[str, Any],
    position: int | None,
    errors: list[tuple[str, str]],
) -> Any:
    """One page of the organisation's entries from the audit API, or None (and the reason among
    ``errors``) when the log cannot be read with these filters."""
    try:
        return await apis_of(request).json(
            "audit",
            "GET",
            "/audit/entries",
            token=person.access_token,
            params=query | {"limit": PAGE_SIZE, "cursor": position, "lang": request.state.language},
        )
    except ApiRefused as refused:
        if refused.status != 422:
            raise
        errors.append(
            (
                "",
                t(
                    request,
                    "The log cannot be read with these filters. Change them and try again.",
                ),
            )
        )
        return None


def _paging(
    values: dict[str, str], *, position: int | None, next_cursor: str | None
) -> dict[str, Any]:
    """The links to the older page and back to the newest, and the export, keeping the filters."""
    kept = {k: v for k, v in values.items() if v}
    return {
        "older": f"/audit?{urlencode(kept | {'cursor': next_cursor})}" if next_cursor else None,
        "newest": f"/audit?{urlencode(kept)}" if position is not None else None,
        "export_query": urlencode(kept),
        "filtered": bool(kept),
    }


def _people_options(request: Request, people: dict[str, str], chosen: str) -> list[tuple[str, str]]:
    options = sorted(people.items(), key=lambda item: item[1].lower())
    if chosen and chosen not in people:
        options.append((chosen, t(request, "The person of the entry you came from")))
    return options


def _action_options(request: Request) -> list[tuple[str, str]]:
    return [(key, t(request, label)) for key, (_prefix, label) in ACTIONS.items()]


def _cursor(value: str) -> int | None:
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 <= number < CURSOR_LIMIT else None


# -- one entry and its proof ----------------------------------------------------------------


async def _entry(request: Request, person: Person, position: int) -> dict[str, Any]:
    """The entry at ``position``, if this organisation may read it (else the 404 page)."""
    page = await apis_of(request).json(
        "audit",
        "GET",
        "/audit/entries",
        token=person.access_token,
        params={
            "cursor": position + 1,
            "limit": 1,
            "order": "newest",
            "lang": request.state.language,
        },
    )
    items = page.get("items") or []
    if not items or items[0]["position"] != position:
        raise NotYours
    entry: dict[str, Any] = items[0]
    return entry


async def _proof(request: Request, person: Person, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The inclusion proof of one of the organisation's own entries; None for another's log."""
    if entry["organisation_id"] != person.organisation_id:
        return None
    try:
        proof: dict[str, Any] = await apis_of(request).json(
            "audit",
            "GET",
            f"/audit/proofs/inclusion/{entry['log_index']}",
            token=person.access_token,
        )
    except ApiRefused as refused:
        if refused.status in (404, 409):
            return {"missing": True}
        raise
    return proof


@router.get("/audit/entries/{position}")
async def check_audit_entry(
    request: Request, person: LogReader, position: str, whole: str = ""
) -> Response:
    """One entry in full and its inclusion proof checked here; the whole log is re-verified only
    when the person asks (``?whole=1``): on a log of millions of entries that takes a while."""
    number = _cursor(position)
    if number is None or number >= CURSOR_LIMIT - 1:
        raise NotYours
    apis = apis_of(request)
    entry, people, organisations = await asyncio.gather(
        _entry(request, person, number),
        _people(request, person),
        _organisations(request, person),
    )
    proof, keys, verification = await asyncio.gather(
        _proof(request, person, entry),
        apis.json("audit", "GET", "/audit/checkpoint-key"),
        _whole_log(request, person) if whole == "1" else _nothing(),
    )
    checked = None
    if proof and not proof.get("missing"):
        checked = proofs.check_inclusion(entry["leaf_hash"], proof, keys)
    context = {
        "item": describe(request, entry, people, organisations),
        "proof": proof,
        "checked": checked,
        "verification": verification,
        "position": number,
        "data_rows": sorted((entry.get("data") or {}).items()),
        "personal_rows": sorted((entry.get("personal_data") or {}).items()),
    }
    return render(request, "audit/check_audit_entry.html", context)


async def _whole_log(request: Request, person: Person) -> Any:
    return await apis_of(request).json(
        "audit", "GET", "/audit/verification", token=person.access_token
    )


async def _nothing() -> None:
    return None


# -- export -------------------------------------------------------------------------------------


@router.get("/audit/export")
async def export_audit_log(
    request: Request,
    person: LogReader,
    values: LogFilters,
) -> Response:
    """Choose a format, download, and how to verify the download offline."""
    _query, errors = read_filters(request, values)
    kept = {k: v for k, v in values.items() if v}
    people, logs = await asyncio.gather(_people(request, person), _pinnable_logs(request, person))
    context = {
        "values": values,
        "errors": errors,
        "filtered": bool(kept),
        "people": _people_options(request, people, values["person"]),
        "actions": _action_options(request),
        "query": urlencode(kept),
        "logs": logs,
    }
    return render(request, "audit/export_audit_log.html", context, status=400 if errors else 200)


@router.get("/audit/export/download")
async def download_audit_log(
    request: Request,
    person: LogReader,
    values: LogFilters,
    format: Annotated[str, Query(max_length=10)] = "jsonl",
) -> Response:
    """The export, streamed from the audit service as it comes (never held whole in memory)."""
    query, errors = read_filters(request, values)
    if errors or format not in ("jsonl", "csv"):
        return await export_audit_log(request, person, values)
    apis = apis_of(request)
    headers = {"accept": "*/*", "authorization": f"Bearer {person.access_token}"}
    propagate.inject(headers)
    client = apis.client_for("audit")
    outgoing = client.build_request(
        "GET",
        f"{apis.bases['audit']}/audit/export",
        params=query | {"format": format},
        headers=headers,
        timeout=None,
    )
    try:
        answer = await client.send(outgoing, stream=True)
    except Exception as error:  # httpx's errors: the service did not answer
        raise ServiceUnavailable("audit", type(error).__name__) from None
    if answer.status_code >= 400:
        await answer.aclose()
        if answer.status_code >= 500:
            raise ServiceUnavailable("audit", f"HTTP {answer.status_code}")
        raise ApiRefused(answer.status_code, "export refused")
    stamp = datetime.now(UTC).astimezone(BRUSSELS).strftime("%Y%m%d-%H%M")
    name = f"audit-log-{person.organisation_id}-{stamp}.{format}"
    passed = {"content-disposition": f'attachment; filename="{name}"'}
    if answer.headers.get("x-audit-checkpoint"):
        passed["x-audit-checkpoint"] = answer.headers["x-audit-checkpoint"]
    media = "application/x-ndjson" if format == "jsonl" else "text/csv; charset=utf-8"
    return StreamingResponse(
        answer.aiter_bytes(),
        media_type=media,
        headers=passed,
        background=BackgroundTask(answer.aclose),
    )


async def _pinnable_logs(request: Request, person: Person) -> list[tuple[str, str]]:
    """The logs whose checkpoint this organisation may pin: its own, then the other party of
    each of its agreements (a controller follows its processors' logs), by name."""
    logs = {person.organisation_id: person.organisation_name}
    if not person.is_operator:
        try:
            found = await apis_of(request).every(
                "agreements", "/agreements", token=person.access_token
            )
        except ApiRefused:
            found = []
        for agreement in found:
            for side in ("controller", "processor"):
                party = str(agreement.get(f"{side}_id") or "")
                if party and party not in logs:
                    logs[party] = str(agreement.get(f"{side}_name") or party)
    own = [(person.organisation_id, logs.pop(person.organisation_id))]
    return own + sorted(logs.items(), key=lambda item: item[1].lower())


@router.get("/audit/checkpoints/{organisation_id}.txt")
async def checkpoint_note(request: Request, person: LogReader, organisation_id: str) -> Response:
    """An organisation's latest checkpoint as a C2SP signed note, to pin (its own log, or the
    other party's of one of its agreements; any other answers the 404 page)."""
    if not UUID_TEXT.match(organisation_id):
        raise NotYours
    try:
        answer = await apis_of(request).call(
            "audit",
            "GET",
            f"/audit/organisations/{organisation_id}/checkpoint",
            token=person.access_token,
        )
    except ApiRefused as refused:
        if refused.status in (404, 409):
            raise NotYours from None
        raise
    name = f"checkpoint-{organisation_id}.txt"
    return Response(
        answer.text,
        media_type="text/plain; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/audit/checkpoint-keys.json")
async def checkpoint_keys(request: Request, _person: LogReader) -> Response:
    """The published checkpoint keys, to pin when verifying an export offline."""
    keys = await apis_of(request).json("audit", "GET", "/audit/checkpoint-key")
    return JSONResponse(
        keys, headers={"content-disposition": 'attachment; filename="checkpoint-keys.json"'}
    )
