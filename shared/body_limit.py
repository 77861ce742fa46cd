"""A ceiling on every request body, enforced before any route or middleware reads it.

A request whose ``Content-Length`` is above the limit is answered 413 (``too_large``, problem
details) without reading a byte of its body. A body without a length (chunked) is counted while
it is received: once it passes the limit the 413 is sent, and the app, which has not finished
reading, is told the client went away, so nothing it does with the partial body is answered or
committed.

A service with pages for people (the console) passes ``page``: an ASGI app that answers the
refusal as a page (still 413, its body never read) when the client asks for HTML.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import MEDIA_TYPE, problem_bytes

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def wants_html(scope: Scope) -> bool:
    """Whether the client asks for a page (a browser's ``Accept: text/html,...``)."""
    for name, value in scope.get("headers") or ():
        if name == b"accept":
            return b"text/html" in value.lower()
    return False


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}


class BodyLimit:
    """Refuses a request body larger than ``max_bytes`` with 413, before it is read."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES, page: ASGIApp | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.page = page

    async def _refuse(self, scope: Scope, send: Send) -> None:
        if self.page is not None and wants_html(scope):
            await self.page(scope, _nothing_more, send)
            return
        body = problem_bytes(
            413,
            f"The request body is larger than {self.max_bytes} bytes.",
            path=scope.get("path", ""),
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send)
            return
        received = 0
        refused = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the app's answer to a body it never got in full: already refused
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise  # the app's own failure; a refused body's disconnect is expected
