"""Working under an agreement: instructions, subprocessors, breaches, staff, disclosures, the end.

The controller issues instructions and decides on subprocessor changes; the processor
acknowledges, announces changes, keeps the staff list and records disclosures. The API decides
who may do what (the wrong party gets 403: the page not found); these pages only offer each
person the forms their side may use.
"""

import asyncio
import datetime as dt
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.agreements.common import (
    Errors,
    _,
    agreements_api,
    checked_id,
    every_of,
    load,
    page_context,
    refused_problem,
    submit,
)
from services.console.agreements.forms import lines, read_subprocessor_change, required, text
from services.console.apis import ApiRefused
from services.console.render import render
from services.console.sessions import Person
from services.console.web import NotYours, SignedIn, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])


def _required(
    request: Request, form: Any, name: str, message: str, errors: Errors, limit: int = 200
) -> str:
    return required(partial(t, request), form, name, message, errors, limit)


async def _with_list(
    request: Request, person: Person, agreement_id: str, listing: str
) -> tuple[Any, list[dict[str, Any]]]:
    """The agreement and one of its lists (``instructions``, ``staff`` …), fetched together."""
    shown, found = await asyncio.gather(
        load(request, person, agreement_id),
        every_of(request, person, f"/agreements/{agreement_id}/{listing}"),
    )
    return shown, found


def _form_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    errors: Errors | None,
    values: dict[str, str] | None,
) -> Response:
    """A page whose form may come back: with its errors (400) and what was typed, kept."""
    context = context | {"errors": errors or [], "values": values or {}}
    return render(request, template, context, status=400 if errors else 200)


# -- instructions ------------------------------------------------------------------------------


async def _instructions_page(
    request: Request,
    person: Person,
    agreement_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    agreement_id = checked_id(agreement_id)
    shown, listed = await _with_list(request, person, agreement_id, "instructions")
    items = sorted(listed, key=lambda item: item["number"], reverse=True)
    numbers = {item["id"]: item["number"] for item in items}
    superseded = {item["supersedes_id"] for item in items if item.get("supersedes_id")}
    context = page_context(person, shown, "/instructions") | {
        "instructions": items,
        "numbers": numbers,
        "superseded": superseded,
        # DPA-14: what the processor may still flag, and what awaits the controller's answer.
        "flaggable": [
            item
            for item in items
            if item.get("standing") == "in_effect" and not item.get("concern_raised_at")
        ],
        "on_hold": [item for item in items if item.get("standing") == "on_hold"],
    }
    return _form_page(request, "agreements/agreement_instructions.html", context, errors, values)


@router.get("/agreements/{agreement_id}/instructions")
async def instructions_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    return await _instructions_page(request, person, agreement_id)


@router.post("/agreements/{agreement_id}/instructions")
async def issue_instruction(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    instruction = _required(request, form, "text", _("Write the instruction."), errors)
    supersedes = text(form, "supersedes_id")
    values = {"text": instruction, "supersedes_id": supersedes}
    body: dict[str, Any] = {"text": instruction}
    if supersedes:
        body["supersedes_id"] = supersedes
    if not errors and await submit(
        request,
        person,
        f"/agreements/{agreement_id}/instructions",
        body,
        errors,
        refusals=(400, 409, 422),
    ):
        return go(f"/agreements/{agreement_id}/instructions?done=instruction_issued")
    return await _instructions_page(request, person, agreement_id, errors=errors, values=values)


@router.post("/agreements/{agreement_id}/instructions/concern")
async def flag_instruction(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """As processor: flag an instruction believed to infringe the GDPR; it goes on hold."""
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    instruction_id = text(form, "instruction_id")
    if not instruction_id:
        errors.append(("instruction_id", t(request, "Choose the instruction.")))
    reason = _required(
        request, form, "concern", _("Say why it infringes the GDPR."), errors, limit=4000
    )
    values = {"instruction_id": instruction_id, "concern": reason}
    if not errors and await submit(
        request,
        person,
        f"/agreements/{agreement_id}/instructions/{checked_id(instruction_id)}/concern",
        {"reason": reason},
        errors,
    ):
        return go(f"/agreements/{agreement_id}/instructions?done=instruction_flagged")
    return await _instructions_page(request, person, agreement_id, errors=errors, values=values)


@router.post("/agreements/{agreement_id}/instructions/{instruction_id}/concern-answer")
async def answer_concern(
    request: Request, person: SignedIn, agreement_id: str, instruction_id: str
) -> Response:
    """As controller: confirm, amend or withdraw an instruction the processor flagged."""
    agreement_id, instruction_id = checked_id(agreement_id), checked_id(instruction_id)
    form = await request.form()
    errors: Errors = []
    outcome = text(form, "outcome")
    if outcome not in ("confirmed", "amended", "withdrawn"):
        errors.append(("outcome", t(request, "Choose your answer.")))
    new_text = text(form, "new_text")
    if outcome == "amended" and not new_text:
        errors.append(("new_text", t(request, "Write the new instruction.")))
    note = text(form, "note")
    body: dict[str, Any] = {"outcome": outcome, "note": note or None}
    if outcome == "amended":
        body["text"] = new_text
    if not errors and await submit(
        request,
        person,
        f"/agreements/{agreement_id}/instructions/{instruction_id}/concern-answer",
        body,
        errors,
    ):
        return go(f"/agreements/{agreement_id}/instructions?done=concern_answered")
    values = {"new_text": new_text, "note": note}
    return await _instructions_page(request, person, agreement_id, errors=errors, values=values)


@router.post("/agreements/{agreement_id}/instructions/{instruction_id}/acknowledgement")
async def acknowledge_instruction(
    request: Request, person: SignedIn, agreement_id: str, instruction_id: str
) -> Response:
    agreement_id, instruction_id = checked_id(agreement_id), checked_id(instruction_id)
    try:
        await agreements_api(
            request,
            person,
            "POST",
            f"/agreements/{agreement_id}/instructions/{instruction_id}/acknowledgement",
        )
    except ApiRefused as refused:
        if refused.status not in (409, 422):
            raise
        return await _instructions_page(
            request, person, agreement_id, errors=[refused_problem(request, refused)]
        )
    return go(f"/agreements/{agreement_id}/instructions?done=instruction_acknowledged")


# -- subprocessors -----------------------------------------------------------------------------


async def _subprocessors(
    request: Request, person: Person, processor_id: str | None
) -> dict[str, Any]:
    if not processor_id:
        return {"current": [], "history": []}
    path = f"/processors/{processor_id}/subprocessors"
    found: dict[str, Any] = await agreements_api(request, person, "GET", path)
    history = list(found["history"])
    while cursor := found.get("next_cursor"):  # every page of the history
        found = await agreements_api(request, person, "GET", path, params={"cursor": cursor})
        history += found["history"]
    return found | {"history": history}


@router.get("/agreements/{agreement_id}/subprocessors")
async def subprocessors_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    shown, notices, held = await asyncio.gather(
        load(request, person, agreement_id),
        every_of(request, person, f"/agreements/{agreement_id}/subprocessor-notices"),
        agreements_api(request, person, "GET", f"/agreements/{agreement_id}/subprocessors"),
    )
    items = sorted(notices, key=lambda notice: notice["notified_at"], reverse=True)
    # What holds for this agreement, from its own controller's decisions (DPA-5).
    context = page_context(person, shown, "/subprocessors") | {
        "notices": items,
        "current": held["in_force"],
        "at_signing": held["at_signing"],
    }
    return render(request, "agreements/agreement_subprocessors.html", context)


async def _notice_page(
    request: Request,
    person: Person,
    agreement_id: str,
    notice_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    agreement_id, notice_id = checked_id(agreement_id), checked_id(notice_id)
    shown, notices = await _with_list(request, person, agreement_id, "subprocessor-notices")
    notice = next((n for n in notices if str(n["id"]) == notice_id), None)
    if notice is None:
        raise NotYours
    context = page_context(person, shown, "/subprocessors") | {
        "notice": notice,
        "change": notice["change"],
        "may_decide": person.is_admin
        and shown.party == "controller"
        and notice["decision"] in ("pending", "objected"),
        "may_resolve": person.is_admin
        and shown.party == "processor"
        and notice["decision"] == "objected"
        and not notice.get("resolution"),
    }
    return _form_page(request, "agreements/object_subprocessor.html", context, errors, values)


@router.get("/agreements/{agreement_id}/subprocessor-notices/{notice_id}")
async def notice_page(
    request: Request, person: SignedIn, agreement_id: str, notice_id: str
) -> Response:
    """The page a subprocessor-change mail links to: the change, its deadline, object or approve."""
    return await _notice_page(request, person, agreement_id, notice_id)


@router.post("/agreements/{agreement_id}/subprocessor-notices/{notice_id}/objection")
async def object_to_change(
    request: Request, person: SignedIn, agreement_id: str, notice_id: str
) -> Response:
    agreement_id, notice_id = checked_id(agreement_id), checked_id(notice_id)
    form = await request.form()
    errors: Errors = []
    reason = _required(request, form, "reason", _("Give the reason for your objection."), errors)
    if not errors:
        try:
            await agreements_api(
                request,
                person,
                "POST",
                f"/agreements/{agreement_id}/subprocessor-notices/{notice_id}/objection",
                json={"reason": reason},
            )
        except ApiRefused as refused:
            if refused.status not in (409, 422):
                raise
            if refused.status == 409:
                errors.append(
                    (
                        "",
                        t(request, "You can no longer object: %(reason)s")
                        % {"reason": refused.detail},
                    )
                )
            else:
                errors.append(refused_problem(request, refused))
        else:
            return go(f"/agreements/{agreement_id}/subprocessor-notices/{notice_id}?done=objected")
    return await _notice_page(
        request, person, agreement_id, notice_id, errors=errors, values={"reason": reason}
    )


@router.post("/agreements/{agreement_id}/subprocessor-notices/{notice_id}/approval")
async def approve_change(
    request: Request, person: SignedIn, agreement_id: str, notice_id: str
) -> Response:
    agreement_id, notice_id = checked_id(agreement_id), checked_id(notice_id)
    try:
        await agreements_api(
            request,
            person,
            "POST",
            f"/agreements/{agreement_id}/subprocessor-notices/{notice_id}/approval",
        )
    except ApiRefused as refused:
        if refused.status not in (409, 422):
            raise
        return await _notice_page(
            request, person, agreement_id, notice_id, errors=[refused_problem(request, refused)]
        )
    return go(f"/agreements/{agreement_id}/subprocessor-notices/{notice_id}?done=change_approved")


@router.post("/agreements/{agreement_id}/subprocessor-notices/{notice_id}/resolution")
async def close_objection(
    request: Request, person: SignedIn, agreement_id: str, notice_id: str
) -> Response:
    """As processor: record how the controller's objection was closed (DPA-5)."""
    agreement_id, notice_id = checked_id(agreement_id), checked_id(notice_id)
    form = await request.form()
    errors: Errors = []
    outcome = text(form, "outcome")
    if outcome not in ("agreement_ended", "processing_moved"):
        errors.append(("outcome", t(request, "Choose how the objection was closed.")))
    note = text(form, "note")
    if not errors and await submit(
        request,
        person,
        f"/agreements/{agreement_id}/subprocessor-notices/{notice_id}/resolution",
        {"outcome": outcome, "note": note or None},
        errors,
    ):
        return go(
            f"/agreements/{agreement_id}/subprocessor-notices/{notice_id}?done=objection_closed"
        )
    return await _notice_page(
        request, person, agreement_id, notice_id, errors=errors, values={"note": note}
    )


def _processor_only(person: Person) -> None:
    if not (person.is_processor and person.is_admin):
        raise NotYours


async def _announce_page(
    request: Request,
    person: Person,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    listed = await _subprocessors(request, person, person.organisation_id)
    # A new announcement starts as an addition, taking effect in 45 days.
    values = values or {
        "kind": "add",
        "effective_date": (dt.date.today() + dt.timedelta(days=45)).isoformat(),
    }
    context = {"current": listed["current"]}
    return _form_page(request, "agreements/announce_subprocessor.html", context, errors, values)


@router.get("/subprocessor-changes/new")
async def announce_page(request: Request, person: SignedIn) -> Response:
    _processor_only(person)
    return await _announce_page(request, person)


@router.post("/subprocessor-changes/new")
async def announce_change(request: Request, person: SignedIn) -> Response:
    _processor_only(person)
    form = await request.form()
    reading = read_subprocessor_change(partial(t, request), form, today=dt.date.today())
    errors = reading.problems
    if not errors:
        try:
            change = await agreements_api(
                request, person, "POST", "/subprocessor-changes", json=reading.body
            )
        except ApiRefused as refused:
            if refused.status not in (403, 409, 422):
                raise
            errors.append(refused_problem(request, refused))
        else:
            return go(f"/subprocessor-changes/{change['id']}?done=change_announced")
    return await _announce_page(request, person, errors=errors, values=reading.values)


async def _change_page(
    request: Request,
    person: Person,
    change_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    listed, agreements = await asyncio.gather(
        _subprocessors(request, person, person.organisation_id),
        every_of(request, person, "/agreements"),
    )
    change = next((c for c in listed["history"] if str(c["id"]) == change_id), None)
    if change is None:
        raise NotYours
    by_id = {str(a["id"]): a for a in agreements}
    context = {"change": change, "agreements": by_id}
    return _form_page(request, "agreements/subprocessor_change.html", context, errors, values)


@router.get("/subprocessor-changes/{change_id}")
async def change_page(request: Request, person: SignedIn, change_id: str) -> Response:
    """A change the processor announced: which agreements and controllers it reached, deadlines,
    and its agreement with the subprocessor (DPA-17)."""
    change_id = checked_id(change_id)
    _processor_only(person)
    return await _change_page(request, person, change_id)


FLOW_DOWN_FIELDS = ("signed_on", "reference", "guarantees", "transfer_countries", "transfer_basis")


@router.post("/subprocessor-changes/{change_id}/flow-down")
async def record_flow_down(request: Request, person: SignedIn, change_id: str) -> Response:
    """As processor: record the agreement with this subprocessor (art. 5, DPA-17)."""
    change_id = checked_id(change_id)
    _processor_only(person)
    form = await request.form()
    values = {name: text(form, name) for name in FLOW_DOWN_FIELDS}
    values |= {name: text(form, name) for name in ("same_obligations", "transfers_outside_eea")}
    errors: Errors = []
    signed_on = _required(request, form, "signed_on", _("Enter the date it was signed."), errors)
    reference = _required(request, form, "reference", _("Enter its reference."), errors)
    guarantees = _required(
        request, form, "guarantees", _("Describe the guarantees it gives."), errors, limit=4000
    )
    if values["same_obligations"] != "yes":
        errors.append(
            (
                "same_obligations",
                t(request, "It must impose the same obligations as your agreements: confirm it."),
            )
        )
    outside = values["transfers_outside_eea"] == "yes"
    countries = [c.strip() for c in values["transfer_countries"].split(",") if c.strip()]
    if outside and not countries:
        errors.append(("transfer_countries", t(request, "Name the countries outside the EEA.")))
    if outside and not values["transfer_basis"]:
        errors.append(("transfer_basis", t(request, "Name the basis of the transfer.")))
    body = {
        "signed_on": signed_on,
        "reference": reference,
        "same_obligations": True,
        "guarantees": guarantees,
        "transfers_outside_eea": outside,
        "transfer_countries": countries if outside else [],
        "transfer_basis": values["transfer_basis"] if outside else None,
    }
    if not errors and await submit(
        request,
        person,
        f"/subprocessor-changes/{change_id}/flow-down",
        body,
        errors,
        refusals=(409, 422),
    ):
        return go(f"/subprocessor-changes/{change_id}?done=flow_down_recorded")
    return await _change_page(request, person, change_id, errors=errors, values=values)


@router.post("/subprocessor-changes/{change_id}/withdrawal")
async def withdraw_change(request: Request, person: SignedIn, change_id: str) -> Response:
    change_id = checked_id(change_id)
    _processor_only(person)
    try:
        await agreements_api(
            request, person, "POST", f"/subprocessor-changes/{change_id}/withdrawal"
        )
    except ApiRefused as refused:
        if refused.status != 409:
            raise
    return go(f"/subprocessor-changes/{change_id}?done=change_withdrawn")


# -- breaches under this agreement ---------------------------------------------------------------


@router.get("/agreements/{agreement_id}/breaches")
async def breaches_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    shown, found = await asyncio.gather(
        load(request, person, agreement_id),
        every_of(request, person, "/breaches"),
    )
    rows = []
    for breach in found:
        notices = [n for n in breach.get("notices") or [] if str(n["agreement_id"]) == agreement_id]
        if notices:
            rows.append({"breach": breach, "notice": notices[0]})
    context = page_context(person, shown, "/breaches") | {"rows": rows}
    return render(request, "agreements/agreement_breaches.html", context)


# -- staff with access -------------------------------------------------------------------------


async def _staff_page(
    request: Request,
    person: Person,
    agreement_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    agreement_id = checked_id(agreement_id)
    shown, listed = await _with_list(request, person, agreement_id, "staff")
    current = [m for m in listed if not m.get("removed_at")]
    former = [m for m in listed if m.get("removed_at")]
    context = page_context(person, shown, "/staff") | {"current": current, "former": former}
    return _form_page(request, "agreements/agreement_staff.html", context, errors, values)


@router.get("/agreements/{agreement_id}/staff")
async def staff_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    return await _staff_page(request, person, agreement_id)


@router.post("/agreements/{agreement_id}/staff")
async def add_staff(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    name = _required(request, form, "name", _("Enter the person's or department's name."), errors)
    function = _required(request, form, "function", _("Enter their function."), errors)
    signed_on = text(form, "confidentiality_signed_on")
    briefed = bool(text(form, "gdpr_briefed"))
    try:
        dt.date.fromisoformat(signed_on)
    except ValueError:
        errors.append(
            (
                "confidentiality_signed_on",
                t(request, "Enter the date they signed, like 2026-11-30."),
            )
        )
    if not briefed:
        errors.append(
            (
                "gdpr_briefed",
                t(request, "Only people informed of the GDPR may have access: confirm they were."),
            )
        )
    values = {
        "name": name,
        "function": function,
        "confidentiality_signed_on": signed_on,
        "gdpr_briefed": "yes" if briefed else "",
    }
    body = {
        "name": name,
        "function": function,
        "confidentiality_signed_on": signed_on,
        "gdpr_briefed": briefed,
    }
    if not errors and await submit(
        request, person, f"/agreements/{agreement_id}/staff", body, errors, refusals=(409, 422)
    ):
        return go(f"/agreements/{agreement_id}/staff?done=staff_added")
    return await _staff_page(request, person, agreement_id, errors=errors, values=values)


@router.post("/agreements/{agreement_id}/staff/{member_id}/removal")
async def remove_staff(
    request: Request, person: SignedIn, agreement_id: str, member_id: str
) -> Response:
    agreement_id, member_id = checked_id(agreement_id), checked_id(member_id)
    try:
        await agreements_api(
            request, person, "POST", f"/agreements/{agreement_id}/staff/{member_id}/removal"
        )
    except ApiRefused as refused:
        if refused.status not in (409, 422):
            raise
        return await _staff_page(
            request, person, agreement_id, errors=[refused_problem(request, refused)]
        )
    return go(f"/agreements/{agreement_id}/staff?done=staff_removed")


# -- disclosures ---------------------------------------------------------------------------------


async def _disclosures_page(
    request: Request,
    person: Person,
    agreement_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    agreement_id = checked_id(agreement_id)
    shown, listed = await _with_list(request, person, agreement_id, "disclosures")
    items = sorted(listed, key=lambda d: d["recorded_at"], reverse=True)
    context = page_context(person, shown, "/disclosures") | {"disclosures": items}
    return _form_page(request, "agreements/agreement_disclosures.html", context, errors, values)


@router.get("/agreements/{agreement_id}/disclosures")
async def disclosures_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    return await _disclosures_page(request, person, agreement_id)


@router.post("/agreements/{agreement_id}/disclosures")
async def record_disclosure(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    authority = _required(
        request, form, "authority", _("Name the authority that demands the data."), errors
    )
    basis = _required(
        request, form, "legal_basis", _("Give the legal basis of the demand."), errors
    )
    scope = _required(request, form, "scope", _("Say which data the demand covers."), errors)
    prohibited = bool(text(form, "prohibited_by_law"))
    values = {
        "authority": authority,
        "legal_basis": basis,
        "scope": scope,
        "prohibited_by_law": "yes" if prohibited else "",
    }
    if not errors:
        body = {
            "authority": authority,
            "legal_basis": basis,
            "scope": scope,
            "prohibited_by_law": prohibited,
        }
        try:
            created = await agreements_api(
                request, person, "POST", f"/agreements/{agreement_id}/disclosures", json=body
            )
        except ApiRefused as refused:
            if refused.status not in (409, 422):
                raise
            errors.append(refused_problem(request, refused))
        else:
            return go(
                f"/agreements/{agreement_id}/disclosures/{created['id']}?done=disclosure_recorded"
            )
    return await _disclosures_page(request, person, agreement_id, errors=errors, values=values)


OUTCOMES = ("complied", "refused", "contested", "withdrawn")


async def _disclosure_page(
    request: Request,
    person: Person,
    agreement_id: str,
    disclosure_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    agreement_id, disclosure_id = checked_id(agreement_id), checked_id(disclosure_id)
    shown, listed = await _with_list(request, person, agreement_id, "disclosures")
    disclosure = next((d for d in listed if str(d["id"]) == disclosure_id), None)
    if disclosure is None:
        raise NotYours
    context = page_context(person, shown, "/disclosures") | {
        "disclosure": disclosure,
        "outcomes": OUTCOMES,
    }
    return _form_page(request, "agreements/disclosure_detail.html", context, errors, values)


@router.get("/agreements/{agreement_id}/disclosures/{disclosure_id}")
async def disclosure_page(
    request: Request, person: SignedIn, agreement_id: str, disclosure_id: str
) -> Response:
    return await _disclosure_page(request, person, agreement_id, disclosure_id)


@router.post("/agreements/{agreement_id}/disclosures/{disclosure_id}/outcome")
async def record_outcome(
    request: Request, person: SignedIn, agreement_id: str, disclosure_id: str
) -> Response:
    agreement_id, disclosure_id = checked_id(agreement_id), checked_id(disclosure_id)
    form = await request.form()
    errors: Errors = []
    outcome = text(form, "outcome")
    note = text(form, "note")
    lifted = bool(text(form, "prohibition_lifted"))
    if outcome not in OUTCOMES:
        errors.append(("outcome", t(request, "Choose the outcome.")))
    if len(note) > 4000:
        errors.append(("note", t(request, "Keep this under 4000 characters.")))
    values = {"outcome": outcome, "note": note, "prohibition_lifted": "yes" if lifted else ""}
    body = {"outcome": outcome, "note": note or None, "prohibition_lifted": lifted}
    if not errors and await submit(
        request,
        person,
        f"/agreements/{agreement_id}/disclosures/{disclosure_id}/outcome",
        body,
        errors,
        refusals=(409, 422),
    ):
        return go(f"/agreements/{agreement_id}/disclosures/{disclosure_id}?done=saved")
    return await _disclosure_page(
        request, person, agreement_id, disclosure_id, errors=errors, values=values
    )


# -- the end: termination, return or destruction -------------------------------------------------


async def _certificate(request: Request, person: Person, agreement: dict[str, Any]) -> Any:
    if agreement["status"] != "closed":
        return None
    try:
        return await agreements_api(
            request, person, "GET", f"/agreements/{agreement['id']}/certificate"
        )
    except ApiRefused as refused:
        if refused.status == 404:
            return None
        raise


async def _end_page(
    request: Request,
    person: Person,
    agreement_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    shown = await load(request, person, agreement_id)
    ended = shown.agreement["status"] in ("terminated", "closed")
    certificate, closure = await asyncio.gather(
        _certificate(request, person, shown.agreement),
        agreements_api(request, person, "GET", f"/agreements/{agreement_id}/closure")
        if ended
        else asyncio.sleep(0, None),
    )
    context = page_context(person, shown, "/end") | {
        "certificate": certificate,
        "closure": closure,
    }
    return _form_page(request, "agreements/agreement_end.html", context, errors, values)


@router.get("/agreements/{agreement_id}/end")
async def end_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    return await _end_page(request, person, checked_id(agreement_id))


@router.post("/agreements/{agreement_id}/termination/check")
async def check_termination(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """Check your answers before ending the agreement."""
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    reason = _required(request, form, "reason", _("Say why the agreement ends."), errors)
    if errors:
        return await _end_page(
            request, person, agreement_id, errors=errors, values={"reason": reason}
        )
    shown = await load(request, person, agreement_id)
    context = page_context(person, shown, "/end") | {"reason": reason}
    return render(request, "agreements/terminate_agreement.html", context)


@router.post("/agreements/{agreement_id}/termination")
async def terminate(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    reason = _required(request, form, "reason", _("Say why the agreement ends."), errors)
    if not errors and await submit(
        request,
        person,
        f"/agreements/{agreement_id}/termination",
        {"reason": reason},
        errors,
        refusals=(409, 422),
    ):
        return go(f"/agreements/{agreement_id}/end?done=terminated")
    return await _end_page(request, person, agreement_id, errors=errors, values={"reason": reason})


@router.get("/agreements/{agreement_id}/export")
async def download_export(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """The return export (ZIP with manifest), straight from the agreements service."""
    agreement_id = checked_id(agreement_id)
    answer = await apis_of(request).call(
        "agreements", "GET", f"/agreements/{agreement_id}/export", token=person.access_token
    )
    return Response(
        answer.content,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="agreement-{agreement_id}.zip"'},
    )


def _closure(request: Request, form: Any, errors: Errors) -> tuple[dict[str, Any], dict[str, str]]:
    choice = text(form, "choice")
    holds_text = text(form, "legal_holds")
    if choice not in ("return", "destroy"):
        errors.append(("choice", t(request, "Choose return or destruction.")))
    holds = []
    for line in lines(holds_text):
        what, _, why = line.partition(":")
        if not what.strip() or not why.strip() or len(what) > 200 or len(why) > 200:
            errors.append(("legal_holds", t(request, "Write each legal hold as: what: why.")))
            break
        holds.append({"what": what.strip(), "why": why.strip()})
    return {"choice": choice, "legal_holds": holds}, {"choice": choice, "legal_holds": holds_text}


@router.post("/agreements/{agreement_id}/closure/check")
async def check_closure(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    body, values = _closure(request, form, errors)
    if errors:
        return await _end_page(request, person, agreement_id, errors=errors, values=values)
    shown = await load(request, person, agreement_id)
    context = page_context(person, shown, "/end") | {"closure": body, "values": values}
    return render(request, "agreements/close_agreement.html", context)


@router.post("/agreements/{agreement_id}/closure")
async def close(request: Request, person: SignedIn, agreement_id: str) -> Response:
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    body, values = _closure(request, form, errors)
    if not errors and await submit(
        request, person, f"/agreements/{agreement_id}/closure", body, errors, refusals=(409, 422)
    ):
        return go(f"/agreements/{agreement_id}/end?done=closed")
    return await _end_page(request, person, agreement_id, errors=errors, values=values)
