"""How the agreement's refusals reach a caller: each domain error has one HTTP answer."""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from services.agreements.access import AgreementNotFound, record_refused
from services.agreements.domain import AgreementRuleBroken, NotAllowed, NotFound, StateConflict
from shared import error_answers
from shared.problems import answer


async def _not_found(request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, AgreementNotFound):  # another organisation's? its owner's log says so
        runtime = request.app.state.runtime
        await record_refused(runtime.sessions, runtime.outbox, error, method=request.method)
    return answer(request, status.HTTP_404_NOT_FOUND, str(error), code="not_found")


async def _not_allowed(request: Request, error: Exception) -> JSONResponse:
    return answer(request, status.HTTP_403_FORBIDDEN, str(error), code="forbidden")


async def _rule_broken(request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, StateConflict):
        return answer(request, status.HTTP_409_CONFLICT, str(error), code="conflict")
    return answer(request, status.HTTP_422_UNPROCESSABLE_CONTENT, str(error), code="rule_broken")


async def _concurrent(request: Request, _error: Exception) -> JSONResponse:
    # Two requests raced for the same step (e.g. two admins of one party signing at once).
    return answer(
        request,
        status.HTTP_409_CONFLICT,
        "a concurrent change got there first: reload and retry",
        code="concurrent_change",
    )


def install(app: FastAPI) -> None:
    # Any change may find the agreement in a state it does not fit, or lose a race: 409.
    error_answers.install_answer(
        app,
        status.HTTP_409_CONFLICT,
        "The object is in a state this request does not fit, or a concurrent change got there "
        "first.",
        lambda method, _path: method != "GET",
    )
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(NotAllowed, _not_allowed)
    app.add_exception_handler(AgreementRuleBroken, _rule_broken)
    app.add_exception_handler(IntegrityError, _concurrent)
