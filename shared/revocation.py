"""Revoked sessions and grants, known to every service before the tokens that carry them expire.

Identity emits ``dpa.identity.session.revoked.v1`` (logout, disabled user, password reset, refresh
token reuse...) and ``dpa.identity.grant.revoked.v1`` through its outbox. Every service keeps a
:class:`RevocationList` fed by an ephemeral, ordered JetStream consumer that starts at
``now - remember`` (the longest access-token lifetime and then some), so a service that starts or
reconnects also learns the revocations it missed. ``TokenVerifier`` refuses a token whose session
or grant is on the list. Entries are forgotten once every token they could concern has expired.

A revocation counts only as identity published it: on identity's subject, with identity's
``source`` and a valid payload (:func:`shared.broker.open_event`). Only identity's NATS user may
publish on ``dpa.*.identity.>`` (docs/operations.md, "The bus: one user per service"), so another
service's credentials cannot sign everyone out or lift a revocation (TOM-T5).

An emergency key revocation (``pactum rotate-key token --revoke-now``) emits
``dpa.platform.identity.signing_key.revoked``: the list hands the key id to whoever follows it
(``on_key_revoked``: every service's ``TokenVerifier.drop_key``, identity's own key reload), so a
token signed with that key is refused at once, not when the JWKS cache next expires.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig, DeliverPolicy

from shared.broker import open_event
from shared.bus_access import REVOCATIONS
from shared.event_types.identity import GRANT_REVOKED, SESSION_REVOKED, SIGNING_KEY_REVOKED
from shared.events import Envelope

log = structlog.get_logger("pactum.revocation")

SUBJECTS = REVOCATIONS


class RevocationList:
    """Session and grant ids whose tokens must be refused, each remembered for ``remember``."""

    def __init__(self, *, remember: timedelta = timedelta(minutes=30)) -> None:
        self.remember_seconds = remember.total_seconds()
        self._sessions: dict[str, float] = {}
        self._grants: dict[str, float] = {}
        # Called with the id of each signing key revoked (at once, on the listener's task).
        self.on_key_revoked: list[Callable[[str], None]] = []

    def revoke_sessions(self, session_ids: list[str]) -> None:
        until = time.monotonic() + self.remember_seconds
        for session_id in session_ids:
            self._sessions[session_id] = until

    def revoke_grant(self, grant_id: str) -> None:
        self._grants[grant_id] = time.monotonic() + self.remember_seconds

    def is_revoked(self, *, session_id: str, grant_id: str | None) -> bool:
        now = time.monotonic()
        if self._sessions.get(session_id, 0.0) > now:
            return True
        return grant_id is not None and self._grants.get(grant_id, 0.0) > now

    def sizes(self) -> tuple[int, int]:
        """How many sessions and grants are on the list (for the metrics)."""
        return len(self._sessions), len(self._grants)

    def forget_expired(self) -> None:
        now = time.monotonic()
        for entries in (self._sessions, self._grants):
            for key in [key for key, until in entries.items() if until <= now]:
                del entries[key]

    def apply(self, envelope: Envelope) -> None:
        """Take one revocation event into account (others are ignored)."""
        if envelope.type == SESSION_REVOKED:
            self.revoke_sessions([str(session) for session in envelope.data["session_ids"]])
        elif envelope.type == GRANT_REVOKED:
            self.revoke_grant(str(envelope.data["grant_id"]))
        elif envelope.type == SIGNING_KEY_REVOKED:
            for follow in self.on_key_revoked:
                follow(str(envelope.data["key_id"]))
        self.forget_expired()


@dataclass
class _NamedAnew(ConsumerConfig):
    """An ordered consumer's configuration that gets a fresh name each time it is created.

    Named, the consumer is created on ``$JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>``: the
    one form of that request a service's NATS user may send here, with a revocation filter held
    by the server (shared/bus_access.py). An ordered consumer is created again after a gap or a
    reconnect (nats-py evolves the configuration it was given); a new name keeps that from
    colliding with the consumer it replaces. nats-py re-creates it from the next stream sequence
    but leaves the first start time in place, which the server refuses (both a start sequence and
    a start time): the listener then heard no revocation after a NATS restart until the service
    restarted. The start time is dropped once a start sequence is set.
    """

    def evolve(self, **params: Any) -> "_NamedAnew":
        fresh = replace(self, **params, name=f"revocations-{uuid.uuid4().hex}")
        if fresh.deliver_policy is DeliverPolicy.BY_START_SEQUENCE:
            fresh = replace(fresh, opt_start_time=None)
        return fresh


async def listen(connection: Any, *, stream: str, revocations: RevocationList) -> list[Any]:
    """Subscribe ``revocations`` to the stream's revocation events, replaying the recent past."""
    js = connection.jetstream()
    start = datetime.now(UTC) - timedelta(seconds=revocations.remember_seconds)

    async def on_message(message: Msg) -> None:
        envelope, kind, reason = open_event(message.data, subject=message.subject)
        if kind is not None and kind.type not in (
            SESSION_REVOKED,
            GRANT_REVOKED,
            SIGNING_KEY_REVOKED,
        ):
            reason = f"{kind.type!r} is not a revocation"
        if envelope is None or reason:
            log.warning(
                "event.rejected", consumer="revocations", reason=reason, subject=message.subject
            )
            return
        revocations.apply(envelope)

    subscriptions = []
    for subject in SUBJECTS:
        subscriptions.append(
            await js.subscribe(
                subject,
                cb=on_message,
                stream=stream,
                ordered_consumer=True,
                config=_NamedAnew(
                    deliver_policy=DeliverPolicy.BY_START_TIME,
                    opt_start_time=start,
                ),
            )
        )
    return subscriptions
