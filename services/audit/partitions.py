"""Audit's ingest split by organisation (``PACTUM_AUDIT_PARTITIONS`` > 1, issue 17.3).

With one partition (the default) audit reads ``DPA_EVENTS`` through its one ``audit`` durable,
as it always did. With N partitions it creates ``DPA_AUDIT_PARTITIONS``
(shared/bus_access.py), a work-queue stream that sources ``DPA_EVENTS`` and puts every event of
one organisation in the same one of N partitions (``audit.<p>.dpa.<tenant>.>``, the
``partition()`` transform on the tenant), and reads each partition through its own durable
(``audit-partition-<p>``). Every partition claims its events in the inbox under the one name
``audit``: an event is recorded once whichever durable delivers it, and an event the old
``audit`` durable already recorded is skipped when the partitions source it again.

Each organisation's events stay in stream order within its partition, and one partition is
handled by one consumer at a time in a process, so its tree grows in the stream's order.

Replicas share the partitions through leases in the audit database (:class:`Leases`): every
``lease_seconds / 3`` a replica says it is alive (``audit_replica``), works out its fair share
among the replicas alive within the lease time (:func:`fair_share`), renews the leases it keeps,
hands back those it should no longer hold, and takes those of its share that are free or expired
(``audit_partition_lease``). A replica that dies stops renewing: its partitions are taken within
one lease time and a round. A replica that cannot reach the database stops consuming once its
leases have run out. Correctness does not rest on the lease: two replicas writing one
organisation serialise on its tree's row lock and on the inbox key, so an overlap while a lease
changes hands costs time, not order.
"""

import asyncio
import socket
import time
import uuid
from collections.abc import Coroutine, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.audit.consumers import DURABLE
from services.audit.domain import fair_share
from services.audit.store import LiveReplica, PartitionLease
from shared.broker import (
    Admit,
    BatchConsumer,
    BatchHandler,
    ConsumerTally,
    partitioned_stream_config,
    put_stream,
)
from shared.bus_access import PARTITIONS_PREFIX, PARTITIONS_STREAM
from shared.runtime import ServiceRuntime

log = structlog.get_logger("pactum.audit.partitions")


def partition_durable(partition: int) -> str:
    """The durable that reads one partition."""
    return f"{DURABLE}-partition-{partition}"


def partition_subject(partition: int) -> str:
    """The subjects of one partition on the partitions' stream."""
    return f"{PARTITIONS_PREFIX}.{partition}.>"


class PartitionedIngest:
    """The durables of audit's partitions in this process; which of them run here is decided by
    the leases, each round (:meth:`run`)."""

    def __init__(
        self,
        runtime: ServiceRuntime,
        handle: BatchHandler,
        *,
        partitions: int,
        lease_seconds: float,
        admit: Admit | None = None,
    ) -> None:
        self._runtime = runtime
        self.partitions = partitions
        self.leases = Leases(runtime.sessions, partitions=partitions, seconds=lease_seconds)
        self.tally = ConsumerTally()  # what every partition run here stored, together
        tracer = runtime.tracer_provider.get_tracer("pactum.consumer")
        self.consumers = [
            BatchConsumer(
                runtime.broker,
                settings=runtime.settings,
                durable=partition_durable(partition),
                sessions=runtime.sessions,
                handle=handle,
                subjects=(partition_subject(partition),),
                tracer=tracer,
                stream=PARTITIONS_STREAM,
                inbox=DURABLE,
                unwrap=2,  # "audit.<p>." before the event's own subject
                tally=self.tally,
                admit=admit,
                in_order=True,  # redeliveries first: on taking a partition, after a lost fetch
            )
            for partition in range(partitions)
        ]
        for partition, consumer in enumerate(self.consumers):
            runtime.track(partition_durable(partition), consumer)
        self._running: dict[int, asyncio.Task[None]] = {}

    @property
    def batches(self) -> int:
        return sum(consumer.batches for consumer in self.consumers)

    @property
    def held(self) -> set[int]:
        """The partitions this process consumes now."""
        return {partition for partition, task in self._running.items() if not task.done()}

    async def ensure_stream(self) -> None:
        """Create the partitions' stream, or bring it to N partitions (audit is its admin)."""
        config = partitioned_stream_config(
            self._runtime.settings,
            name=PARTITIONS_STREAM,
            prefix=PARTITIONS_PREFIX,
            partitions=self.partitions,
        )
        await put_stream(self._runtime.broker, config)

    async def hold(self, partitions: Iterable[int]) -> None:
        """Consume exactly ``partitions`` here: start the missing ones, stop the others."""
        wanted = set(partitions)
        await self._stop(self.held - wanted)
        for partition in sorted(wanted - self.held):
            self._running[partition] = asyncio.create_task(
                self._consume(partition), name=partition_durable(partition)
            )
            log.info("audit.partition_taken", partition=partition)

    async def _consume(self, partition: int) -> None:
        """Consume a partition just taken. Its consumer is ``in_order``: when the durable holds
        events its previous holder fetched and never acknowledged, it first waits one ack wait,
        so they are due again and JetStream hands them out before newer events; the
        organisation's order holds across a takeover, and across a fetch lost to a NATS restart
        (the fault injection found 2 logs out of order before that second case was covered)."""
        await self.consumers[partition].run()

    async def release_all(self) -> None:
        await self._stop(set(self._running))

    async def _stop(self, partitions: set[int]) -> None:
        """Stop these partitions' consumers together (each may wait for its fetch to end)."""
        tasks = [self._running.pop(partition) for partition in sorted(partitions)]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        for partition in sorted(partitions):
            log.info("audit.partition_released", partition=partition)

    async def run(self) -> None:
        """Create the stream, then consume this replica's share of the partitions, adjusted
        every third of a lease time."""
        await self.ensure_stream()
        leases = self.leases
        every = leases.seconds / 3
        renewed = time.monotonic()
        try:
            while True:
                # Shielded, and waited for when cancelled: a round cut off inside its transaction
                # would leave SQLite's write lock to a connection no one closes.
                pending = asyncio.ensure_future(leases.round(self.held))
                try:
                    share = await asyncio.shield(pending)
                except asyncio.CancelledError:
                    await asyncio.wait([pending], timeout=5.0)
                    raise
                except Exception as error:  # the database away: hold on until the leases run out
                    log.warning("audit.lease_round_failed", error=f"{type(error).__name__}")
                    if time.monotonic() - renewed > leases.seconds:
                        await self.release_all()
                else:
                    renewed = time.monotonic()
                    await self.hold(share)
                await asyncio.sleep(every)
        finally:
            await _to_the_end(self.release_all())


async def _to_the_end(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` to its end even when cancelled meanwhile, then pass the cancel on. A stopping
    service cancels its tasks again after a grace period (``shared.runtime.stop_tasks``); a
    release cut off there would leave the partitions' consumers subscribed and unawaited, and
    the broker's drain would then wait for them."""
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait([task])
        except asyncio.CancelledError:
            cancelled = True
    task.result()
    if cancelled:
        raise asyncio.CancelledError


class Leases:
    """One replica's leases on the partitions, kept in the audit database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        partitions: int,
        seconds: float,
        replica: str | None = None,
    ) -> None:
        self._sessions = sessions
        self.partitions = partitions
        self.seconds = seconds
        self.replica = replica or f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:12]}"

    async def round(self, held: set[int]) -> set[int]:
        """Say this replica is alive, and return the partitions it holds a lease on now: its
        fair share among the live replicas, less those another replica still holds; leases it
        holds beyond its share are handed back (``held``: what it consumes now)."""
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            live = await self._say_alive(session, now)
            share = fair_share(self.partitions, live, self.replica)
            mine = await self._lease_share(session, share, now)
        if mine - held:
            log.info("audit.partitions_leased", partitions=sorted(mine - held), replicas=len(live))
        return mine

    async def _say_alive(self, session: AsyncSession, now: datetime) -> Sequence[str]:
        """Mark this replica seen now, forget replicas long gone, and return the replicas alive
        within the lease time (this one among them)."""
        me = self.replica
        seen = await session.execute(
            update(LiveReplica).where(col(LiveReplica.replica) == me).values(seen_at=now)
        )
        if not seen.rowcount:  # type: ignore[attr-defined]
            await session.execute(insert(LiveReplica).values(replica=me, seen_at=now))
        await session.execute(
            delete(LiveReplica).where(
                col(LiveReplica.seen_at) < now - timedelta(seconds=self.seconds * 20)
            )
        )
        return (
            await session.scalars(
                select(col(LiveReplica.replica)).where(
                    col(LiveReplica.seen_at) > now - timedelta(seconds=self.seconds)
                )
            )
        ).all()

    async def _lease_share(self, session: AsyncSession, share: set[int], now: datetime) -> set[int]:
        """Hand back the leases beyond ``share``, and renew or take those of it that are this
        replica's or free: the partitions it holds a lease on now."""
        me = self.replica
        # Handed back: expired now, so the replica whose share it is takes it at once.
        await session.execute(
            update(PartitionLease)
            .where(
                col(PartitionLease.holder) == me,
                col(PartitionLease.partition).not_in(share),
            )
            .values(expires_at=now)
        )
        known = set(
            (
                await session.scalars(
                    select(col(PartitionLease.partition)).where(
                        col(PartitionLease.partition).in_(share)
                    )
                )
            ).all()
        )
        for partition in sorted(share - known):
            await session.execute(
                insert(PartitionLease).values(partition=partition, holder=me, expires_at=now)
            )
        taken = await session.execute(
            update(PartitionLease)
            .where(
                col(PartitionLease.partition).in_(share),
                (col(PartitionLease.holder) == me) | (col(PartitionLease.expires_at) < now),
            )
            .values(holder=me, expires_at=now + timedelta(seconds=self.seconds))
            .returning(col(PartitionLease.partition))
        )
        return set(taken.scalars().all())
