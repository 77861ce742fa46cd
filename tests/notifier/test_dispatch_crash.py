"""A dispatcher stopped in the middle of a run sends again only what it had in flight: every
outcome is recorded as its send completes, so the sends already accepted are not repeated and a
person gets a notice twice only if it was being sent at that very moment (TOM-O4)."""

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.notifier.dispatch import Dispatcher
from shared.events.contracts.agreements import BreachNoticeIssued
from tests.notifier.conftest import Notifier, event, start_platform
from tests.notifier.test_breach_notices import breach_notice
from tests.support.databases import Database
from tests.support.nats import NatsServer, free_port
from tests.support.platform import eventually

CONCURRENCY = 4
CONTACTS = 24  # M deliveries, claimed in one batch
PASSED = 8  # N sends accepted before the receiver starts holding messages


class HoldingSink:
    """A real SMTP receiver (aiosmtpd) that accepts the first ``passed`` messages at once, holds
    later ones until released, and counts accepted messages per ``Message-ID``."""

    def __init__(self, passed: int) -> None:
        self.port = free_port()
        self.passed = passed
        self.release = threading.Event()
        self.arrived = 0
        self.held: set[str] = set()
        self.accepted: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(  # aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        message: Any = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        message_id = str(message["Message-ID"])
        with self._lock:
            self.arrived += 1
            hold = self.arrived > self.passed and not self.release.is_set()
            if hold:
                self.held.add(message_id)
        if hold:
            await asyncio.to_thread(self.release.wait, 30)
        with self._lock:
            self.accepted[message_id] += 1
        return "250 Message accepted for delivery"

    def start(self) -> "HoldingSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._controller.stop()


@pytest.fixture
def holding_sink() -> Iterator[HoldingSink]:
    sink = HoldingSink(PASSED).start()
    yield sink
    sink.stop()


@pytest.fixture
async def crashing(
    nats_server: NatsServer,
    database: Callable[[str], Database],
    tmp_path: Path,
    holding_sink: HoldingSink,
) -> AsyncIterator[Notifier]:
    platform = start_platform(nats_server, database, tmp_path, holding_sink)  # type: ignore[arg-type]
    platform.overrides |= {"dispatch_concurrency": CONCURRENCY}
    await platform.start("notifier", "audit")
    running = Notifier(platform, holding_sink)  # type: ignore[arg-type]
    yield running
    holding_sink.release.set()
    await running.platform.stop()


def _background_run(dispatcher: Dispatcher) -> asyncio.Task[Any]:
    """The task of the service's own dispatch loop (what a process kill would end)."""
    for task in asyncio.all_tasks():
        frame = getattr(task.get_coro(), "cr_frame", None)
        if (
            frame is not None
            and frame.f_code is Dispatcher.run.__code__
            and frame.f_locals.get("self") is dispatcher
        ):
            return task
    raise AssertionError("the dispatcher's loop is not running")


async def test_a_dispatcher_stopped_after_n_of_m_sends_sends_again_only_those_in_flight__TOM_O4(
    crashing: Notifier, holding_sink: HoldingSink
) -> None:
    notifier, sink = crashing, holding_sink
    controller = str(uuid.uuid4())
    for n in range(CONTACTS):
        await notifier.contact(controller, ["breach"], email=f"dpo{n}@controller.example")
    notice: BreachNoticeIssued = breach_notice(controller)
    await notifier.publish(event("dpa.agreements.breach_notice.issued.v1", controller, notice))

    async def delivered() -> int:
        rows = await notifier.deliveries(organisation_id=controller, channel="email")
        return sum(row.status.value == "delivered" for row in rows)

    # N accepted and recorded while the next CONCURRENCY sends are held by the receiver.
    await eventually(lambda: _async(len(sink.held) == CONCURRENCY))
    await eventually(lambda: _async_eq(delivered(), PASSED))

    loop = _background_run(notifier.dispatcher)
    loop.cancel()
    with suppress(asyncio.CancelledError):
        await loop
    sink.release.set()  # the sends in flight complete, unrecorded
    await eventually(lambda: _async(sum(sink.accepted.values()) == PASSED + CONCURRENCY))
    assert await delivered() == PASSED

    # A restarted dispatcher takes over once the leases have run out.
    restarted = Dispatcher(
        sessions=notifier.dispatcher.sessions,
        outbox=notifier.dispatcher.outbox,
        settings=notifier.dispatcher.settings,
        http=notifier.dispatcher.http,
        identity=notifier.dispatcher.identity,
        seal=notifier.dispatcher.seal,
    )
    later = datetime.now(UTC) + timedelta(seconds=restarted.settings.lease_seconds + 1)
    assert await restarted.tick(later) == CONTACTS - PASSED
    assert await delivered() == CONTACTS

    again = {message_id for message_id, n in sink.accepted.items() if n > 1}
    assert len(sink.accepted) == CONTACTS  # nobody missed
    assert again <= sink.held and len(again) <= CONCURRENCY  # only the sends in flight repeated
    assert all(n <= 2 for n in sink.accepted.values())


async def _async(value: bool) -> bool:
    return value


async def _async_eq(count: Any, expected: int) -> bool:
    return bool(await count == expected)
