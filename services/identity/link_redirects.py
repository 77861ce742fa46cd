"""Links mailed before the console existed pointed at identity itself
(``https://identity.<domain>/account/invitation#token=…``): for one release, they still open the
console's page. The browser carries the fragment (the token) across the redirect; identity never
sees it."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

from services.identity.links import PATHS

router = APIRouter(include_in_schema=False)


@router.get("/account/{page}")
async def to_the_console(page: str, request: Request) -> RedirectResponse:
    if page not in PATHS.values():
        raise HTTPException(404)
    base = request.app.state.authority.settings.link_base_url.rstrip("/")
    return RedirectResponse(f"{base}/{page}", status_code=308)
