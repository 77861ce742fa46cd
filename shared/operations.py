"""``GET /operations/status`` on every service: what the runtime samples, for the operator.

Readiness (database, NATS), the outbox backlog and each durable consumer's lag, as
:class:`shared.runtime.ServiceRuntime` last sampled them (every ``metrics_sample_seconds``;
null until the first sample), plus what a service adds (audit: its checkpoints). No tenant data:
only an admin of the operator organisation, in its own name, may read it (the ``org_kind`` claim
of identity's token says the organisation's kind); everyone else gets the generic 403.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import CurrentPrincipal

StatusSection = Callable[[], Awaitable[dict[str, Any]]]


class _Lag(Protocol):
    pending: int
    ack_pending: int
    redelivered: int


class _Runtime(Protocol):
    """What this route reads of :class:`shared.runtime.ServiceRuntime`."""

    settings: Any
    outbox_backlog: tuple[int, datetime | None] | None
    consumer_lag: dict[str, _Lag]
    status_sections: dict[str, StatusSection]

    async def ready(self) -> dict[str, bool]: ...


class Readiness(BaseModel):
    database: bool = Field(description="Whether the database answers.")
    nats: bool = Field(description="Whether NATS JetStream answers.")


class OutboxStatus(BaseModel):
    pending: int | None = Field(description="Committed events not yet published; null: unknown.")
    oldest_age_seconds: float | None = Field(
        description="Age of the oldest unpublished event (0 when none waits); null: unknown."
    )


class ConsumerStatus(BaseModel):
    pending: int = Field(description="Messages not yet delivered to the consumer.")
    ack_pending: int = Field(description="Messages delivered but not yet acknowledged.")
    redelivered: int = Field(description="Messages delivered more than once.")


class ServiceStatus(BaseModel):
    """One service's state. A service may add sections of its own: audit adds ``checkpoints``
    (``newest_signed_at``: RFC 3339 or null, ``unsigned_entries``: entries no signed checkpoint
    covers yet)."""

    model_config = ConfigDict(extra="allow")

    service: str = Field(description="The service's name.")
    ready: Readiness = Field(description="Whether its dependencies answer.")
    outbox: OutboxStatus = Field(description="Its transactional outbox's backlog.")
    consumers: dict[str, ConsumerStatus] = Field(
        description="Each durable consumer of this service, by name, as JetStream last reported."
    )


router = APIRouter(tags=["operations"])


def _outbox(runtime: _Runtime) -> OutboxStatus:
    if runtime.outbox_backlog is None:
        return OutboxStatus(pending=None, oldest_age_seconds=None)
    pending, oldest = runtime.outbox_backlog
    age = 0.0 if oldest is None else max((datetime.now(UTC) - oldest).total_seconds(), 0.0)
    return OutboxStatus(pending=pending, oldest_age_seconds=round(age, 3))


@router.get(
    "/operations/status",
    response_model=ServiceStatus,
    responses={403: {"description": "The caller is not an admin of the operator organisation."}},
)
async def operations_status(principal: CurrentPrincipal, request: Request) -> dict[str, Any]:
    """The service's readiness, outbox backlog and consumer lag (operator's admins only)."""
    if not principal.is_operator_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="Not allowed")
    runtime: _Runtime = request.app.state.runtime
    answer = ServiceStatus(
        service=runtime.settings.service,
        ready=Readiness(**await runtime.ready()),
        outbox=_outbox(runtime),
        consumers={
            durable: ConsumerStatus(
                pending=lag.pending, ack_pending=lag.ack_pending, redelivered=lag.redelivered
            )
            for durable, lag in runtime.consumer_lag.items()
        },
    ).model_dump()
    for name, section in runtime.status_sections.items():
        answer[name] = await section()
    return answer
