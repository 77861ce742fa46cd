"""How the notifier's refusals reach a caller: each domain error has one HTTP answer.

- A contact, endpoint, delivery or inbox item not in the caller's organisation: 404 (a stranger
  cannot tell it from one that does not exist).
- A request the rules refuse (a contact with nowhere to send, an endpoint address that is not
  public https in production): 422 with the reason.
- A step that does not fit the delivery's state (a retry while it is being attempted, or to an
  endpoint that is disabled): 409.
"""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.notifier.domain import UnsafeEndpoint
from services.notifier.evidence import Conflict
from services.notifier.service import Invalid, NotFound
from shared.problems import answer


async def _not_found(request: Request, error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_404_NOT_FOUND, str(error))


async def _refused(request: Request, error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))


async def _conflict(request: Request, error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_409_CONFLICT, str(error))


def install(app: FastAPI) -> None:
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Invalid, _refused)
    app.add_exception_handler(UnsafeEndpoint, _refused)
    app.add_exception_handler(Conflict, _conflict)
