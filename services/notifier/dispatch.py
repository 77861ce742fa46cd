"""The dispatcher: sends due deliveries from the ledger, records every attempt, schedules retries.

Driven by one background loop (woken after a commit that wrote deliveries, else polling) and by
:meth:`Dispatcher.tick` with an explicit ``now`` in tests. A delivery is claimed with a lease
before sending, so two dispatchers never send the same row; a crash mid-send leaves the lease to
expire and the row is sent again with the same Message-ID / webhook-id, which receivers dedup.
Each outcome is committed as soon as its send completes, so that window holds at most the sends in
flight (``dispatch_concurrency``), not the claimed batch.
"""

import asyncio
import uuid
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from opentelemetry import trace
from opentelemetry.metrics import Counter, Meter, NoOpCounter
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from services.notifier import ledger, mail, store, webhooks
from services.notifier.addressing import SYSTEM, address, alert_unreached
from services.notifier.domain import (
    Channel,
    DeliveryStatus,
    Locale,
    Topic,
    next_attempt,
    should_disable_endpoint,
)
from services.notifier.identity_client import IdentityDirectory, LinkGone
from services.notifier.ledger import Attempt, Delivery
from services.notifier.mail import Mail, Outcome
from services.notifier.notices import Notice
from services.notifier.reminders import remind
from services.notifier.secret_seal import SecretSeal
from services.notifier.settings import NotifierSettings
from services.notifier.templates import render_link
from shared.event_types.notifier import DELIVERY_DELIVERED, DELIVERY_FAILED, ENDPOINT_DISABLED
from shared.events.contracts.notifier import DeliveryAttempted, EndpointChanged
from shared.outbox import Outbox
from shared.telemetry import context_from_traceparent

log = structlog.get_logger("pactum.notifier")


def delivery_counter(meter: Meter) -> Counter:
    """Delivery attempts by channel (webhook, email) and outcome: delivered, retrying (failed,
    another attempt is scheduled) or dead (failed for good). No organisation, no endpoint."""
    return meter.create_counter(
        "pactum.notifier.delivery_attempts",
        unit="{attempt}",
        description="Webhook and mail delivery attempts by channel and outcome "
        "(delivered, retrying, dead).",
    )


class Dispatcher:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        settings: NotifierSettings,
        http: httpx.AsyncClient,
        identity: IdentityDirectory,
        attempts: Counter | None = None,
        seal: SecretSeal,
        resolver: webhooks.Resolver = webhooks.system_resolver,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self.sessions = sessions
        self.tracer = tracer or trace.NoOpTracer()
        self.outbox = outbox
        self.settings = settings
        self.http = http
        self.identity = identity
        self.seal = seal  # opens the webhook secrets sealed at rest
        self.resolver = resolver  # webhook hosts to addresses (checked, then connected to)
        self.attempts = attempts or NoOpCounter("pactum.notifier.delivery_attempts")
        self._wakeup = asyncio.Event()
        self._gate = asyncio.Semaphore(settings.dispatch_concurrency)

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            try:
                await self.tick(datetime.now(UTC))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notifier.dispatch_failed")
            self._wakeup.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wakeup.wait(), timeout=self.settings.dispatch_poll_seconds
                )

    async def tick(self, now: datetime) -> int:
        """Send the reminders due at ``now``, then every delivery due at ``now``.

        Each outcome is recorded as soon as its send completes (:class:`_Recorder`), and a send
        holds its place among the ``dispatch_concurrency`` until its outcome is committed: a
        crash re-sends at most that many deliveries, never a whole claimed batch.
        """
        async with self.sessions() as session, session.begin():
            await remind(session, outbox=self.outbox, settings=self.settings, now=now)
        total = 0
        recorder = _Recorder(self, now)
        try:
            while claimed := await self._claim(now):
                await asyncio.gather(*(self._deliver(d, e, recorder) for d, e in claimed))
                total += len(claimed)
        finally:
            await recorder.close()
        return total

    async def _deliver(
        self, delivery: Delivery, endpoint: store.Endpoint | None, recorder: "_Recorder"
    ) -> None:
        async with self._gate:
            outcome = await self._send_one(delivery, endpoint)
            try:
                result = await recorder.record(delivery, outcome)
            except Exception:  # the lease runs out and the delivery is sent again
                log.exception("notifier.record_failed", delivery_id=str(delivery.id))
                return
        if result == "taken_over":  # not this run's attempt: the replica that took it counts it
            return
        self.attempts.add(1, {"channel": delivery.channel.value, "outcome": result})
        log.info(
            "notifier.delivery_delivered" if outcome.delivered else "notifier.delivery_failed",
            delivery_id=str(delivery.id),
            channel=delivery.channel.value,
            status=outcome.status,
        )

    async def _claim(self, now: datetime) -> list[tuple[Delivery, store.Endpoint | None]]:
        """One transaction: the due deliveries this run takes, with their webhook endpoints.

        The lease runs from the wall clock, not from the run's ``now``: a run that has been
        sending for longer than a lease would otherwise take rows already free for a replica.
        """
        lease = max(now, datetime.now(UTC)) + timedelta(seconds=self.settings.lease_seconds)
        async with self.sessions() as session, session.begin():
            due = await ledger.due_ids(
                session=session, now=now, limit=self.settings.dispatch_batch_size
            )
            claimed = await ledger.claim(session=session, ids=due, now=now, lease_until=lease)
            endpoints = {
                endpoint.id: endpoint
                for endpoint in await store.endpoints_by_id(
                    session=session,
                    ids=[
                        uuid.UUID(d.message["endpoint_id"])
                        for d in claimed
                        if d.channel is Channel.webhook
                    ],
                )
            }
        return [
            (d, endpoints.get(uuid.UUID(d.message["endpoint_id"])) if "endpoint_id" in d.message
             else None)
            for d in claimed
        ]  # fmt: skip

    async def _send_one(self, delivery: Delivery, endpoint: store.Endpoint | None) -> Outcome:
        """One send, as a span in the trace of the batch that planned it (and so linked to the
        request behind its event): a webhook's call is a child of it and carries its trace."""
        with self.tracer.start_as_current_span(
            f"send {delivery.channel.value} notice",
            context=context_from_traceparent(delivery.message.get("traceparent")),
            kind=trace.SpanKind.PRODUCER,
            attributes={
                "pactum.delivery.id": str(delivery.id),
                "pactum.notice": delivery.notice,
                "pactum.delivery.channel": delivery.channel.value,
                "pactum.delivery.attempt": delivery.attempts + 1,
            },
        ) as span:
            try:
                outcome = await self._send(delivery, endpoint)
            except Exception as error:  # never lose a delivery to a bug in one send: retry it
                log.exception("notifier.send_failed", delivery_id=str(delivery.id))
                outcome = Outcome(False, type(error).__name__)
            if not outcome.delivered:
                span.set_status(trace.StatusCode.ERROR, outcome.status)
            return outcome

    async def _send(self, delivery: Delivery, endpoint: store.Endpoint | None) -> Outcome:
        message = delivery.message
        if delivery.channel is Channel.webhook:
            if endpoint is None or not endpoint.enabled:
                return Outcome(False, "endpoint_disabled", permanent=True)
            return await webhooks.call(
                self.http,
                endpoint=endpoint,
                message_id=f"msg_{delivery.id.hex}",
                body=message["body"],
                production=self.settings.production,
                seal=self.seal,
                resolver=self.resolver,
            )  # signed with the wall-clock time: receivers check it against theirs
        if "link_id" in message:
            try:
                link = await self.identity.fetch(message["link_id"])
            except LinkGone:
                return Outcome(False, "link_gone", permanent=True)
            except (httpx.HTTPError, OSError) as error:
                return Outcome(False, "identity_unreachable", detail=type(error).__name__)
            rendered = render_link(
                notice=delivery.notice,
                locale=Locale(message["locale"]),
                url=link.url,
                expires_at=link.expires_at,
                event_id=message["event_id"],
                replaces_earlier=link.replaces_earlier,
                invitation=link.invitation,
            )
            to, subject, text, html = link.email, rendered.subject, rendered.text, rendered.html
        else:
            subject, text, html = message["subject"], message["text"], message["html"]
            try:
                to = message.get("to") or await self._address(message)
            except LinkGone:
                return Outcome(False, "no_address", permanent=True)
            except (httpx.HTTPError, OSError) as error:
                return Outcome(False, "identity_unreachable", detail=type(error).__name__)
            if not to:
                return Outcome(False, "no_address", permanent=True)
        composed = mail.compose(
            Mail(
                to,
                subject,
                text,
                html,
                delivery.id.hex,
                message["event_id"],
                delivery.thread_id,
                delivery.organisation_id,
            ),
            sender=self.settings.mail_from,
        )
        return await mail.send(self.settings, composed)

    async def _address(self, message: dict[str, Any]) -> str:
        """Where identity says to send it: the user's address, the one an e-mail change replaced,
        or the active admins'."""
        if message.get("admins_of"):
            return ", ".join(await self.identity.admin_addresses(message["admins_of"]))
        if message.get("former_address_of"):  # an e-mail change: the address it replaced
            return await self.identity.former_address(message["former_address_of"])
        if message.get("user_id"):
            return await self.identity.user_address(message["user_id"])
        return ""

    async def _record(
        self, session: AsyncSession, claimed: Delivery, outcome: Outcome, now: datetime
    ) -> str:
        """Record one attempt; its result is delivered, retrying or dead, or ``taken_over`` when
        this run's lease ran out and another dispatcher claimed the delivery meanwhile: that one
        records its own attempt, so a delivery is never recorded twice (the receiver may get it
        twice, under the same id, as docs/notifier.md says)."""
        delivery = await session.get(Delivery, claimed.id)
        assert delivery is not None
        if delivery.claim != claimed.claim:
            log.warning("notifier.delivery_taken_over", delivery_id=str(delivery.id))
            return "taken_over"
        retry = settle(delivery, outcome, now=now, delays=self.settings.retry_delays)
        self._evidence_attempt(session, delivery, outcome, retry=retry, now=now)
        if delivery.channel is Channel.webhook:
            await self._track_endpoint(session, delivery, outcome, gave_up=retry is None, now=now)
        if (
            not outcome.delivered
            and retry is None
            and not await ledger.anyone_reached_or_waiting(
                session=session, cause=delivery.cause, besides=delivery.id
            )
        ):
            alert_unreached(session, self.outbox, notice=delivery, reason="every_delivery_failed")
        return "delivered" if outcome.delivered else "dead" if retry is None else "retrying"

    def _evidence_attempt(
        self,
        session: AsyncSession,
        delivery: Delivery,
        outcome: Outcome,
        *,
        retry: datetime | None,
        now: datetime,
    ) -> None:
        """The attempt in the ledger, and its event: ``delivery.delivered`` or ``.failed``."""
        session.add(
            Attempt(
                delivery_id=delivery.id,
                organisation_id=delivery.organisation_id,
                number=delivery.attempts,
                at=now,
                delivered=outcome.delivered,
                status=outcome.status,
                detail=outcome.detail,
            )
        )
        self.outbox.add(
            session,
            type=DELIVERY_DELIVERED if outcome.delivered else DELIVERY_FAILED,
            tenant=delivery.organisation_id,
            actor=SYSTEM,
            subject=str(delivery.id),
            data=DeliveryAttempted(
                delivery_id=delivery.id,
                channel=delivery.channel.value,
                attempt=delivery.attempts,
                notice=delivery.notice,
                cause=delivery.cause,
                status=outcome.status,
                bounced=outcome.permanent and delivery.channel is Channel.email,
                next_attempt_at=retry,
            ),
        )

    async def _track_endpoint(
        self, session: AsyncSession, delivery: Delivery, outcome: Outcome, *, gave_up: bool,
        now: datetime,
    ) -> None:  # fmt: skip
        endpoint = await session.get(store.Endpoint, uuid.UUID(delivery.message["endpoint_id"]))
        if endpoint is None or outcome.status == "endpoint_disabled":
            return
        endpoint.failures = 0 if outcome.delivered else endpoint.failures + 1
        if not endpoint.enabled or not should_disable_endpoint(
            consecutive_failures=endpoint.failures, gave_up=gave_up
        ):
            return
        endpoint.enabled = False
        endpoint.disabled_at = now
        self.outbox.add(
            session,
            type=ENDPOINT_DISABLED,
            tenant=endpoint.organisation_id,
            actor=SYSTEM,
            subject=str(endpoint.id),
            data=EndpointChanged(
                endpoint_id=endpoint.id, topics=endpoint.topics, reason="repeated failures"
            ),
        )
        await address(
            session,
            outbox=self.outbox,
            notice=Notice(
                notice="endpoint_disabled",
                topic=Topic.security,
                organisation_id=endpoint.organisation_id,
                cause=f"endpoint:{endpoint.id}/disabled/{int(now.timestamp())}",
                event_id=str(delivery.message["event_id"]),
                facts={"endpoint_id": str(endpoint.id), "failures": endpoint.failures},
                link=f"/notifier/endpoints/{endpoint.id}",
            ),
            base_url=self.settings.public_base_url,
            now=now,
        )


def settle(
    delivery: Delivery, outcome: Outcome, *, now: datetime, delays: tuple[timedelta, ...]
) -> datetime | None:
    """The delivery after one more attempt, and when it is tried again: delivered (None), failed
    for good (None: permanently, or the retry schedule is spent), or pending until the moment
    returned. Its lease is released either way."""
    delivery.attempts += 1
    delivery.lease_until = None
    delivery.claim = None
    delivery.last_status = outcome.status
    retry = None if outcome.delivered or outcome.permanent else next_attempt(
        attempt=delivery.attempts, now=now, delays=delays
    )  # fmt: skip
    if outcome.delivered:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif retry is None:
        delivery.status = DeliveryStatus.failed
        delivery.next_attempt_at = None
    else:
        delivery.status = DeliveryStatus.pending
        delivery.next_attempt_at = retry
    return retry


class _Recorder:
    """Commits outcomes as their sends complete: one transaction for the outcomes that completed
    while the previous one was committing, or within ``dispatch_record_window_seconds`` of the
    first (group commit; 0 records each as soon as the writer is free). One writer at a time,
    so SQLite never sees two writing transactions of the dispatcher."""

    def __init__(self, dispatcher: Dispatcher, now: datetime) -> None:
        self.dispatcher = dispatcher
        self.now = now
        self.window = dispatcher.settings.dispatch_record_window_seconds
        self.pending: list[tuple[Delivery, Outcome, asyncio.Future[str]]] = []
        self.writer: asyncio.Task[None] | None = None

    async def record(self, delivery: Delivery, outcome: Outcome) -> str:
        """Delivered, retrying or dead, once the outcome is committed."""
        recorded: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.pending.append((delivery, outcome, recorded))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write())
        return await recorded

    async def _write(self) -> None:
        while self.pending:
            await asyncio.sleep(self.window)
            batch, self.pending = self.pending, []
            try:
                async with self.dispatcher.sessions() as session, session.begin():
                    await ledger.load(session=session, ids=[d.id for d, _, _ in batch])
                    results = [
                        await self.dispatcher._record(session, delivery, outcome, self.now)
                        for delivery, outcome, _ in batch
                    ]
            except Exception as error:  # the leases run out and the rows are sent again
                for *_, recorded in batch:
                    if not recorded.done():
                        recorded.set_exception(error)
                continue
            for (*_, recorded), result in zip(batch, results, strict=True):
                if not recorded.done():
                    recorded.set_result(result)

    async def close(self) -> None:
        """Outcomes not yet committed are dropped (a cancelled run): their leases run out."""
        if self.writer is not None and not self.writer.done():
            self.writer.cancel()
            with suppress(asyncio.CancelledError):
                await self.writer
        for *_, recorded in self.pending:
            recorded.cancel()
        self.pending = []


@event.listens_for(Session, "after_commit")
def _wake_dispatcher(session: Session) -> None:
    dispatcher: Any = session.info.pop("pactum_notifier_wake", None)
    if dispatcher is not None:
        dispatcher.wake()
