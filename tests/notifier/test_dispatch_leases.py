"""Replicas of the notifier share the delivery ledger: a delivery one dispatcher is sending is
never sent again by another, however long the first one's dispatch run has lasted (ARCH-2)."""

import asyncio
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import update

from services.notifier.dispatch import Dispatcher
from services.notifier.ledger import Delivery
from tests.notifier.conftest import Notifier, Receiver
from tests.notifier.test_webhooks import _issued
from tests.support.nats import free_port
from tests.support.platform import eventually


class HeldReceiver(Receiver):
    """Holds every webhook call until released, counting each ``webhook-id``."""

    def __init__(self) -> None:
        super().__init__(port=free_port())
        self.release = threading.Event()
        self.ids: list[str] = []


@pytest.fixture
def held() -> Iterator[HeldReceiver]:
    state = HeldReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            state.ids.append(self.headers.get("webhook-id", ""))
            state.release.wait(timeout=30)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


def _replica(notifier: Notifier) -> Dispatcher:
    running = notifier.dispatcher
    return Dispatcher(
        sessions=running.sessions,
        outbox=running.outbox,
        settings=running.settings,
        http=running.http,
        identity=running.identity,
        seal=running.seal,
    )


async def test_a_delivery_taken_late_in_a_long_dispatch_run_is_not_sent_again_by_a_replica__ARCH_2(
    notifier: Notifier, held: HeldReceiver
) -> None:
    controller = str(uuid.uuid4())
    await notifier.endpoint(controller, held, ["breach"])
    # The running dispatcher takes the first notice and is held sending it.
    await notifier.publish(_issued(controller))  # type: ignore[arg-type]
    await eventually(lambda: _async(len(held.ids) == 1))
    await notifier.publish(_issued(controller))  # type: ignore[arg-type]

    async def second() -> list[Delivery]:
        rows = await notifier.deliveries(organisation_id=controller, channel="webhook")
        return [row for row in rows if f"msg_{row.id.hex}" not in held.ids]

    [waiting] = await eventually(second)
    # A dispatch run that started long ago (more than a lease) reaches the second delivery now.
    started = datetime.now(UTC) - timedelta(seconds=notifier.dispatcher.settings.lease_seconds * 2)
    async with notifier.platform.runtime("notifier").sessions() as session, session.begin():
        await session.execute(
            update(Delivery).where(Delivery.id == waiting.id).values(next_attempt_at=started)  # type: ignore[arg-type]
        )
    long_run = asyncio.create_task(_replica(notifier).tick(started))
    await eventually(lambda: _async(f"msg_{waiting.id.hex}" in held.ids))

    # Another replica, on the wall clock, finds nothing to take: both deliveries are leased.
    assert await _replica(notifier).tick(datetime.now(UTC)) == 0
    held.release.set()
    assert await long_run == 1
    await notifier.settled(controller)
    assert held.ids.count(f"msg_{waiting.id.hex}") == 1
    assert len(await notifier.attempts(waiting.id)) == 1


async def _async(value: bool) -> bool:
    return value


async def test_a_send_whose_lease_ran_out_and_was_taken_over_is_recorded_once__ARCH_2(
    notifier: Notifier, held: HeldReceiver
) -> None:
    """A dispatcher so slow that its lease ran out while it sent (a loaded machine): a replica
    takes the delivery and sends it again, under the same id. The receiver gets both; the ledger
    records one attempt, the replica's, and the slow dispatcher's record stands aside instead of
    recording a second delivery (or deadlocking against the replica's record on PostgreSQL)."""
    controller = str(uuid.uuid4())
    await notifier.endpoint(controller, held, ["breach"])
    await notifier.publish(_issued(controller))  # type: ignore[arg-type]
    await eventually(lambda: _async(len(held.ids) == 1))
    [slow] = await notifier.deliveries(organisation_id=controller, channel="webhook")
    async with notifier.platform.runtime("notifier").sessions() as session, session.begin():
        await session.execute(
            update(Delivery)
            .where(Delivery.id == slow.id)  # type: ignore[arg-type]
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    replica = asyncio.create_task(_replica(notifier).tick(datetime.now(UTC)))
    await eventually(lambda: _async(len(held.ids) == 2))
    assert held.ids == [f"msg_{slow.id.hex}"] * 2  # sent twice, under the same id
    held.release.set()
    assert await replica == 1
    await notifier.settled(controller)
    attempts = await notifier.attempts(slow.id)
    assert [attempt.delivered for attempt in attempts] == [True]
