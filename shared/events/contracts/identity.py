"""Payloads of the events the identity service emits."""

from shared.events.kind import EventKind

KINDS: tuple[EventKind, ...] = ()
