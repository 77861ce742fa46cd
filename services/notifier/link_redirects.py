"""Notices mailed before the console existed linked to the notifier's own address
(``http://127.0.0.1:8104/breaches/{id}``): for one release, they open the item's console page.
A path the console does not know is simply not found there."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)


def _console(request: Request, path: str) -> RedirectResponse:
    base = request.app.state.dispatcher.settings.public_base_url.rstrip("/")
    if base == str(request.base_url).rstrip("/"):
        raise HTTPException(404)  # the links point here already: nothing to redirect to
    return RedirectResponse(f"{base}{path}", status_code=308)


@router.get("/breaches/{breach_id}")
async def breach(breach_id: str, request: Request) -> RedirectResponse:
    return _console(request, f"/breaches/{breach_id}")


@router.get("/agreements/{rest:path}")
async def agreement(rest: str, request: Request) -> RedirectResponse:
    return _console(request, f"/agreements/{rest}")
