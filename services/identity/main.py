"""Composition root of the identity service: wiring only."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from fastapi import FastAPI

from services.identity import (
    access,
    account_api,
    admin_api,
    api,
    errors,
    federation_api,
    grants,
    grants_api,
    internal_api,
    keys,
    link_redirects,
    notice_api,
    organisation_api,
    organisation_directory_api,
    organisations,
    passkey_api,
    preview_api,
    retention,
    store,
)
from services.identity.authority import Authority, load_or_create_delivery_key
from services.identity.keys import (
    Sealer,
    follow_key_revocations,
    load_or_create_signer,
)
from services.identity.login import lockout_counter
from services.identity.migrations import MIGRATIONS
from services.identity.passwords import Passwords
from services.identity.resets import ResetRequests
from services.identity.settings import IdentitySettings
from shared import error_answers
from shared.auth import JwksSource
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings

__all__ = ["IdentitySettings", "create_app"]

log = structlog.get_logger("pactum.identity")


ROUTERS = (
    api.router,
    account_api.router,
    passkey_api.router,
    admin_api.router,
    grants_api.router,
    organisation_api.router,
    internal_api.router,
    # What the web console needs (routes of their own, so the modules above stay as they are).
    preview_api.router,
    organisation_directory_api.router,
    notice_api.router,
    link_redirects.router,
    federation_api.router,  # an organisation's own identity provider
)


def create_app(
    settings: ServiceSettings | None = None, *, jwks: JwksSource | None = None
) -> FastAPI:
    settings = settings if isinstance(settings, IdentitySettings) else IdentitySettings()
    runtime = ServiceRuntime(
        settings, tables=MIGRATIONS.tables, jwks=_own_keys(lambda: app.state.authority, jwks)
    )
    store.begin_immediately(runtime.engine)
    app = FastAPI(
        title="pactum identity",
        version="0.2.0",
        summary="Organisations, users, MFA, lockout, sessions, supplier access grants.",
        lifespan=runtime.lifespan,
    )
    runtime.install(app)
    error_answers.install(app)
    errors.install(app)
    access.install(app)
    _start_authority(app, runtime, settings)
    _sweep_grants(app, runtime, settings)
    resets = ResetRequests(runtime.sessions, lambda: app.state.authority)
    app.state.resets = resets
    runtime.background.append(resets.run)
    _forget_client_addresses(runtime, settings)
    for router in ROUTERS:
        app.include_router(router)
    return app


def _own_keys(authority: Callable[[], Authority], given: JwksSource | None) -> JwksSource:
    """Identity verifies its own tokens with its own keys (plus any given, in tests)."""

    async def own_keys() -> dict[str, Any]:
        keys = list(authority().jwks()["keys"])
        if given is not None:
            keys += (await given()).get("keys", [])
        return {"keys": keys}

    return own_keys


def _start_authority(app: FastAPI, runtime: ServiceRuntime, settings: IdentitySettings) -> None:
    """At start: the authority with its keys, its signing key on record, the demo seeded."""

    async def start() -> None:
        authority = Authority(
            settings=settings,
            outbox=runtime.outbox,
            signer=load_or_create_signer(
                settings.signing_key_path,
                issuer=settings.token_issuer,
                audience=settings.token_audience,
            ),
            sealer=Sealer.from_file(settings.data_key_path),
            passwords=Passwords(
                memory_kib=settings.argon2_memory_kib,
                time_cost=settings.argon2_time_cost,
                parallelism=settings.argon2_parallelism,
            ),
            revocations=runtime.revocations,
            delivery_key=load_or_create_delivery_key(settings.delivery_key_path),
            lockouts=lockout_counter(runtime.metrics.meter),
        )
        app.state.authority = authority
        app.state.signer = authority.signer
        # An emergency key revocation: sign with the new key file's key at once.
        runtime.revocations.on_key_revoked.append(
            follow_key_revocations(authority, settings.signing_key_path)
        )
        async with runtime.sessions() as session:
            await keys.record_signing_key(session, authority)
        if settings.demo_data:
            await _seed_demo(runtime, authority)

    runtime.startup.append(start)


async def _seed_demo(runtime: ServiceRuntime, authority: Authority) -> None:
    """The demo organisations and their first admins' invitations (``demo_data``)."""
    async with runtime.sessions() as session, session.begin():
        invitations = await organisations.seed_demo(session=session, authority=authority)
    for email in invitations:
        # Told once, on the console: the demo's first admins find their invitation link in the
        # mail (the development mail sink); the link itself is never printed.
        print(f"demo invitation for {email}: mailed", flush=True)


def _sweep_grants(app: FastAPI, runtime: ServiceRuntime, settings: IdentitySettings) -> None:
    """Grants past their end expire, each with its event, every ``grant_sweep_seconds``."""

    async def sweep_grants() -> None:
        while True:
            await asyncio.sleep(settings.grant_sweep_seconds)
            try:
                await grants.expire_grants(sessions=runtime.sessions, authority=app.state.authority)
            except Exception as error:  # the sweep retries on its next round
                log.warning("identity.grant_sweep_failed", error=str(error))

    runtime.background.append(sweep_grants)


def _forget_client_addresses(runtime: ServiceRuntime, settings: IdentitySettings) -> None:
    """Client addresses past their retention forgotten, every ``retention_sweep_seconds``."""

    async def forget_client_addresses() -> None:  # TOM-T1
        await retention.forget_client_addresses(
            sessions=runtime.sessions,
            outbox=runtime.outbox,
            before=datetime.now(UTC) - timedelta(days=settings.client_address_retention_days),
            login_window_minutes=settings.client_window_minutes,
            reset_window_minutes=settings.reset_window_minutes,
            batch_size=settings.retention_batch_size,
        )

    runtime.repeat(
        "client-address-retention", settings.retention_sweep_seconds, forget_client_addresses
    )
