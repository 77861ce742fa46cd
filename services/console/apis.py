"""The four services' public APIs, as the console calls them: the person's token, nothing more.

Every call carries the signed-in person's own access token (never a service credential), the
trace context of the page being rendered, and the browser's address for identity's throttles.
An answer the page cannot use becomes an :class:`ApiRefused` with the status and the service's
own words; the pages decide what a person is told.
"""

import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import structlog
from opentelemetry import propagate

from services.console.settings import ConsoleSettings
from shared.request import client_agent

log = structlog.get_logger("pactum.console")

Service = Literal["identity", "agreements", "audit", "notifier"]

# The (start, end) of every API call the current page makes, for its Server-Timing header.
calls_of_this_page: ContextVar[list[tuple[float, float]] | None] = ContextVar(
    "calls_of_this_page", default=None
)


def busy_seconds(intervals: list[tuple[float, float]]) -> float:
    """How long at least one call was under way: parallel calls count once (their union)."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


@dataclass
class ApiRefused(Exception):
    """A 4xx answer: the status and the service's ``detail`` (shown, never a stack trace)."""

    status: int
    detail: str
    body: Any = None

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


class NotSignedIn(ApiRefused):
    """401: the person's session ended in identity (signed out elsewhere, revoked, expired)."""


class ServiceUnavailable(Exception):
    """A service did not answer, or answered 5xx: the page says so and keeps the form."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service


def _detail(response: httpx.Response) -> tuple[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300], None
    if isinstance(body, dict):  # problem details (RFC 9457)
        errors = body.get("errors")
        if isinstance(errors, list) and errors:  # a validation answer: the fields, not the values
            fields = [str(item.get("field", "")).partition(".")[2] for item in errors]
            return "invalid: " + ", ".join(f for f in fields if f), body
        return str(body.get("detail") or body.get("title") or ""), body
    return "", body


PAGE_SIZE = 25  # rows of a list page people read (agreements, breaches)
MAX_CURSOR = 600  # longer than any cursor a list gives


class Apis:
    """One ``httpx.AsyncClient`` for the whole console; calls in parallel with asyncio.gather."""

    def __init__(self, settings: ConsoleSettings, http: httpx.AsyncClient | None = None) -> None:
        self.bases: dict[str, str] = {
            "identity": settings.identity_url.rstrip("/"),
            "agreements": settings.agreements_url.rstrip("/"),
            "audit": settings.audit_url.rstrip("/"),
            "notifier": settings.notifier_url.rstrip("/"),
        }
        self.http = http or httpx.AsyncClient(
            timeout=settings.api_timeout_seconds, follow_redirects=False
        )
        # Tests route each service to its own in-process app.
        self.clients: dict[str, httpx.AsyncClient] = {}

    def client_for(self, service: Service) -> httpx.AsyncClient:
        return self.clients.get(service, self.http)

    async def call(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        client_address: str | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers: dict[str, str] = {"accept": "application/json"}
        propagate.inject(headers)
        if token:
            headers["authorization"] = f"Bearer {token}"
        if client_address:
            headers["x-forwarded-for"] = client_address
            # The person's browser with it: identity tells a new device by both.
            if agent := client_agent.get():
                headers["user-agent"] = agent
        if idempotency_key:
            headers["idempotency-key"] = idempotency_key
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        started = time.perf_counter()
        try:
            response = await self.client_for(service).request(
                method, f"{self.bases[service]}{path}", json=json, params=clean, headers=headers
            )
        except httpx.HTTPError as error:
            log.warning("console.api_unreachable", service=service, error=type(error).__name__)
            raise ServiceUnavailable(service, type(error).__name__) from None
        finally:
            timings = calls_of_this_page.get()
            if timings is not None:
                timings.append((started, time.perf_counter()))
        if response.status_code >= 500:
            log.warning("console.api_failed", service=service, status=response.status_code)
            raise ServiceUnavailable(service, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            detail, body = _detail(response)
            if response.status_code == 401:
                raise NotSignedIn(401, detail, body)
            raise ApiRefused(response.status_code, detail, body)
        return response

    async def json(self, service: Service, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(service, method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def page(
        self,
        service: Service,
        path: str,
        *,
        token: str | None,
        cursor: str,
        page_size: int = PAGE_SIZE,
    ) -> dict[str, Any] | None:
        """One page of a paged list for a page people read (``page_size`` items and the cursor
        of the next), or None when ``cursor`` is not one the list gave: an old or edited link,
        which the page answers by starting over."""
        if len(cursor) > MAX_CURSOR:
            return None
        try:
            found: dict[str, Any] = await self.json(
                service,
                "GET",
                path,
                token=token,
                params={"limit": page_size, "cursor": cursor or None},
            )
        except ApiRefused as refused:
            if refused.status != 422 or not cursor:
                raise
            return None
        return found

    async def every(
        self,
        service: Service,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
    ) -> list[Any]:
        """Every item of a paged list (``docs/api.md``, "Lists"), following ``next_cursor`` to
        the last page: for a page that shows the whole list. 100 a page, which every list takes."""
        items: list[Any] = []
        cursor: str | None = None
        while True:
            sent = dict(params or {}) | {"limit": page_size, "cursor": cursor}
            page = await self.json(service, "GET", path, token=token, params=sent)
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    async def close(self) -> None:
        await self.http.aclose()
