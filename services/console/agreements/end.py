"""The end that means it (DPA-13, DPA-4b), in the console: the processor's admin attests what it
destroyed or returned on its own systems and backups; either party downloads the signed
certificate; anyone signed in checks a certificate (pasted or uploaded) against the key pactum
publishes, and reads in plain words whether it is genuine.

The API decides who may attest (the controller gets 403, a stranger 404: the page not found).
"""

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from services.console.agreements import certificate_check
from services.console.agreements.common import Errors, checked_id, submit
from services.console.agreements.forms import lines, text
from services.console.agreements.work import _end_page
from services.console.language import brussels_moment
from services.console.render import render
from services.console.web import SignedIn, apis_of, go, t, visitor

router = APIRouter(dependencies=[Depends(visitor)])

# What a person types for the action, in any of the console's languages.
ACTIONS = {
    "destroyed": "destroyed",
    "returned": "returned",
    "vernietigd": "destroyed",
    "terugbezorgd": "returned",
    "détruit": "destroyed",
    "restitué": "returned",
}


@router.get("/agreements/{agreement_id}/certificate.json")
async def download_certificate(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """The signed certificate as JSON, to keep or to check (here or with openssl)."""
    agreement_id = checked_id(agreement_id)
    answer = await apis_of(request).call(
        "agreements", "GET", f"/agreements/{agreement_id}/certificate", token=person.access_token
    )
    return Response(
        answer.content,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="certificate-{agreement_id}.json"'},
    )


def _items(request: Request, written: str, errors: Errors) -> list[dict[str, Any]]:
    """One item a line: what | where | destroyed or returned | when | how | backup expiry."""
    items: list[dict[str, Any]] = []
    for number, line in enumerate(lines(written), start=1):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (5, 6) or not all(parts[:5]):
            errors.append(
                (
                    "items",
                    t(
                        request,
                        "Line %(num)d: write what | where | destroyed or returned | when | how, "
                        "and for a backup | when it expires.",
                    )
                    % {"num": number},
                )
            )
            return []
        what, system, action, when, method = parts[:5]
        done_at = brussels_moment(when)
        expires = brussels_moment(parts[5]) if len(parts) == 6 and parts[5] else None
        if (
            action.lower() not in ACTIONS
            or done_at is None
            or (len(parts) == 6 and parts[5] and expires is None)
        ):
            errors.append(
                (
                    "items",
                    t(
                        request,
                        "Line %(num)d: say destroyed or returned, and give dates like 2027-01-31.",
                    )
                    % {"num": number},
                )
            )
            return []
        items.append(
            {
                "what": what,
                "system": system,
                "action": ACTIONS[action.lower()],
                "done_at": done_at.isoformat(),
                "method": method,
                "backup": expires is not None,
                "backup_expires_at": expires.isoformat() if expires else None,
            }
        )
    if not items and not errors:
        errors.append(("items", t(request, "Write at least one thing destroyed or returned.")))
    return items


@router.post("/agreements/{agreement_id}/destruction-attestation")
async def attest(request: Request, person: SignedIn, agreement_id: str) -> Response:
    """As the processor's admin: attest, in your own name, what you destroyed or returned."""
    agreement_id = checked_id(agreement_id)
    form = await request.form()
    written = text(form, "items")
    errors: Errors = []
    items = _items(request, written, errors)
    if not form.get("confirm"):
        errors.append(("confirm", t(request, "Confirm that what you attest is true.")))
    if not errors and await submit(
        request,
        person,
        f"/agreements/{agreement_id}/destruction-attestation",
        {"items": items},
        errors,
        refusals=(409, 422),
    ):
        return go(f"/agreements/{agreement_id}/end?done=attested")
    return await _end_page(request, person, agreement_id, errors=errors, values={"items": written})


# -- checking a certificate --------------------------------------------------------------------


def _verification_page(
    request: Request, *, checked: certificate_check.Checked | None, errors: Errors, pasted: str
) -> Response:
    context = {"checked": checked, "errors": errors, "values": {"certificate": pasted}}
    return render(
        request, "agreements/verify_certificate.html", context, status=400 if errors else 200
    )


@router.get("/certificates/verification")
async def verification_page(request: Request, person: SignedIn) -> Response:
    return _verification_page(request, checked=None, errors=[], pasted="")


@router.post("/certificates/verification")
async def verify(request: Request, person: SignedIn) -> Response:
    """Say whether a pasted or uploaded certificate is genuine, in plain words."""
    form = await request.form()
    pasted = text(form, "certificate")
    upload = form.get("file")
    document = pasted.encode()
    if isinstance(upload, UploadFile) and upload.filename:
        document = await upload.read(certificate_check.LARGEST + 1)
    if not document.strip():
        errors: Errors = [("certificate", t(request, "Paste the certificate or choose its file."))]
        return _verification_page(request, checked=None, errors=errors, pasted=pasted)
    published = await apis_of(request).json(
        "agreements", "GET", "/certificate-keys", token=person.access_token
    )
    keys = published.get("keys", []) if isinstance(published, dict) else []
    checked = certificate_check.check(document, keys)
    return _verification_page(request, checked=checked, errors=[], pasted=pasted)
