"""How the console answers what a page cannot show: a page in the visitor's language, never a
stack trace or JSON (the probes and static files keep their plain answers).

- A visitor who must sign in is sent to the sign-in page, and back afterwards.
- A session that ended (identity no longer knows it) is closed and its cookie cleared.
- What is not the visitor's, or not there, is the same "not found" page, so a stranger learns
  nothing (an API's 403, 404 or 422 on a page included).
- A service that cannot be reached is named on a 503 page; a form too large gets a 413 page.
"""

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from services.console import render as pages
from services.console.apis import ApiRefused, NotSignedIn, ServiceUnavailable
from services.console.sessions import SessionBook
from services.console.settings import ConsoleSettings
from services.console.web import CookieNames, NotYours, SignInNeeded, greet


def install(app: FastAPI) -> None:
    """How the console answers what a page cannot show: a page, never a stack trace or JSON."""

    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(_request: Request, error: SignInNeeded) -> Response:
        return RedirectResponse(f"/sign-in?next={error.back_to}", status_code=303)

    @app.exception_handler(NotSignedIn)
    async def ended(request: Request, _error: NotSignedIn) -> Response:
        book: SessionBook = request.app.state.book
        names: CookieNames = request.app.state.cookies
        await book.end(request.cookies.get(names.session))
        answer = RedirectResponse("/sign-in?ended=1", status_code=303)
        answer.delete_cookie(names.session, path="/")
        return answer

    @app.exception_handler(NotYours)
    async def not_yours(request: Request, _error: NotYours) -> Response:
        return _not_found(request)

    @app.exception_handler(ApiRefused)
    async def refused(request: Request, error: ApiRefused) -> Response:
        if error.status in (403, 404, 422) and _renderable(request):
            return _not_found(request)
        return pages.render(request, "problem.html", {"status": error.status}, status=400)

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(request: Request, error: ServiceUnavailable) -> Response:
        if not _renderable(request):
            return JSONResponse({"detail": "unavailable"}, status_code=503)
        return pages.render(request, "unavailable.html", {"service": error.service}, status=503)

    @app.exception_handler(404)
    async def missing(request: Request, _error: Exception) -> Response:
        if not _renderable(request):
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return _not_found(request)

    @app.exception_handler(HTTPException)
    async def http_problem(request: Request, error: HTTPException) -> Response:
        if not _renderable(request):
            return JSONResponse({"detail": "refused"}, status_code=error.status_code)
        return pages.render(
            request, "problem.html", {"status": error.status_code}, status=error.status_code
        )


async def too_large_page(scope: Scope, receive: Receive, send: Send) -> None:
    """413 as a page in the visitor's language, for a form larger than the console accepts (its
    body was never read: the connection closes after the answer)."""
    request = Request(scope, receive)
    greet(request)
    settings: ConsoleSettings = request.app.state.settings
    answer = pages.render(
        request, "too_large.html", {"limit": size_in_words(settings.max_body_bytes)}, status=413
    )
    answer.headers["connection"] = "close"
    await answer(scope, receive, send)


def size_in_words(size: int) -> str:
    """A size people read: "1 MB", "8 kB"."""
    megabyte = 1024 * 1024
    if size >= megabyte and size % megabyte == 0:
        return f"{size // megabyte} MB"
    return f"{-(-size // 1024)} kB"


def _renderable(request: Request) -> bool:
    """Pages get a page; the probes and static files keep their plain answers."""
    if request.url.path.startswith("/static/"):
        return False
    if not hasattr(request.state, "csrf_token"):
        greet(request)
    return True


def _not_found(request: Request) -> Response:
    return pages.render(request, "not_found.html", status=404)
