"""Events put into a running service's outbox as its own use cases put them, for the consumers."""

import uuid

from pydantic import BaseModel

from shared.events import Actor, Envelope
from shared.events.contracts.agreements import AgreementStatusChanged
from tests.support.platform import Platform, eventually


async def emit(
    platform: Platform, service: str, *, type: str, tenant: str, data: BaseModel
) -> Envelope:
    """Record an event in ``service``'s outbox in one transaction; its relay sends it on."""
    runtime = platform.runtime(service)
    async with runtime.sessions() as session, session.begin():
        return runtime.outbox.add(
            session, type=type, tenant=tenant, actor=Actor.system(service), data=data
        )


async def activation_consumed(platform: Platform, organisation: str) -> Envelope:
    """Agreements' outbox relays an agreement's activation (one the notifier plans a notice
    for: its durable takes only those); returns once audit and the notifier both consumed it and
    ``organisation``'s log holds an entry."""
    activated = await emit(
        platform,
        "agreements",
        type="dpa.agreements.agreement.activated.v1",
        tenant=organisation,
        data=AgreementStatusChanged(agreement_id=uuid.uuid4(), status="active", version=1),
    )

    async def recorded() -> bool:
        return bool(await platform.audit_entries(organisation_id=organisation)) and bool(
            await platform.receipts(event_id=activated.id)
        )

    await eventually(recorded)
    return activated
