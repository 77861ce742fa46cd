"""Schemathesis calls an ASGI app from its own event-loop thread; the services run on the test's
event loop (their database engines and NATS connections belong to it). :class:`LoopBridge` is
the ASGI app schemathesis sees: it reads the request, runs the real app on the services' loop and
replays the answer, so the fuzzer reaches the real services in-process, lifespan and all."""

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class LoopBridge:
    def __init__(self, app: ASGIApp, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.loop = loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # the services' lifespan runs on their own loop
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        future = asyncio.run_coroutine_threadsafe(self._serve(dict(scope), bytes(body)), self.loop)
        for message in await asyncio.wrap_future(future):
            await send(message)

    async def _serve(self, scope: dict[str, Any], body: bytes) -> list[Message]:
        sent: list[Message] = []
        finished = asyncio.Event()
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await finished.wait()  # a streaming response listens for the client leaving
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                finished.set()

        await self.app(scope, receive, send)
        return sent
