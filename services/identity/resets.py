"""Self-service reset requests, answered before any work is done (issue 18.2, TOM-T2d, ASVS 6.4.1).

``POST /password-reset`` answered the same words for every address, but a known address took
about 35 % longer (the link and its event were written before the answer): an account oracle by
timing. Now the route only hands the address to this queue, the same constant-time step whatever
the address, and answers; a background task looks the address up, writes the link and the event
(or the failed-request event) later, outside any request. A request lost in a crash before the
task ran is lost like an undelivered mail: the person asks again. A full queue (a flood) drops
the request rather than slow the answer.
"""

import asyncio
from collections.abc import Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.identity import accounts
from services.identity.authority import Authority
from shared.request import client_address

log = structlog.get_logger("pactum.identity.resets")

CAPACITY = 10_000


class ResetRequests:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        authority: Callable[[], Authority],
        *,
        capacity: int = CAPACITY,
    ) -> None:
        self._sessions = sessions
        self._authority = authority
        self._queue: asyncio.Queue[tuple[str, str | None]] = asyncio.Queue(maxsize=capacity)

    def submit(self, email: str, address: str | None = None) -> None:
        """Queue a self-service request from client ``address`` (throttled by the task);
        never waits, never fails, tells nothing."""
        try:
            self._queue.put_nowait((email, address))
        except asyncio.QueueFull:
            log.warning("identity.reset_request_dropped", reason="queue_full")

    async def run(self) -> None:
        """The background task: one request at a time, each in its own transaction."""
        while True:
            email, address = await self._queue.get()
            client_address.set(address)  # its events carry the address, as the request's would
            try:
                async with self._sessions() as session, session.begin():
                    await accounts.request_reset(
                        session=session, authority=self._authority(), email=email, address=address
                    )
            except Exception as error:  # the next request goes on; the person can ask again
                log.warning("identity.reset_request_failed", error=type(error).__name__)
            finally:
                self._queue.task_done()

    async def drained(self) -> None:
        """Wait until every queued request has been handled (tests, shutdown)."""
        await self._queue.join()
