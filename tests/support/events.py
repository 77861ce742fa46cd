"""Events put into a running service's outbox as its own use cases put them, for the consumers."""

from pydantic import BaseModel

from shared.events import Actor, Envelope
from tests.support.platform import Platform


async def emit(
    platform: Platform, service: str, *, type: str, tenant: str, data: BaseModel
) -> Envelope:
    """Record an event in ``service``'s outbox in one transaction; its relay sends it on."""
    runtime = platform.runtime(service)
    async with runtime.sessions() as session, session.begin():
        return runtime.outbox.add(
            session, type=type, tenant=tenant, actor=Actor.system(service), data=data
        )
