"""How the audit log's refusals reach a caller: each domain error has one HTTP answer.

- Not in the caller's log (or not at all: the caller cannot tell): 404.
- A stored tree that is incomplete, or a checkpoint whose signature does not hold: 409, naming
  where to look (``GET /audit/verification``); the log is never served as if it were whole.
- An external event that is not acceptable: 422 with the reason; one for a tenant the caller's
  organisation does not process: 403.
"""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.audit.checkpoints import CheckpointBroken
from services.audit.external import NotServed, Refused
from services.audit.service import NotFound
from services.audit.tree import NotInTree
from shared.problems import answer

NOT_FOUND = "Not found"
BROKEN_TREE = "The stored tree is incomplete; GET /audit/verification names the first bad entry."
BROKEN_CHECKPOINT = (
    "The latest stored checkpoint's signature does not hold; GET /audit/verification."
)


async def _not_found(request: Request, _error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_404_NOT_FOUND, NOT_FOUND)


async def _broken_tree(request: Request, _error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_409_CONFLICT, BROKEN_TREE)


async def _broken_checkpoint(request: Request, _error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_409_CONFLICT, BROKEN_CHECKPOINT)


async def _refused(request: Request, error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))


async def _not_served(request: Request, _error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_403_FORBIDDEN, "Not allowed")


def install(app: FastAPI) -> None:
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(NotInTree, _broken_tree)
    app.add_exception_handler(CheckpointBroken, _broken_checkpoint)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(NotServed, _not_served)
