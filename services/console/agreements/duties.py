"""What the parties owe each other beside instructions: the processor's privacy notice, which the
controller approves before processing starts (DPA-10); data subjects' requests the processor
forwards, assists with and the controller closes (DPA-15); the controller's requests for help with
a DPIA or a prior consultation (DPA-16) or for intervention in a claim (DPA-19), and the answers.

The API decides who may do what (the wrong party gets 403, a stranger 404: the page not found);
these pages only offer each person the forms their side may use.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.agreements.common import (
    Errors,
    Seen,
    _,
    checked_id,
    page_context,
    submit,
)
from services.console.agreements.forms import text
from services.console.agreements.work import _form_page, _required, _with_list
from services.console.language import brussels_moment
from services.console.sessions import Person
from services.console.web import SignedIn, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

# The agreement's states in which the processor may still hold the data: requests and help
# may be asked until the return or destruction is certified.
LIVE_OR_HOLDING = ("signed", "active", "terminated")


async def _tab_page(
    request: Request,
    person: Person,
    agreement_id: str,
    listing: str,
    tab: str,
    template: str,
    more: Callable[[Seen, list[dict[str, Any]]], dict[str, Any]],
    errors: Errors | None,
    values: dict[str, str] | None,
) -> Response:
    """One tab of the agreement: the agreement and one of its lists, with what the tab adds."""
    shown, items = await _with_list(request, person, checked_id(agreement_id), listing)
    context = page_context(person, shown, tab) | more(shown, items)
    return _form_page(request, template, context, errors, values)


# -- the privacy notice (DPA-10) ---------------------------------------------------------------


async def _privacy_notice_page(
    request: Request,
    person: Person,
    agreement_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    def more(shown: Seen, versions: list[dict[str, Any]]) -> dict[str, Any]:
        newest = versions[0] if versions else None
        ended = shown.agreement["status"] in ("terminated", "closed")
        return {
            "versions": versions,
            "newest": newest,
            "awaiting": newest is not None and newest["review"] is None,
            "may_submit": not ended and (newest is None or newest["review"] is not None),
            "ended": ended,
        }

    return await _tab_page(
        request, person, agreement_id, "privacy-notices", "/privacy-notice",
        "agreements/agreement_privacy_notice.html", more, errors, values,
    )  # fmt: skip


@router.get("/agreements/{agreement_id}/privacy-notice")
async def privacy_notice_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    return await _privacy_notice_page(request, person, agreement_id)


@router.post("/agreements/{agreement_id}/privacy-notice")
async def submit_privacy_notice(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """As processor: submit the privacy notice (or its next version) to the controller."""
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    notice = _required(
        request, form, "text", _("Write what the people concerned are told."), errors, limit=20_000
    )
    manner = _required(
        request, form, "manner", _("Say how and when they are told."), errors, limit=4000
    )
    values = {"text": notice, "manner": manner}
    if not errors and await submit(
        request,
        person,
        f"/agreements/{agreement_id}/privacy-notices",
        {"text": notice, "manner": manner},
        errors,
    ):
        return go(f"/agreements/{agreement_id}/privacy-notice?done=privacy_notice_submitted")
    return await _privacy_notice_page(request, person, agreement_id, errors=errors, values=values)


@router.post("/agreements/{agreement_id}/privacy-notice/{notice_id}/answer")
async def answer_privacy_notice(
    request: Request, person: SignedIn, agreement_id: str, notice_id: str
) -> Response:
    """As controller: approve the privacy notice, or say what must change."""
    agreement_id, notice_id = checked_id(agreement_id), checked_id(notice_id)
    form = await request.form()
    errors: Errors = []
    review = text(form, "review")
    if review not in ("approved", "commented"):
        errors.append(("review", t(request, "Choose your answer.")))
    comment = text(form, "comment")
    if review == "commented" and not comment:
        errors.append(("comment", t(request, "Say what the processor must change.")))
    elif len(comment) > 4000:
        errors.append(
            ("comment", t(request, "Keep this under %(num)d characters.") % {"num": 4000})
        )
    values = {"review": review, "comment": comment}
    if not errors and await submit(
        request,
        person,
        f"/agreements/{agreement_id}/privacy-notices/{notice_id}/answer",
        {"review": review, "comment": comment or None},
        errors,
    ):
        return go(f"/agreements/{agreement_id}/privacy-notice?done=privacy_notice_{review}")
    return await _privacy_notice_page(request, person, agreement_id, errors=errors, values=values)


# -- data subjects' requests (DPA-15) -----------------------------------------------------------

RIGHTS = (
    "access",
    "rectification",
    "erasure",
    "restriction",
    "portability",
    "objection",
    "automated_decision",
)
OUTCOMES = ("answered", "refused", "withdrawn")


async def _subject_requests_page(
    request: Request,
    person: Person,
    agreement_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    def more(shown: Seen, requests: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "requests": requests,
            "rights": RIGHTS,
            "outcomes": OUTCOMES,
            "may_forward": shown.agreement["status"] in LIVE_OR_HOLDING,
        }

    return await _tab_page(
        request, person, agreement_id, "subject-requests", "/subject-requests",
        "agreements/agreement_subject_requests.html", more, errors, values,
    )  # fmt: skip


@router.get("/agreements/{agreement_id}/subject-requests")
async def subject_requests_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    return await _subject_requests_page(request, person, agreement_id)


@router.post("/agreements/{agreement_id}/subject-requests")
async def forward_subject_request(
    request: Request, person: SignedIn, agreement_id: str
) -> Response:
    """As processor: forward a data subject's request that reached you to the controller."""
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    right = text(form, "right")
    if right not in RIGHTS:
        errors.append(("right", t(request, "Choose the right the person invokes.")))
    received = text(form, "received_at")
    received_at = brussels_moment(received)
    if received_at is None:
        errors.append(("received_at", t(request, "Enter when the request reached you.")))
    summary = _required(
        request, form, "summary", _("Say what is asked and how it arrived."), errors, limit=4000
    )
    values = {"right": right, "received_at": received, "summary": summary}
    if not errors and received_at is not None:
        body = {"right": right, "received_at": received_at.isoformat(), "summary": summary}
        path = f"/agreements/{agreement_id}/subject-requests"
        if await submit(request, person, path, body, errors):
            return go(f"{path}?done=subject_request_forwarded")
    return await _subject_requests_page(request, person, agreement_id, errors=errors, values=values)


@router.post("/agreements/{agreement_id}/subject-requests/{request_id}/assistance")
async def assist_with_subject_request(
    request: Request, person: SignedIn, agreement_id: str, request_id: str
) -> Response:
    """As processor: record what you did to assist."""
    agreement_id, request_id = checked_id(agreement_id), checked_id(request_id)
    form = await request.form()
    errors: Errors = []
    assistance = _required(
        request, form, "assistance", _("Say what you did to assist."), errors, limit=4000
    )
    path = f"/agreements/{agreement_id}/subject-requests"
    if not errors and await submit(
        request, person, f"{path}/{request_id}/assistance", {"assistance": assistance}, errors
    ):
        return go(f"{path}?done=subject_request_assisted")
    return await _subject_requests_page(
        request, person, agreement_id, errors=errors, values={"assistance": assistance}
    )


@router.post("/agreements/{agreement_id}/subject-requests/{request_id}/closure")
async def close_subject_request(
    request: Request, person: SignedIn, agreement_id: str, request_id: str
) -> Response:
    """As controller: close the request, saying how it ended."""
    agreement_id, request_id = checked_id(agreement_id), checked_id(request_id)
    form = await request.form()
    errors: Errors = []
    outcome = text(form, "outcome")
    if outcome not in OUTCOMES:
        errors.append(("outcome", t(request, "Choose how the request ended.")))
    note = text(form, "note")
    path = f"/agreements/{agreement_id}/subject-requests"
    body = {"outcome": outcome, "note": note or None}
    if not errors and await submit(request, person, f"{path}/{request_id}/closure", body, errors):
        return go(f"{path}?done=subject_request_closed")
    return await _subject_requests_page(
        request, person, agreement_id, errors=errors, values={"note": note}
    )


# -- help with a DPIA or a prior consultation (DPA-16), intervention in a claim (DPA-19) --------

KINDS = ("dpia", "prior_consultation", "claim")


async def _assistance_page(
    request: Request,
    person: Person,
    agreement_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    def more(shown: Seen, requests: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "requests": requests,
            "kinds": KINDS,
            "may_ask": shown.agreement["status"] in LIVE_OR_HOLDING,
        }

    return await _tab_page(
        request, person, agreement_id, "assistance-requests", "/assistance",
        "agreements/agreement_assistance.html", more, errors, values,
    )  # fmt: skip


@router.get("/agreements/{agreement_id}/assistance")
async def assistance_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    return await _assistance_page(request, person, agreement_id)


@router.post("/agreements/{agreement_id}/assistance")
async def ask_for_assistance(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """As controller: ask the processor's help, or its intervention in a claim."""
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    errors: Errors = []
    kind = text(form, "kind")
    if kind not in KINDS:
        errors.append(("kind", t(request, "Choose what you need the processor's help with.")))
    question = _required(
        request, form, "question", _("Say what you ask of the processor."), errors, limit=4000
    )
    due_on = text(form, "due_on")
    values = {"kind": kind, "question": question, "due_on": due_on}
    path = f"/agreements/{agreement_id}/assistance-requests"
    body = {"kind": kind, "question": question, "due_on": due_on or None}
    if not errors and await submit(request, person, path, body, errors):
        return go(f"/agreements/{agreement_id}/assistance?done=assistance_requested")
    return await _assistance_page(request, person, agreement_id, errors=errors, values=values)


@router.post("/agreements/{agreement_id}/assistance/{request_id}/answer")
async def answer_assistance_request(
    request: Request, person: SignedIn, agreement_id: str, request_id: str
) -> Response:
    """As processor: answer the controller's request; for a claim, whether you intervene."""
    agreement_id, request_id = checked_id(agreement_id), checked_id(request_id)
    form = await request.form()
    errors: Errors = []
    answer = _required(request, form, "answer", _("Write your answer."), errors, limit=4000)
    body: dict[str, Any] = {"answer": answer}
    if text(form, "kind") == "claim":
        intervenes = text(form, "intervenes")
        if intervenes not in ("yes", "no"):
            errors.append(("intervenes", t(request, "Say whether you intervene.")))
        body["intervenes"] = intervenes == "yes"
    path = f"/agreements/{agreement_id}/assistance-requests/{request_id}/answer"
    if not errors and await submit(request, person, path, body, errors):
        return go(f"/agreements/{agreement_id}/assistance?done=assistance_answered")
    return await _assistance_page(
        request, person, agreement_id, errors=errors, values={"answer": answer}
    )
