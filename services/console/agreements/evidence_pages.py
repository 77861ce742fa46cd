"""The evidence pack's pages (DPA-11): a period picker with the pack's contents and its
downloads, the pack as JSON, and the pack as a printable document for the auditor."""

import json
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.agreements import evidence
from services.console.agreements.common import (
    ANNEX1_FIELDS,
    checked_id,
    page_context,
    seen,
    shown_value,
)
from services.console.agreements.pages import _cell
from services.console.language import BRUSSELS
from services.console.render import render
from services.console.sessions import Person
from services.console.web import SignedIn, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])


def _period(request: Request) -> evidence.Period:
    today = datetime.now(BRUSSELS).date()
    asked = request.query_params
    return evidence.period_of(asked.get("from", ""), asked.get("to", ""), today=today)


async def _pack_page(
    request: Request, person: Person, agreement_id: str, template: str
) -> Response:
    agreement_id = checked_id(agreement_id)
    problem: evidence.BadPeriod | None = None
    try:
        period = _period(request)
    except evidence.BadPeriod as bad:
        period, problem = evidence.period_of("", "", today=datetime.now(BRUSSELS).date()), bad
    pack = await evidence.assemble(request, person, agreement_id, period)
    shown = seen(pack["report"]["agreement"], person)
    query = f"from={period.first.isoformat()}&to={period.last.isoformat()}"
    context = page_context(person, shown, "/evidence-pack") | {
        "pack": pack,
        "report": pack["report"],
        "period": period,
        "query": query,
        "errors": [("from", t(request, str(problem)))] if problem else [],
        "values": dict(request.query_params),
        "cell": _cell,
        "annex1_fields": ANNEX1_FIELDS,
        "shown_value": shown_value,
    }
    return render(request, template, context, status=400 if problem else 200)


@router.get("/agreements/{agreement_id}/evidence-pack")
async def evidence_pack_page(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """The period picker, what the pack holds for it, and its downloads."""
    return await _pack_page(request, person, agreement_id, "agreements/evidence_pack.html")


@router.get("/agreements/{agreement_id}/evidence-pack/document")
async def evidence_pack_document(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """The pack as a document to print or save as PDF and hand to an auditor."""
    return await _pack_page(request, person, agreement_id, "agreements/evidence_pack_document.html")


@router.get("/agreements/{agreement_id}/evidence-pack.json")
async def evidence_pack_json(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """The pack as one JSON document, with the proofs a verifier checks offline."""
    agreement_id = checked_id(agreement_id)
    try:
        period = _period(request)
    except evidence.BadPeriod as bad:
        body = json.dumps({"detail": t(request, str(bad))})
        return Response(body, status_code=400, media_type="application/json")
    pack = await evidence.assemble(request, person, agreement_id, period)
    name = f"evidence-pack-{agreement_id}-{period.first.isoformat()}-{period.last.isoformat()}"
    return Response(
        json.dumps(pack, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{name}.json"'},
    )
