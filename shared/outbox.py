"""The transactional outbox: events commit with the state they describe, a relay publishes them.

A use case calls :meth:`Outbox.add` inside its transaction. After commit, :class:`OutboxRelay`
publishes pending rows to JetStream with ``Nats-Msg-Id`` set to the event id, in the order they
were written, and marks them published. A crash between publish and mark republishes the same id,
which JetStream drops inside its duplicate window and every consumer's inbox drops after it.

The relay is handed what each transaction wrote as it commits, so it publishes those rows from
memory and only marks them in the database (one UPDATE per batch); it reads the table (one
SELECT per pass) at start, after a failure, when a commit handed it nothing (a row written
without :meth:`Outbox.add`), and at least every ``poll_seconds``, for whatever it was not handed.

What a row holds is already protected (TOM-32a, TOM-T1): before an envelope is stored, its
client address is replaced by the address's keyed pseudonym (shared/pseudonyms.py) and its
actor's name by the name sealed to the audit service's ingest key (``actorsealed``,
shared/sealed_names.py), whoever built the envelope; no clear address or name is ever written.

A published row is deleted by :func:`prune_published` once it is older than the stream's
duplicate window plus a margin (the runtime runs it periodically): its envelope carries the
request's client address pseudonym, the sealed name and the event's data, which must not stay in
every service's table forever. Unpublished rows are never deleted.
"""

import asyncio
import time
import uuid
from collections import deque
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from opentelemetry import trace
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    CursorResult,
    DateTime,
    Index,
    Text,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col

from shared.events import Actor, Envelope, Outcome, new_event
from shared.ingest_keys import IngestKeyMissing, NameSealer
from shared.moments import as_utc
from shared.pseudonyms import Pseudonyms, is_pseudonym
from shared.request import client_address
from shared.settings import ServiceSettings
from shared.telemetry import context_from_traceparent, current_traceparent

log = structlog.get_logger("pactum.outbox")

MSG_ID_HEADER = "Nats-Msg-Id"
CONTENT_TYPE = "application/cloudevents+json"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "published_at", "position"),)

    position: int | None = Field(default=None, primary_key=True)
    event_id: uuid.UUID = Field(unique=True)
    subject: str
    event_type: str
    envelope: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    published_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Pending:
    """An outbox row as the relay publishes it."""

    event_id: uuid.UUID
    subject: str
    event_type: str
    envelope: str
    traceparent: str | None


class Outbox:
    """Records events in the caller's transaction; the relay is woken once it commits."""

    def __init__(
        self,
        *,
        source: str,
        pseudonyms: Pseudonyms | None = None,
        names: NameSealer | None = None,
    ) -> None:
        self.source = source
        # Without pseudonyms (a command-line tool's outbox) an event carries no client address.
        self.pseudonyms = pseudonyms
        # Without a sealer an event carries no actor's name (never a clear one).
        self.names = names
        self.relay: OutboxRelay | None = None

    @classmethod
    def of_command(cls, settings: ServiceSettings) -> "Outbox":
        """The outbox of a command-line tool run with a service's settings: no client address
        (a command has none); the actor's name sealed to audit's ingest key where the key is
        found (in development and test made as a service would), else dropped (a command's
        actor id names its operator already) rather than a command refused."""
        names = NameSealer.for_producer(
            settings.ingest_public_key_path,
            environment=settings.environment,
            var_dir=settings.var_dir,
        )
        try:
            names.load()
        except IngestKeyMissing as error:
            log.warning("outbox.names_dropped", reason=str(error))
            return cls(source=settings.source)
        return cls(source=settings.source, names=names)

    def add(
        self,
        session: AsyncSession,
        *,
        type: str,
        tenant: str,
        actor: Actor,
        data: BaseModel,
        subject: str | None = None,
        correlation_id: str | None = None,
        outcome: Outcome = Outcome.succeeded,
    ) -> Envelope:
        """Record an event; the pseudonym of the current request's client address is attached
        if known (never the address itself: TOM-32a)."""
        envelope = self.event(
            type=type,
            tenant=tenant,
            actor=actor,
            data=data,
            subject=subject,
            correlation_id=correlation_id,
            outcome=outcome,
        )
        return self.add_envelope(session, envelope)

    def event(
        self,
        *,
        type: str,
        tenant: str,
        actor: Actor,
        data: BaseModel,
        subject: str | None = None,
        correlation_id: str | None = None,
        outcome: Outcome = Outcome.succeeded,
    ) -> Envelope:
        """A new event of this service, with the current request's client address (replaced by
        its pseudonym when recorded) and trace."""
        return new_event(
            source=self.source,
            type=type,
            tenant=tenant,
            actor=actor,
            data=data,
            subject=subject,
            correlation_id=correlation_id,
            traceparent=current_traceparent(),
            outcome=outcome,
            client_address=client_address.get(),
        )

    def _protected(self, envelope: Envelope) -> Envelope:
        """The envelope as it may leave the service (TOM-32a): its client address replaced by
        the address's pseudonym, its actor's name by the name sealed to audit's ingest key
        (either dropped when this outbox has no key). No clear address or name is stored or
        published."""
        changes: dict[str, Any] = {}
        address = envelope.clientaddr
        if address is not None and not is_pseudonym(address):
            changes["clientaddr"] = self.pseudonyms.of_address(address) if self.pseudonyms else None
        name = envelope.actorname
        if name is not None:
            changes["actorname"] = None
            if name and self.names is not None:
                changes["actorsealed"] = self.names.seal(
                    name,
                    event_id=str(envelope.id),
                    tenant=envelope.tenantid,
                    actor_id=envelope.actorid,
                )
        return envelope.model_copy(update=changes) if changes else envelope

    def add_envelope(self, session: AsyncSession, envelope: Envelope) -> Envelope:
        """Record an event built elsewhere (audit's external producers send whole envelopes):
        the row commits with the session's transaction and the relay is handed it after. A clear
        client address is replaced by its pseudonym and a clear name sealed first, whoever
        built the envelope."""
        envelope = self._protected(envelope)
        session.add(OutboxMessage(**self._stage(session, envelope)))
        return envelope

    def staged(self, session: AsyncSession, envelope: Envelope) -> dict[str, Any]:
        """The outbox row of ``envelope`` (its client address pseudonymised, its actor's name
        sealed) as column values,
        for a use case that writes it in a statement of its own (all of its writes in one round
        trip); as with :meth:`add_envelope`, the relay is handed the row when ``session``
        commits."""
        return self._stage(session, self._protected(envelope))

    def _stage(self, session: AsyncSession, envelope: Envelope) -> dict[str, Any]:
        row = Pending(
            event_id=envelope.id,
            subject=envelope.nats_subject,
            event_type=envelope.type,
            envelope=envelope.to_json().decode(),
            traceparent=envelope.traceparent,
        )
        session.info["pactum_outbox"] = self
        session.info.setdefault("pactum_outbox_rows", []).append(row)
        return {
            "event_id": row.event_id,
            "subject": row.subject,
            "event_type": row.event_type,
            "envelope": row.envelope,
            "created_at": envelope.time,
        }


@event.listens_for(Session, "after_commit")
def _wake_relay(session: Session) -> None:
    outbox = session.info.pop("pactum_outbox", None)
    rows: list[Pending] = session.info.pop("pactum_outbox_rows", [])
    if outbox is not None and outbox.relay is not None:
        outbox.relay.hand_over(rows)


@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _forget_rows(session: Session, *_: Any) -> None:
    """Rows of a transaction that did not commit are never handed to the relay."""
    session.info.pop("pactum_outbox", None)
    session.info.pop("pactum_outbox_rows", None)


class OutboxRelay:
    """Publishes committed outbox rows to JetStream, oldest first, and marks them published."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        publish: Any,
        stream: str,
        batch_size: int = 100,
        poll_seconds: float = 0.5,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self._sessions = sessions
        self._publish = publish
        self._stream = stream
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._tracer = tracer or trace.get_tracer("pactum.outbox")
        self._wakeup = asyncio.Event()
        self._handed: deque[Pending] = deque()
        self._scan_due = True  # read the table on the first pass: rows left from before
        self._scanned_at = 0.0
        self.published = 0  # rows published by this relay (read by the metrics)
        self.failures = 0  # relay passes that failed (NATS or the database unreachable)

    def wake(self) -> None:
        """Something was committed that only a read of the table finds."""
        self._scan_due = True
        self._wakeup.set()

    def hand_over(self, rows: list[Pending]) -> None:
        """Rows a transaction just committed: published from memory on the next pass."""
        if not rows:
            self.wake()
            return
        self._handed.extend(rows)
        self._wakeup.set()

    async def run(self) -> None:
        """Relay until cancelled; a failed publish is retried with growing back-off."""
        backoff = self._poll_seconds
        while True:
            self._wakeup.clear()  # before the pass: a commit during it wakes the next one
            try:
                count = await self.publish_pending()
                backoff = self._poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.failures += 1
                self._scan_due = True  # what was not marked is found by reading the table
                log.warning("outbox.relay_failed", error=str(error), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if count >= self._batch_size or self._handed:
                continue
            with suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._wakeup.wait()
            if not self._wakeup.is_set():
                self._scan_due = True  # idle for a whole poll: look at the table

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows; mark what was acknowledged.

        The batch is what commits handed over, in commit order, or, when a read of the table is
        due (see the module's docstring), the oldest pending rows of the table. Before reading the
        table the handed rows are dropped: they are committed, so the read finds them too.

        The batch is sent without waiting for each PubAck in turn (one connection keeps the
        order in which they are written); the acks are then read in order, and the rows before
        the first failure are marked published. Rows after a failure that the stream did store
        are sent again on the next pass and dropped as duplicates by their ``Nats-Msg-Id``.
        """
        if self._handed and not self._scan_due:
            if time.monotonic() - self._scanned_at > self._poll_seconds:
                self._scan_due = True  # under steady load too, the table is read now and then
            rows = [self._handed.popleft() for _ in range(min(len(self._handed), self._batch_size))]
        else:
            self._handed.clear()
            self._scan_due = False
            self._scanned_at = time.monotonic()
            rows = await self._read_pending()
        outcomes = await asyncio.gather(
            *(self._publish_row(row) for row in rows), return_exceptions=True
        )
        published: list[uuid.UUID] = []
        failure: tuple[uuid.UUID, str] | None = None
        for row, outcome in zip(rows, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                failure = (row.event_id, f"{type(outcome).__name__}: {outcome}"[:500])
                break
            published.append(row.event_id)
        await self._mark(published, failure)
        self.published += len(published)
        if failure is not None:
            raise RuntimeError(f"publishing outbox event {failure[0]} failed: {failure[1]}")
        return len(published)

    async def _read_pending(self) -> list[Pending]:
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(
                        col(OutboxMessage.event_id),
                        col(OutboxMessage.subject),
                        col(OutboxMessage.event_type),
                        col(OutboxMessage.envelope),
                    )
                    .where(col(OutboxMessage.published_at).is_(None))
                    .order_by(col(OutboxMessage.position))
                    .limit(self._batch_size)
                )
            ).all()
        return [
            Pending(
                event_id=event_id,
                subject=subject,
                event_type=event_type,
                envelope=envelope,
                traceparent=orjson.loads(envelope).get("traceparent"),
            )
            for event_id, subject, event_type, envelope in rows
        ]

    async def _publish_row(self, row: Pending) -> None:
        parent = context_from_traceparent(row.traceparent)
        with self._tracer.start_as_current_span(
            f"{row.subject} relay",
            context=parent,
            kind=trace.SpanKind.PRODUCER,
            attributes={
                "messaging.message.id": str(row.event_id),
                "cloudevents.event_type": row.event_type,
            },
        ):
            ack = await self._publish(
                row.envelope.encode(),
                subject=row.subject,
                headers={MSG_ID_HEADER: str(row.event_id), "content-type": CONTENT_TYPE},
                stream=self._stream,
                timeout=5.0,
            )
        if getattr(ack, "duplicate", False):
            log.info("outbox.duplicate_dropped_by_stream", event_id=str(row.event_id))

    async def _mark(
        self, published: list[uuid.UUID], failure: tuple[uuid.UUID, str] | None
    ) -> None:
        if not published and failure is None:
            return
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            if published:
                await session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.event_id).in_(published))
                    .values(published_at=now, attempts=OutboxMessage.attempts + 1)
                )
            if failure is not None:
                await session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.event_id) == failure[0])
                    .values(attempts=OutboxMessage.attempts + 1, last_error=failure[1])
                )


async def backlog(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, datetime | None]:
    """How many committed events wait for the relay, and when the oldest of them was written."""
    query = select(func.count(), func.min(OutboxMessage.created_at)).where(
        col(OutboxMessage.published_at).is_(None)
    )
    async with sessions() as session:
        count, oldest = (await session.execute(query)).one()
    return int(count or 0), as_utc(oldest) if isinstance(oldest, datetime) else None


async def pending_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    """How many committed events still wait for the relay."""
    query = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(col(OutboxMessage.published_at).is_(None))
    )
    async with sessions() as session:
        return int(await session.scalar(query) or 0)


async def prune_published(
    sessions: async_sessionmaker[AsyncSession], *, published_before: datetime, batch_size: int
) -> int:
    """Delete the rows published before ``published_before``, ``batch_size`` at most per
    transaction (a large backlog is deleted in short transactions, never one long lock of the
    table), until none is left; rows not yet published are never touched. How many went."""
    total = 0
    while True:
        due = (
            select(col(OutboxMessage.position))
            .where(
                col(OutboxMessage.published_at).is_not(None),
                col(OutboxMessage.published_at) < published_before,
            )
            .limit(batch_size)
        )
        async with sessions() as session, session.begin():
            result = await session.execute(
                delete(OutboxMessage)
                .where(col(OutboxMessage.position).in_(due))
                .execution_options(synchronize_session=False)
            )
        deleted = result.rowcount if isinstance(result, CursorResult) else 0
        total += deleted
        if deleted < batch_size:
            return total
        await asyncio.sleep(0)  # let the relay and the requests in between batches
