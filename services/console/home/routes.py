"""The overview: what needs this person now (unread notices, decisions waiting), and where to go."""

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.inbox.routes import inbox_items, threads
from services.console.render import render
from services.console.web import SignedIn, apis_of, visitor

router = APIRouter(dependencies=[Depends(visitor)])


async def _waiting_grants(request: Request, person: SignedIn) -> list[Any]:
    """Supplier access requests waiting for this organisation's admin (TOM-O3)."""
    if not person.is_admin or person.is_operator:
        return []
    found = await apis_of(request).every(
        "identity", "/grants", token=person.access_token, page_size=500
    )
    return [grant for grant in found if grant["status"] == "requested"]


@router.get("/")
async def overview(request: Request, person: SignedIn) -> Response:
    unread, grants = await asyncio.gather(
        inbox_items(request, person, unread=True), _waiting_grants(request, person)
    )
    return render(request, "home/overview.html", {"unread": threads(unread)[:10], "grants": grants})


@router.get("/help")
async def help_page(request: Request) -> Response:
    return render(request, "home/help.html")
