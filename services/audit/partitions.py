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
"""

import asyncio
from collections.abc import Iterable
from contextlib import suppress

import structlog

from services.audit.consumers import DURABLE
from shared.broker import (
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
    """The durables of audit's partitions in this process: which partitions run here is
    :meth:`hold`'s to say (all of them until leases share them among replicas)."""

    def __init__(self, runtime: ServiceRuntime, handle: BatchHandler, *, partitions: int) -> None:
        self._runtime = runtime
        self.partitions = partitions
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
        for partition in sorted(self.held - wanted):
            await self._stop(partition)
        for partition in sorted(wanted - self.held):
            consumer = self.consumers[partition]
            self._running[partition] = asyncio.create_task(
                consumer.run(), name=partition_durable(partition)
            )
            log.info("audit.partition_taken", partition=partition)

    async def release_all(self) -> None:
        for partition in sorted(self._running):
            await self._stop(partition)

    async def _stop(self, partition: int) -> None:
        task = self._running.pop(partition)
        task.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await task
        log.info("audit.partition_released", partition=partition)

    async def run(self) -> None:
        """Create the stream and consume every partition in this process."""
        await self.ensure_stream()
        try:
            await self.hold(range(self.partitions))
            await asyncio.Event().wait()
        finally:
            await self.release_all()
