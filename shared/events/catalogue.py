"""The event catalogue: each event type, its payload model, and the requirements it evidences.

The catalogue is the contract between the services, so it lives in ``shared`` rather than in the
producing service: the audit service validates and classifies every event without importing the
service that emitted it. Publishing or consuming an unregistered type is a bug.
"""

import builtins
from dataclasses import dataclass

from pydantic import BaseModel

from shared.events.contracts import agreements, audit, notifier
from shared.events.subjects import parse_type


@dataclass(frozen=True)
class EventKind:
    type: str
    payload: builtins.type[BaseModel]
    requirements: tuple[str, ...]
    summary: str

    def __post_init__(self) -> None:
        parse_type(self.type)  # refuse a malformed type at import time

    @property
    def service(self) -> str:
        return parse_type(self.type)[0]

    @property
    def is_access(self) -> bool:
        """A read ("consultatie", TOM-T3a) rather than a change."""
        return parse_type(self.type)[2] in {"viewed", "listed", "exported"}


class UnknownEventType(KeyError):
    pass


_KINDS = (
    EventKind(
        type="dpa.agreements.agreement.created.v1",
        payload=agreements.AgreementCreated,
        requirements=("DPA-1", "TOM-T3a"),
        summary="A draft data-processing agreement was created.",
    ),
    EventKind(
        type="dpa.agreements.agreement.viewed.v1",
        payload=agreements.AgreementViewed,
        requirements=("TOM-T3a", "DPA-11"),
        summary="An agreement was read; names the fields returned, never their values.",
    ),
    EventKind(
        type="dpa.agreements.agreement.listed.v1",
        payload=agreements.AgreementsListed,
        requirements=("TOM-T3a",),
        summary="A list of agreements was read.",
    ),
    EventKind(
        type="dpa.audit.log.viewed.v1",
        payload=audit.AuditLogViewed,
        requirements=("TOM-T3a", "TOM-T3b"),
        summary="An organisation's audit log was read.",
    ),
    EventKind(
        type="dpa.notifier.receipt.listed.v1",
        payload=notifier.ReceiptsListed,
        requirements=("TOM-T3a",),
        summary="The notifier's receipts of an organisation were read.",
    ),
)

CATALOGUE: dict[str, EventKind] = {kind.type: kind for kind in _KINDS}


def kind_of(event_type: str) -> EventKind:
    try:
        return CATALOGUE[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None
