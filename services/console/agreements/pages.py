"""The agreements and one agreement's text: drafting, Annex 1 and 2, versions, signing, report."""

import asyncio
import re
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.agreements.common import (
    ANNEX1_FIELDS,
    MEASURE_STATUSES,
    TERMS_FIELDS,
    agreements_api,
    annex1_values,
    checked_id,
    differences,
    every_of,
    load,
    page_context,
    seen,
    shown_value,
    terms_values,
)
from services.console.agreements.forms import (
    draft_refused,
    read_annex1,
    read_draft,
    read_terms,
    text,
)
from services.console.apis import ApiRefused
from services.console.render import render
from services.console.sessions import Person
from services.console.web import NotYours, SignedIn, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

MEASURE_ID = re.compile(r"[A-Za-z0-9-]{1,40}")


@router.get("/agreements")
async def agreements_page(request: Request, person: SignedIn, cursor: str = "") -> Response:
    """The organisation's agreements, newest first, a page at a time."""
    found = await apis_of(request).page(
        "agreements", "/agreements", token=person.access_token, cursor=cursor
    )
    if found is None:
        return go("/agreements")  # a cursor from an old or edited link: start over
    shown = [seen(item, person) for item in found["items"]]
    context = {
        "agreements": shown,
        "next_cursor": found.get("next_cursor"),
        "first_page": not cursor,
    }
    return render(request, "agreements/agreements.html", context)


# -- drafting ------------------------------------------------------------------------------------


def _draft_context(person: Person, values: dict[str, str]) -> dict[str, Any]:
    return {"values": values, "own_party": "processor" if person.is_processor else "controller"}


@router.get("/agreements/new")
async def draft_page(request: Request, person: SignedIn) -> Response:
    if not person.is_admin or person.is_operator:
        raise NotYours
    values = annex1_values({}) | terms_values({})
    return render(request, "agreements/draft_agreement.html", _draft_context(person, values))


@router.post("/agreements/new")
async def draft_agreement(request: Request, person: SignedIn) -> Response:
    gettext = partial(t, request)
    own_party = "processor" if person.is_processor else "controller"
    reading = read_draft(gettext, await request.form(), own_party=own_party)
    if not reading.problems:
        try:
            created = await agreements_api(
                request, person, "POST", "/agreements", json=reading.body
            )
        except ApiRefused as refused:
            reading.problems.append(draft_refused(gettext, refused.status, refused.detail))
        else:
            return go(f"/agreements/{created['id']}?done=agreement_drafted")
    context = _draft_context(person, reading.values) | {"errors": reading.problems}
    return render(request, "agreements/draft_agreement.html", context, status=400)


# -- one agreement -----------------------------------------------------------------------------


async def _versions(request: Request, person: Person, agreement_id: str) -> list[dict[str, Any]]:
    found = await every_of(request, person, f"/agreements/{agreement_id}/versions")
    return sorted(found, key=lambda version: version["number"])


def _awaiting(agreement: dict[str, Any], versions: list[dict[str, Any]]) -> dict[str, Any] | None:
    number = agreement.get("awaiting_signature")
    return next((v for v in versions if v["number"] == number), None) if number else None


@router.get("/agreements/{agreement_id}")
async def agreement_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    shown, versions = await asyncio.gather(
        load(request, person, agreement_id), _versions(request, person, agreement_id)
    )
    awaiting = _awaiting(shown.agreement, versions)
    signed_by = [s["party"] for s in awaiting["signatures"]] if awaiting else []
    context = page_context(person, shown, "") | {
        "awaiting": awaiting,
        "signed_by": signed_by,
        "may_sign": person.is_admin and awaiting is not None and shown.party not in signed_by,
        "annex1_fields": ANNEX1_FIELDS,
        "terms_fields": TERMS_FIELDS,
        "shown_value": shown_value,
        "in_force": next((v for v in versions if v["status"] == "in_force"), None),
    }
    return render(request, "agreements/agreement_detail.html", context)


SIGNATURE_BLOCK = ("place", "signer_name", "signer_role")


async def _signing_page(
    request: Request,
    person: Person,
    agreement_id: str,
    *,
    values: dict[str, str],
    errors: list[tuple[str, str]],
) -> Response:
    """Check your answers: what the person's organisation is about to sign, with the list of
    subprocessors that becomes part of it and the signature block to fill in (DPA-5, DPA-20)."""
    shown, versions = await asyncio.gather(
        load(request, person, agreement_id), _versions(request, person, agreement_id)
    )
    awaiting = _awaiting(shown.agreement, versions)
    if awaiting is None or not person.is_admin:
        return go(f"/agreements/{agreement_id}")
    context = page_context(person, shown, "") | {
        "version": awaiting,
        "annex1_fields": ANNEX1_FIELDS,
        "terms_fields": TERMS_FIELDS,
        "shown_value": shown_value,
        "signed_by": [s["party"] for s in awaiting["signatures"]],
        "values": values,
        "errors": errors,
    }
    return render(request, "agreements/sign_agreement.html", context, status=400 if errors else 200)


@router.get("/agreements/{agreement_id}/sign")
async def check_signature(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    values = {"signer_name": person.display_name}
    return await _signing_page(request, person, agreement_id, values=values, errors=[])


@router.post("/agreements/{agreement_id}/sign")
async def sign(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    values = {name: text(form, name).strip() for name in SIGNATURE_BLOCK}
    missing = {
        "place": t(request, "Enter the place where you sign."),
        "signer_name": t(request, "Enter the name of the person who signs."),
        "signer_role": t(request, "Enter the capacity in which they sign, such as director."),
    }
    errors = [(name, missing[name]) for name in SIGNATURE_BLOCK if not values[name]]
    errors += [
        (name, t(request, "Keep it under 200 characters."))
        for name in SIGNATURE_BLOCK
        if len(values[name]) > 200
    ]
    if text(form, "confirm") != "yes":
        errors.append(("confirm", t(request, "Confirm that you may sign for your organisation.")))
    if errors:
        return await _signing_page(request, person, agreement_id, values=values, errors=errors)
    try:
        await agreements_api(
            request, person, "POST", f"/agreements/{agreement_id}/signatures", json=values
        )
    except ApiRefused as refused:
        if refused.status not in (409, 422):
            raise
        return await _refused_on_overview(request, person, agreement_id, refused)
    return go(f"/agreements/{agreement_id}?done=signed")


async def _refused_on_overview(
    request: Request, person: Person, agreement_id: str, refused: ApiRefused
) -> Response:
    """The overview again, saying why the step was refused (state unchanged)."""
    problem = t(request, "This could not be done: %(reason)s") % {"reason": refused.detail}
    shown, versions = await asyncio.gather(
        load(request, person, agreement_id), _versions(request, person, agreement_id)
    )
    awaiting = _awaiting(shown.agreement, versions)
    signed_by = [s["party"] for s in awaiting["signatures"]] if awaiting else []
    context = page_context(person, shown, "") | {
        "awaiting": awaiting,
        "signed_by": signed_by,
        "may_sign": person.is_admin and awaiting is not None and shown.party not in signed_by,
        "annex1_fields": ANNEX1_FIELDS,
        "terms_fields": TERMS_FIELDS,
        "shown_value": shown_value,
        "in_force": next((v for v in versions if v["status"] == "in_force"), None),
        "errors": [("", problem)],
    }
    return render(request, "agreements/agreement_detail.html", context, status=409)


@router.post("/agreements/{agreement_id}/activation")
async def activate(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    try:
        await agreements_api(request, person, "POST", f"/agreements/{agreement_id}/activation")
    except ApiRefused as refused:
        if refused.status != 409:
            raise
        return await _refused_on_overview(request, person, agreement_id, refused)
    return go(f"/agreements/{agreement_id}?done=activated")


# -- editing the draft and amending -----------------------------------------------------------


@router.get("/agreements/{agreement_id}/draft")
async def edit_draft_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    shown = await load(request, person, agreement_id)
    values = (
        {"title": shown.agreement["title"]}
        | annex1_values(shown.agreement["annex1"])
        | terms_values(shown.agreement["terms"])
    )
    context = page_context(person, shown, "") | {"values": values, "amend": False}
    return render(request, "agreements/change_agreement.html", context)


@router.get("/agreements/{agreement_id}/amend")
async def amend_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    shown = await load(request, person, agreement_id)
    values = annex1_values(shown.agreement["annex1"]) | terms_values(shown.agreement["terms"])
    context = page_context(person, shown, "") | {"values": values, "amend": True}
    return render(request, "agreements/change_agreement.html", context)


@router.post("/agreements/{agreement_id}/draft")
async def edit_draft(request: Request, person: SignedIn, agreement_id: str) -> Response:
    return await _change(request, person, agreement_id, amend=False)


@router.post("/agreements/{agreement_id}/amend")
async def amend(request: Request, person: SignedIn, agreement_id: str) -> Response:
    return await _change(request, person, agreement_id, amend=True)


async def _change(request: Request, person: Person, agreement_id: str, *, amend: bool) -> Response:
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: list[tuple[str, str]] = []
    annex1, annex_shown = read_annex1(partial(t, request), form, errors)
    terms, terms_shown = read_terms(partial(t, request), form, errors)
    values = annex_shown | terms_shown
    body: dict[str, Any] = {"annex1": annex1, "terms": terms}
    if amend:
        reason = text(form, "reason")
        values["reason"] = reason
        if not reason:
            errors.append(("reason", t(request, "Say why the agreement changes.")))
        elif len(reason) > 200:
            errors.append(("reason", t(request, "Keep the reason under 200 characters.")))
        body["reason"] = reason
    else:
        title = text(form, "title")
        values["title"] = title
        if not title or len(title) > 200:
            errors.append(("title", t(request, "Enter a title of at most 200 characters.")))
        body["title"] = title
    if not errors:
        try:
            if amend:
                await agreements_api(
                    request, person, "POST", f"/agreements/{agreement_id}/amendments", json=body
                )
            else:
                await agreements_api(
                    request, person, "PATCH", f"/agreements/{agreement_id}", json=body
                )
        except ApiRefused as refused:
            if refused.status not in (409, 422):
                raise
            errors.append(
                ("", t(request, "This could not be done: %(reason)s") % {"reason": refused.detail})
            )
        else:
            if amend:
                return go(f"/agreements/{agreement_id}/versions?done=amendment_proposed")
            return go(f"/agreements/{agreement_id}?done=saved")
    shown = await load(request, person, agreement_id)
    context = page_context(person, shown, "") | {"values": values, "amend": amend, "errors": errors}
    return render(request, "agreements/change_agreement.html", context, status=400)


@router.post("/agreements/{agreement_id}/amendments/{number}/withdrawal")
async def withdraw_amendment(
    request: Request, person: SignedIn, agreement_id: str, number: str
) -> Response:
    agreement_id = checked_id(agreement_id)
    if not number.isdigit() or len(number) > 6:
        raise NotYours
    try:
        await agreements_api(
            request, person, "POST", f"/agreements/{agreement_id}/amendments/{number}/withdrawal"
        )
    except ApiRefused as refused:
        if refused.status != 409:
            raise
    return go(f"/agreements/{agreement_id}/versions?done=amendment_withdrawn")


# -- Annex 1 and 2 ---------------------------------------------------------------------------


@router.get("/agreements/{agreement_id}/annexes")
async def annexes_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    shown, measures, retention = await asyncio.gather(
        load(request, person, agreement_id),
        agreements_api(request, person, "GET", f"/agreements/{agreement_id}/measures"),
        agreements_api(request, person, "GET", f"/agreements/{agreement_id}/retention"),
    )
    context = page_context(person, shown, "/annexes") | {
        "measures": measures["items"],
        "retention": retention,
        "annex1_fields": ANNEX1_FIELDS,
        "shown_value": shown_value,
    }
    return render(request, "agreements/agreement_annexes.html", context)


def _checked_measure(measure_id: str) -> str:
    if not MEASURE_ID.fullmatch(measure_id):
        raise NotYours
    return measure_id


async def _measure(request: Request, person: Person, agreement_id: str, measure_id: str) -> Any:
    found = await agreements_api(request, person, "GET", f"/agreements/{agreement_id}/measures")
    measure = next((m for m in found["items"] if m["id"] == measure_id), None)
    if measure is None:
        raise ApiRefused(404, "no such measure")
    return measure


@router.get("/agreements/{agreement_id}/measures/{measure_id}")
async def measure_page(
    request: Request, person: SignedIn, agreement_id: str, measure_id: str
) -> Response:
    agreement_id, measure_id = checked_id(agreement_id), _checked_measure(measure_id)
    shown, measure = await asyncio.gather(
        load(request, person, agreement_id), _measure(request, person, agreement_id, measure_id)
    )
    values = {"status": measure["status"], "evidence": measure["evidence"]}
    context = page_context(person, shown, "/annexes") | {
        "measure": measure,
        "values": values,
        "statuses": MEASURE_STATUSES,
    }
    return render(request, "agreements/state_measure.html", context)


@router.post("/agreements/{agreement_id}/measures/{measure_id}")
async def state_measure(
    request: Request, person: SignedIn, agreement_id: str, measure_id: str
) -> Response:
    agreement_id, measure_id = checked_id(agreement_id), _checked_measure(measure_id)
    form = await request.form()
    status, evidence = text(form, "status"), text(form, "evidence")
    errors: list[tuple[str, str]] = []
    if status not in MEASURE_STATUSES:
        errors.append(("status", t(request, "Choose where this measure stands.")))
    if status == "implemented" and not evidence:
        errors.append(
            (
                "evidence",
                t(request, "Say where the evidence is: a measure in place needs evidence."),
            )
        )
    if len(evidence) > 4000:
        errors.append(("evidence", t(request, "Keep this under 4000 characters.")))
    if not errors:
        try:
            await agreements_api(
                request,
                person,
                "PUT",
                f"/agreements/{agreement_id}/measures/{measure_id}",
                json={"status": status, "evidence": evidence},
            )
        except ApiRefused as refused:
            if refused.status not in (409, 422):
                raise
            errors.append(
                ("", t(request, "This could not be done: %(reason)s") % {"reason": refused.detail})
            )
        else:
            return go(
                f"/agreements/{agreement_id}/annexes?done=measure_stated#measure-{measure_id}"
            )
    shown, measure = await asyncio.gather(
        load(request, person, agreement_id), _measure(request, person, agreement_id, measure_id)
    )
    context = page_context(person, shown, "/annexes") | {
        "measure": measure,
        "values": {"status": status, "evidence": evidence},
        "statuses": MEASURE_STATUSES,
        "errors": errors,
    }
    return render(request, "agreements/state_measure.html", context, status=400)


# -- versions --------------------------------------------------------------------------------


@router.get("/agreements/{agreement_id}/versions")
async def versions_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    shown, versions = await asyncio.gather(
        load(request, person, agreement_id), _versions(request, person, agreement_id)
    )
    compared = []
    for position, version in enumerate(versions):
        previous = versions[position - 1] if position else None
        changes = differences(previous, version) if previous else []
        compared.append({"version": version, "previous": previous, "changes": changes})
    compared.reverse()
    context = page_context(person, shown, "/versions") | {"compared": compared}
    return render(request, "agreements/agreement_versions.html", context)


# -- the compliance evidence report ------------------------------------------------------------


@router.get("/agreements/{agreement_id}/report")
async def report_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    report = await agreements_api(
        request, person, "GET", f"/agreements/{agreement_id}/compliance-report"
    )
    shown = seen(report["agreement"], person)
    context = page_context(person, shown, "/report") | {
        "report": report,
        "annex1_fields": ANNEX1_FIELDS,
        "shown_value": shown_value,
        "cell": _cell,
    }
    return render(request, "agreements/compliance_report.html", context)


def _cell(value: Any) -> str:
    """A record's value in a table cell of the report."""
    if isinstance(value, dict):
        return "; ".join(
            f"{key}: {_cell(item)}" for key, item in value.items() if item not in (None, "", [])
        )
    if isinstance(value, list):
        return ", ".join(_cell(item) for item in value)
    if isinstance(value, bool):
        return "✓" if value else "-"
    return "" if value is None else str(value)


__all__ = ["apis_of", "router"]
