"""The controller's side of art. 6 (DPA-18) next to Annex 2: the risk assessment Annex 2 is
matched to, the controller's own measures, and its reviews of the processor's measures with their
follow-up until it closes them.

The API decides who may do what (the wrong party gets 403, a stranger 404: the page not found);
these pages only offer each person the forms their side may use.
"""

import asyncio
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
    submit,
)
from services.console.agreements.forms import LONG_TEXT, text
from services.console.agreements.work import _form_page, _required
from services.console.sessions import Person
from services.console.web import SignedIn, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

RATINGS = ("low", "medium", "high")
RISK_ROWS = 5  # the form offers this many risks; empty rows are left out
OPEN = ("draft", "signed", "active")


async def _page(
    request: Request,
    person: Person,
    agreement_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    agreement_id = checked_id(agreement_id)
    base = f"/agreements/{agreement_id}"
    shown, own, reviews, assessments, annex2 = await asyncio.gather(
        load(request, person, agreement_id),
        every_of(request, person, f"{base}/controller-measures"),
        every_of(request, person, f"{base}/measure-reviews"),
        every_of(request, person, f"{base}/risk-assessments"),
        agreements_api(request, person, "GET", f"{base}/measures"),
    )
    current = assessments[-1] if assessments else None
    shown_values = values if values is not None else _risk_values(current)
    context = page_context(person, shown, "/supervision") | {
        "own_measures": own,
        "reviews": sorted(reviews, key=lambda r: r["reviewed_on"], reverse=True),
        "assessment": current,
        "assessments": len(assessments),
        "annex2": annex2["items"],
        "ratings": RATINGS,
        "risk_rows": range(1, RISK_ROWS + 1),
        "may_record": shown.agreement["status"] in OPEN,
    }
    return _form_page(
        request, "agreements/agreement_supervision.html", context, errors, shown_values
    )


def _risk_values(assessment: dict[str, Any] | None) -> dict[str, str]:
    """The current assessment as the form shows it, to start the next one from."""
    if assessment is None:
        return {}
    values = {"assessed_by": assessment["reviewed_by"]}
    for number, risk in enumerate(assessment["risks"][:RISK_ROWS], start=1):
        values |= {
            f"risk-{number}": risk["description"],
            f"likelihood-{number}": risk["likelihood"],
            f"impact-{number}": risk["impact"],
            f"measures-{number}": ", ".join(risk["measure_ids"]),
        }
    return values


@router.get("/agreements/{agreement_id}/supervision")
async def supervision_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    return await _page(request, person, agreement_id)


@router.post("/agreements/{agreement_id}/supervision/measures")
async def record_own_measure(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """As controller: record a measure of your own."""
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    title = _required(request, form, "title", _("Name the measure."), errors)
    description = text(form, "description")
    values = {"title": title, "description": description}
    body = {"title": title, "description": description}
    path = f"/agreements/{agreement_id}/controller-measures"
    if not errors and await submit(request, person, path, body, errors):
        return go(f"/agreements/{agreement_id}/supervision?done=own_measure_recorded")
    return await _page(request, person, agreement_id, errors=errors, values=values)


@router.post("/agreements/{agreement_id}/supervision/reviews")
async def review_measure(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """As controller: record a review of a processor's measure and the follow-up you ask."""
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    measure_id = text(form, "measure_id")
    if not measure_id:
        errors.append(("measure_id", t(request, "Choose the measure you reviewed.")))
    reviewed_on = text(form, "reviewed_on")
    if not reviewed_on:
        errors.append(("reviewed_on", t(request, "Give the date of the review.")))
    reviewer = _required(request, form, "reviewer", _("Say who reviewed it."), errors)
    finding = _required(request, form, "finding", _("Say what you found."), errors, LONG_TEXT)
    follow_up = text(form, "follow_up")
    due = text(form, "follow_up_due_on")
    values = {"measure_id": measure_id, "reviewed_on": reviewed_on, "reviewer": reviewer,
              "finding": finding, "follow_up": follow_up, "follow_up_due_on": due}  # fmt: skip
    body = values | {"follow_up": follow_up or None, "follow_up_due_on": due or None}
    path = f"/agreements/{agreement_id}/measure-reviews"
    if not errors and await submit(request, person, path, body, errors):
        return go(f"/agreements/{agreement_id}/supervision?done=review_recorded")
    return await _page(request, person, agreement_id, errors=errors, values=values)


@router.post("/agreements/{agreement_id}/supervision/reviews/{review_id}/closure")
async def close_review(
    request: Request, person: SignedIn, agreement_id: str, review_id: str
) -> Response:
    """As controller: close a review once its follow-up is done."""
    agreement_id, review_id = checked_id(agreement_id), checked_id(review_id)
    form = await request.form()
    errors: Errors = []
    body = {"note": text(form, "note")}
    path = f"/agreements/{agreement_id}/measure-reviews/{review_id}/closure"
    if await submit(request, person, path, body, errors):
        return go(f"/agreements/{agreement_id}/supervision?done=review_closed")
    return await _page(request, person, agreement_id, errors=errors)


@router.post("/agreements/{agreement_id}/supervision/risks")
async def assess_risks(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """As either party: record the risk assessment Annex 2 is matched to."""
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    values = {key: text(form, key) for key in form if isinstance(form[key], str)}
    values.pop("csrf_token", None)
    risks = []
    for number in range(1, RISK_ROWS + 1):
        description = values.get(f"risk-{number}", "")
        if not description:
            continue
        likelihood, impact = values.get(f"likelihood-{number}"), values.get(f"impact-{number}")
        if likelihood not in RATINGS or impact not in RATINGS:
            message = t(request, "Rate how likely risk %(num)d is and how grave its impact.")
            errors.append((f"likelihood-{number}", message % {"num": number}))
        measures = [m.strip() for m in values.get(f"measures-{number}", "").split(",")]
        risks.append({"description": description, "likelihood": likelihood, "impact": impact,
                      "measure_ids": [m for m in measures if m]})  # fmt: skip
    if not risks:
        errors.append(("risk-1", t(request, "Describe at least one risk.")))
    if not values.get("assessed_on"):
        errors.append(("assessed_on", t(request, "Give the date of the assessment.")))
    if not values.get("assessed_by"):
        errors.append(("assessed_by", t(request, "Say who assessed the risks.")))
    body = {"risks": risks, "reviewed_on": values.get("assessed_on"),
            "reviewed_by": values.get("assessed_by")}  # fmt: skip
    path = f"/agreements/{agreement_id}/risk-assessments"
    if not errors and await submit(request, person, path, body, errors):
        return go(f"/agreements/{agreement_id}/supervision?done=risks_assessed")
    return await _page(request, person, agreement_id, errors=errors, values=values)
