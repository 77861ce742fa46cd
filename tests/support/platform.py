"""The services in-process on real NATS and real databases, with HTTP clients and tokens."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from services.agreements.main import create_app as agreements_app
from services.agreements.settings import AgreementsSettings
from services.audit.main import create_app as audit_app
from services.audit.settings import AuditSettings
from services.audit.store import AuditEntry
from services.identity.main import IdentitySettings
from services.identity.main import create_app as identity_app
from services.notifier.main import NotifierSettings
from services.notifier.main import create_app as notifier_app
from services.notifier.store import Receipt
from shared.auth import JwksSource, Role, TokenSigner
from shared.bus_access import STREAM_ADMIN
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings, nats_url_without_credentials
from tests.support.databases import Database, migrated_copy

ISSUER = "pactum-identity"
AUDIENCE = "pactum"
# A service's start and stop may take this long on a loaded machine before the test fails. Stop
# gets what the deployment grants before it kills (docker-compose.yml's stop_grace_period): a
# consumer stopped mid-batch first finishes the batch's transaction.
STARTUP_SECONDS = 30
SHUTDOWN_SECONDS = 20

SERVICES: dict[str, tuple[type[ServiceSettings], Callable[..., FastAPI]]] = {
    "identity": (IdentitySettings, identity_app),
    "agreements": (AgreementsSettings, agreements_app),
    "audit": (AuditSettings, audit_app),
    "notifier": (NotifierSettings, notifier_app),
}

T = TypeVar("T")


def static_jwks(signer: TokenSigner) -> JwksSource:
    async def fetch() -> dict[str, Any]:
        return signer.jwks()

    return fetch


async def eventually(
    check: Callable[[], Awaitable[T]], *, within: float = 15.0, interval: float = 0.05
) -> T:
    """Poll ``check`` until it returns something truthy; fail with its last value otherwise."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s (last: {result!r})")
        await asyncio.sleep(interval)


class Platform:
    def __init__(
        self,
        *,
        nats_url: str,
        database: Callable[[str], Database],
        var_dir: Path,
        nats_passwords: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> None:
        self.nats_url = nats_url
        # Each service logs in as its own NATS user (shared/bus_access.py) when given passwords.
        self.nats_passwords = nats_passwords
        self.database = database
        self.var_dir = var_dir
        self.overrides = overrides
        self.signer = TokenSigner.generate(issuer=ISSUER, audience=AUDIENCE)
        self.apps: dict[str, FastAPI] = {}
        self.clients: dict[str, httpx.AsyncClient] = {}
        self._stack = AsyncExitStack()

    def settings(self, service: str, **overrides: Any) -> ServiceSettings:
        settings_class, _ = SERVICES[service]
        database = self.database(service)
        values: dict[str, Any] = {
            "environment": "test",
            "var_dir": self.var_dir,
            "nats_url": self.nats_url,
            # On PostgreSQL the service runs as its own role and migrates as the owner one.
            "database_url": database.service_url,
            "migration_database_url": database.url if database.runtime_url else "",
            "database_schema": database.schema,
            "outbox_poll_seconds": 0.05,
            "consumer_ack_wait_seconds": 2.0,
            "token_issuer": ISSUER,
            "token_audience": AUDIENCE,
        }
        if self.nats_passwords is not None:  # nats_url may log in as the operator, for the tests
            values["nats_url"] = nats_url_without_credentials(self.nats_url)
            values["nats_password"] = self.nats_passwords[service]
            values["stream_admin"] = service == STREAM_ADMIN
        values |= self.overrides | overrides
        return settings_class(**values)

    async def start(self, *services: str, **overrides: Any) -> "Platform":
        chosen = services or ("agreements", "audit", "notifier")
        if self.nats_passwords is not None:  # the stream's admin first: the others wait for it
            chosen = tuple(sorted(chosen, key=lambda service: service != STREAM_ADMIN))
        for service in chosen:
            _, create_app = SERVICES[service]
            settings = self.settings(service, **overrides)
            if "database_url" not in self.overrides | overrides:  # the test's own database
                # Copied by the migration role, which owns the schema; the service runs as its own.
                await migrated_copy(
                    Database(url=settings.migration_url, schema=settings.database_schema), service
                )
            app = create_app(settings, jwks=static_jwks(self.signer))
            await self._stack.enter_async_context(
                LifespanManager(
                    app, startup_timeout=STARTUP_SECONDS, shutdown_timeout=SHUTDOWN_SECONDS
                )
            )
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://{service}"
            )
            await self._stack.enter_async_context(client)
            self.apps[service] = app
            self.clients[service] = client
        return self

    async def stop(self) -> None:
        await self._stack.aclose()

    def runtime(self, service: str) -> ServiceRuntime:
        runtime: ServiceRuntime = self.apps[service].state.runtime
        return runtime

    def token(
        self,
        organisation_id: str,
        roles: Iterable[Role | str] = (Role.admin,),
        *,
        user_id: str | None = None,
    ) -> str:
        return self.signer.issue(
            user_id=user_id or f"user-{uuid.uuid4().hex[:8]}",
            organisation_id=organisation_id,
            roles=roles,
        )

    def auth(
        self, organisation_id: str, roles: Iterable[Role | str] = (Role.admin,)
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(organisation_id, roles)}"}

    async def audit_entries(self, **where: Any) -> list[AuditEntry]:
        async with self.runtime("audit").sessions() as session:
            query = select(AuditEntry).filter_by(**where).order_by(AuditEntry.position)  # type: ignore[arg-type]
            return list((await session.scalars(query)).all())

    async def receipts(self, **where: Any) -> list[Receipt]:
        async with self.runtime("notifier").sessions() as session:
            query = select(Receipt).filter_by(**where).order_by(Receipt.position)  # type: ignore[arg-type]
            return list((await session.scalars(query)).all())

    async def count(self, service: str, model: Any) -> int:
        async with self.runtime(service).sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
