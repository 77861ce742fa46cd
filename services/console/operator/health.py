"""The platform's health for the operator: each service's ``GET /operations/status``, fetched in
parallel. A service that does not answer is shown as unreachable; the page itself never fails
because one of them is down."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.apis import ApiRefused, Service, ServiceUnavailable
from services.console.language import parse_time
from services.console.render import render
from services.console.web import OperatorAdmin, apis_of, visitor

router = APIRouter(dependencies=[Depends(visitor)])

SERVICES: tuple[Service, ...] = ("identity", "agreements", "audit", "notifier")
# Beyond these the operator should look (docs/operations.md has the alert rules' thresholds).
OUTBOX_AGE_WARNING_SECONDS = 60.0
CONSUMER_PENDING_WARNING = 1000
CHECKPOINT_AGE_WARNING_SECONDS = 2 * 3600.0


async def _status(request: Request, person: OperatorAdmin, service: Service) -> dict[str, Any]:
    try:
        found = await apis_of(request).json(
            service,
            "GET",
            "/operations/status",
            token=person.access_token,
        )
    except ServiceUnavailable:
        return {"service": service, "state": "unreachable"}
    except ApiRefused as refused:
        return {"service": service, "state": "refused", "status": refused.status}
    if not isinstance(found, dict):
        return {"service": service, "state": "unreachable"}
    return judged(service, found, now=datetime.now(UTC))


def judged(service: str, found: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """One service's answer, with what deserves the operator's attention marked."""
    ready = found.get("ready") or {}
    outbox = found.get("outbox") or {}
    consumers = found.get("consumers") or {}
    checkpoints = found.get("checkpoints")
    warnings: list[str] = []
    if not all(ready.values()) or not ready:
        warnings.append("not_ready")
    age = outbox.get("oldest_age_seconds")
    if isinstance(age, (int, float)) and age > OUTBOX_AGE_WARNING_SECONDS:
        warnings.append("outbox_old")
    if any(c.get("pending", 0) > CONSUMER_PENDING_WARNING for c in consumers.values()):
        warnings.append("consumer_lag")
    checkpoint_age = None
    if isinstance(checkpoints, dict):
        signed = parse_time(checkpoints.get("newest_signed_at"))
        if signed is not None:
            checkpoint_age = (now - signed).total_seconds()
            if checkpoint_age > CHECKPOINT_AGE_WARNING_SECONDS:
                warnings.append("checkpoint_old")
    closures = found.get("closures")
    overdue = closures.get("overdue") if isinstance(closures, dict) else None
    if isinstance(overdue, int) and overdue > 0:
        warnings.append("closure_overdue")  # agreements past their return-or-destruction deadline
    return {
        "service": service,
        "state": "ready" if "not_ready" not in warnings else "not_ready",
        "closures_overdue": overdue if isinstance(overdue, int) else None,
        "ready": ready,
        "outbox": outbox,
        "consumers": dict(sorted(consumers.items())),
        "checkpoints": checkpoints if isinstance(checkpoints, dict) else None,
        "checkpoint_age": checkpoint_age,
        "warnings": warnings,
    }


@router.get("/operator/health")
async def health_page(request: Request, person: OperatorAdmin) -> Response:
    statuses = await asyncio.gather(*(_status(request, person, s) for s in SERVICES))
    context = {"statuses": statuses, "checked_at": datetime.now(UTC)}
    return render(request, "operator/platform_health.html", context)
