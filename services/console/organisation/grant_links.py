"""``/grants/{id}``: where the notifier's supplier-access mails link to.

A grant's page is the supplier-access page of the person's own side: the customer's admins decide
there (``/organisation/access``), the operator's people follow their requests there
(``/operator/access``). Anyone whose organisation the grant does not concern gets the page that
is not found.
"""

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.web import NotYours, SignedIn, apis_of, go, visitor

router = APIRouter(dependencies=[Depends(visitor)])

ANCHORS = {"requested": "request-{id}", "approved": "in-force-heading"}


@router.get("/grants/{grant_id}")
async def grant_page(request: Request, person: SignedIn, grant_id: uuid.UUID) -> Response:
    if not person.is_admin:
        raise NotYours
    found = await apis_of(request).every(
        "identity", "/grants", token=person.access_token, page_size=500
    )
    grant = next((g for g in found if g["id"] == str(grant_id)), None)
    if grant is None:
        raise NotYours
    if person.is_operator:
        return go(f"/operator/access#grant-{grant_id}")
    anchor = ANCHORS.get(grant["status"], "history-heading").format(id=grant_id)
    return go(f"/organisation/access#{anchor}")
