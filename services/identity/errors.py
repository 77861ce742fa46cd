"""How refusals that any of identity's routes on one's own account may meet reach the caller:
each domain error has one HTTP answer. A route's own refusals stay beside it."""

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.identity.caller import AccountGone, NotOwnAccount, StepUpRequired
from services.identity.domain import STEP_UP_MINUTES
from shared.problems import answer

# RFC 9470 (OAuth 2.0 step-up authentication challenge): the client re-authenticates and retries.
STEP_UP_DETAIL = (
    f"Confirm it is you first: sign in again (POST /me/step-up) within {STEP_UP_MINUTES} "
    "minutes of this change."
)
STEP_UP_HEADERS = {
    "WWW-Authenticate": 'Bearer error="insufficient_user_authentication", '
    f'max_age="{STEP_UP_MINUTES * 60}"'
}
STEP_UP_RESPONSE: dict[int | str, dict[str, Any]] = {
    403: {"description": "The session's authentication is too old: step up first."}
}


async def _not_own_account(request: Request, _error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_403_FORBIDDEN, "Not allowed")


async def _account_gone(request: Request, _error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_401_UNAUTHORIZED, "Not authenticated")


async def _step_up_required(request: Request, _error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_403_FORBIDDEN, STEP_UP_DETAIL, headers=dict(STEP_UP_HEADERS))


def install(app: FastAPI) -> None:
    app.add_exception_handler(NotOwnAccount, _not_own_account)
    app.add_exception_handler(AccountGone, _account_gone)
    app.add_exception_handler(StepUpRequired, _step_up_required)
