"""Identity in-process with audit, notifier and agreements, on a real nats-server and databases.

Identity signs with the platform's test key (written where identity loads its key from), so its
tokens verify in every other service exactly as in production.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select, update
from sqlmodel import col

from services.identity import onetime, organisations, totp
from services.identity.authority import Authority
from services.identity.domain import MfaRequirement, OrganisationKind
from services.identity.main import IdentitySettings
from services.identity.store import LoginSession, MaintenanceNotice, OneTimeLink, UserAccount
from shared.outbox import pending_count
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually
from tests.support.second_step import finish_login

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    user_id: str
    organisation_id: str
    email: str
    password: str
    access_token: str
    refresh_token: str
    session_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class Identity:
    """Drives identity over HTTP as users, and as the notifier fetching one-time links."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.client: httpx.AsyncClient = platform.clients["identity"]
        self.totp_secrets: dict[str, str] = {}  # by address, for users who had to set one up

    @property
    def authority(self) -> Authority:
        authority: Authority = self.platform.apps["identity"].state.authority
        return authority

    async def organisation(
        self, kind: str = "controller", *, mailed: bool = False, mfa: str = "none"
    ) -> tuple[str, str]:
        """A new organisation and the invitation link of its first admin (as the CLI does); with
        ``mailed``, the notifier mails the link instead (``create-admin --mail``) and none is
        returned. Its admins sign in with a password alone unless ``mfa`` says otherwise (new
        organisations' own default is ``admins``: test_second_factor_where_it_matters)."""
        runtime = self.platform.runtime("identity")
        async with runtime.sessions() as session, session.begin():
            organisation = await organisations.create_organisation(
                session=session,
                authority=self.authority,
                name=f"Org {uuid.uuid4().hex[:6]}",
                kind=OrganisationKind(kind),
                mfa=MfaRequirement(mfa),
            )
            email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
            if mailed:
                await organisations.mail_first_admin(
                    session=session,
                    authority=self.authority,
                    organisation_id=organisation.id,
                    email=email,
                )
                return str(organisation.id), ""
            link = await organisations.create_first_admin(
                session=session,
                authority=self.authority,
                organisation_id=organisation.id,
                email=email,
            )
        return str(organisation.id), link

    async def admin(self, kind: str = "controller") -> Account:
        _, link = await self.organisation(kind)
        email = await self._email_of_link(link)
        await self.accept(link, PASSWORD)
        return await self.login_account(email, PASSWORD)

    async def _email_of_link(self, link: str) -> str:
        digest = onetime.digest(token_of(link))
        async with self.platform.runtime("identity").sessions() as session:
            found = (
                await session.scalars(
                    select(OneTimeLink).where(OneTimeLink.digest == digest)  # type: ignore[arg-type]
                )
            ).one()
            user = await session.get(UserAccount, found.user_id)
            assert user is not None
            return user.email

    async def accept(self, link: str, password: str) -> httpx.Response:
        return await self.client.post(
            "/invitations/accept", json={"token": token_of(link), "password": password}
        )

    async def login(self, email: str, password: str) -> httpx.Response:
        return await self.client.post("/login", json={"email": email, "password": password})

    async def login_account(self, email: str, password: str) -> Account:
        """Signed in; with a second factor (set up now if it is due) where the policy asks."""
        response = await self.login(email, password)
        assert response.status_code == 200, response.text
        tokens = await finish_login(self.client, response.json(), self.totp_secrets, email)
        return self.account(tokens, email, password)

    def account(self, body: dict[str, Any], email: str, password: str) -> Account:
        decoded = jwt.decode(body["access_token"], options={"verify_signature": False})
        return Account(
            user_id=decoded["sub"],
            organisation_id=decoded["org"],
            email=email,
            password=password,
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            session_id=body["session_id"],
        )

    async def deliver(self, link_id: str) -> httpx.Response:
        """What the notifier does: fetch the one-time link to put in its e-mail."""
        return await self.client.post(
            f"/internal/links/{link_id}",
            headers={"x-pactum-delivery-key": self.authority.delivery_key},
        )

    async def invite(self, admin: Account, role: str = "member") -> tuple[str, str, str]:
        """Invite a user; returns (user id, e-mail, invitation link as the notifier gets it)."""
        email = f"user-{uuid.uuid4().hex[:8]}@example.org"
        response = await self.client.post(
            "/users", json={"email": email, "role": role}, headers=admin.auth
        )
        assert response.status_code == 201, response.text
        user_id = response.json()["id"]
        link_id = await self.last_link_id(user_id)
        delivered = await self.deliver(link_id)
        assert delivered.status_code == 200, delivered.text
        return user_id, email, delivered.json()["url"]

    async def member(self, admin: Account, role: str = "member") -> Account:
        _, email, link = await self.invite(admin, role)
        assert (await self.accept(link, PASSWORD)).status_code == 204
        return await self.login_account(email, PASSWORD)

    async def last_link_id(self, user_id: str, purpose: str | None = None, nth: int = 1) -> str:
        """The link id the notifier reads from the event (user.invited / reset requested)."""
        types = {
            "invitation": "dpa.identity.user.invited.v1",
            "password_reset": "dpa.identity.password_reset.requested.v1",
        }
        wanted = types[purpose or "invitation"]

        async def find() -> str:
            entries = await self.platform.audit_entries(event_type=wanted)
            mine = [entry for entry in entries if entry.data.get("user_id") == user_id]
            if len(mine) < nth:
                return ""
            key = "invitation_id" if wanted.endswith("invited.v1") else "link_id"
            return str(mine[-1].data[key])

        return await eventually(find)

    def code(self, secret: str, *, offset: int = 0) -> str:
        return totp.code_at(secret, totp.current_step() + offset)


def token_of(link: str) -> str:
    return link.split("#token=", 1)[1]


CORE = ("identity", "audit")
WITH_NOTIFIER = (*CORE, "notifier")
EVERYWHERE = (*WITH_NOTIFIER, "agreements")


@pytest.fixture
def services() -> tuple[str, ...]:
    """The services a test runs; a test that needs more parametrizes ``services``."""
    return CORE


@pytest.fixture
async def identity_platform(
    nats_server: NatsServer,
    database: Callable[[str], Database],
    tmp_path: Path,
    services: tuple[str, ...],
) -> AsyncIterator[Platform]:
    running = Platform(
        nats_url=nats_server.url,
        database=database,
        var_dir=tmp_path / "var",
        client_failure_limit=1000,
    )
    key_path = IdentitySettings(var_dir=tmp_path / "var").signing_key_path
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(running.signer.to_pem())
    await running.start(*services)
    yield running
    await drain_and_stop(running)


async def drain_and_stop(platform: Platform) -> None:
    """Stop once every outbox is published: a relay cancelled mid-publish can hold the shutdown
    past asgi-lifespan's 5 s (see the report on shared/outbox.py)."""

    async def drained() -> bool:
        for service in platform.apps:
            if await pending_count(platform.runtime(service).sessions):
                return False
        return True

    await eventually(drained)
    await platform.stop()


@pytest.fixture
def identity(identity_platform: Platform) -> Identity:
    return Identity(identity_platform)


async def events_of(platform: Platform, event_type: str, count: int = 1, **where: Any) -> list[Any]:
    """The audit entries of ``event_type`` once at least ``count`` arrived through NATS."""

    async def arrived() -> list[Any]:
        entries = await platform.audit_entries(event_type=event_type, **where)
        return entries if len(entries) >= count else []

    return await eventually(arrived)


def assert_no_secret(entries: list[Any], *secrets: str) -> None:
    """No audit entry (that is: no event) carries any of ``secrets``."""
    for entry in entries:
        text = repr(entry.data)
        for secret in secrets:
            assert secret not in text


async def maintenance_notice(
    identity: Identity,
    operator: Account,
    customer: Account,
    *,
    reason: str = "Planned database upgrade",
    hours: float = 3.0,
) -> Any:
    """A notice whose window has begun when this returns. Only ``environment == "test"`` may
    lower the notice period below an hour; the test lowers it to nothing and sends the notice a
    minute ahead of its window (the platform never lets one start in the past, TOM-O3), then
    moves the stored window's start to a second ago, as if that minute had passed: no wait,
    and no refusal when the request is slow. The answer returned is the one the operator got."""
    authority = identity.authority
    authority.settings = authority.settings.model_copy(
        update={"maintenance_notice_lead_hours": 0.0}
    )
    starts_at = datetime.now(UTC) + timedelta(minutes=1)
    ends_at = starts_at + timedelta(hours=hours)
    response = await identity.client.post(
        "/maintenance-notices",
        json={
            "organisation_id": customer.organisation_id,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "reason": reason,
        },
        headers=operator.auth,
    )
    assert response.status_code == 201, response.text
    notice = response.json()
    begun = datetime.now(UTC) - timedelta(seconds=1)
    async with identity.platform.runtime("identity").sessions() as session, session.begin():
        await session.execute(
            update(MaintenanceNotice)
            .where(col(MaintenanceNotice.id) == uuid.UUID(notice["id"]))
            .values(starts_at=begun)
        )
    return notice


async def age_session(identity: "Identity", account: "Account", minutes: int = 10) -> None:
    """The account's session signed in (and last stepped up) ``minutes`` ago: too long for a
    change that needs a recent authentication (step-up)."""
    earlier = datetime.now(UTC) - timedelta(minutes=minutes)
    async with identity.platform.runtime("identity").sessions() as session, session.begin():
        await session.execute(
            update(LoginSession)
            .where(col(LoginSession.id) == uuid.UUID(account.session_id))
            .values(created_at=earlier, verified_at=None)
        )
