"""HTTP routes of the identity service."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json", summary="The public keys that verify access tokens.")
async def jwks(request: Request) -> Response:
    return JSONResponse(
        request.app.state.signer.jwks(), headers={"cache-control": "public, max-age=300"}
    )
