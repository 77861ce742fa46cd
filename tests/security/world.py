"""A small platform full of real tenants and their objects, for fuzzing and the access matrix.

Four services in-process on a real nats-server and real databases. Identity signs with the
platform's test key, so its tokens and the platform's verify everywhere alike.

- **victim** (a controller) owns data in every service: an active agreement with **partner** (its
  processor) with an amendment, instruction, staff member, disclosure, subprocessor change and
  notice, a breach and its notice; users, sessions, an invitation and a grant in identity; audit
  entries; contacts, a webhook endpoint, deliveries and inbox items in the notifier.
- **stranger** (an unrelated controller) has a real admin, member and auditor.
- **operator** has an admin without any grant, and a member whose grant on victim has expired.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select, update
from sqlmodel import col

from services.identity import email_changes, organisations
from services.identity import grants as identity_grants
from services.identity.authority import Authority
from services.identity.domain import MfaRequirement, OrganisationKind
from services.identity.main import IdentitySettings
from services.identity.store import EmailChange, Grant, OneTimeLink, UserAccount
from shared.auth import Role
from shared.events import ActorType
from shared.outbox import pending_count
from tests.agreements.contract import ANNEX1, SIGNATURE
from tests.support.authenticator import SoftwareAuthenticator
from tests.support.databases import Database
from tests.support.platform import Platform, eventually
from tests.support.second_step import finish_login

PASSWORD = "correct horse battery staple"
SERVICES = ("identity", "agreements", "audit", "notifier")


def service_groups(full: bool) -> list[Any]:
    """The services a probe covers per test: one each in the full proof (``make proof``'s workers
    share them out), all in one test for the short versions (one world instead of four)."""
    groups = [(service,) for service in SERVICES] if full else [tuple(SERVICES)]
    return [pytest.param(group, id="-".join(group)) for group in groups]


@dataclass
class User:
    user_id: str
    organisation_id: str
    email: str
    access_token: str
    session_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class Organisation:
    id: str
    kind: str
    users: dict[str, User] = field(default_factory=dict)


@dataclass
class World:
    platform: Platform
    organisations: dict[str, Organisation] = field(default_factory=dict)
    # Path parameter name (or "<path prefix>|name") to one of victim's real objects.
    victim_objects: dict[str, str] = field(default_factory=dict)
    # Every value a test generated that must never appear in a log or an event.
    secrets: list[str] = field(default_factory=list)
    revoked_token: str = ""  # a victim admin's token whose session was revoked
    expired_grant: tuple[str, datetime] = ("", datetime.min)

    @property
    def victim(self) -> Organisation:
        return self.organisations["victim"]

    def client(self, service: str) -> httpx.AsyncClient:
        return self.platform.clients[service]

    @property
    def authority(self) -> Authority:
        authority: Authority = self.platform.apps["identity"].state.authority
        return authority

    def object_for(self, path: str, name: str) -> str:
        """Victim's object for path parameter ``name`` of ``path``."""
        for key, value in self.victim_objects.items():
            if "|" in key:
                prefix, parameter = key.split("|")
                if parameter == name and (path == prefix or f"/{prefix}/{{{name}}}" in path):
                    return value
        if name not in self.victim_objects:
            raise AssertionError(
                f"no victim object for path parameter {name!r} of {path}: seed one in world.py"
            )
        return self.victim_objects[name]

    def fresh_token(self, organisation: str, role: str = "admin") -> str:
        """A token for a real user of ``organisation`` in a session of its own (so a logout during
        fuzzing ends only that session)."""
        user = self.organisations[organisation].users[role]
        return self.platform.signer.issue(
            user_id=user.user_id,
            organisation_id=user.organisation_id,
            roles=[role],
            methods=["pwd"],
        )

    # -- identity: organisations and users through their real flows -------------------------

    async def organisation(self, name: str, kind: str) -> Organisation:
        runtime = self.platform.runtime("identity")
        async with runtime.sessions() as session, session.begin():
            created = await organisations.create_organisation(
                session=session,
                authority=self.authority,
                name=f"{name} {uuid.uuid4().hex[:6]}",
                kind=OrganisationKind(kind),
                mfa=MfaRequirement.none,
            )
            email = f"{name}-admin-{uuid.uuid4().hex[:6]}@example.org"
            link = await organisations.create_first_admin(
                session=session, authority=self.authority, organisation_id=created.id, email=email
            )
        organisation = Organisation(id=str(created.id), kind=kind)
        self.organisations[name] = organisation
        organisation.users["admin"] = await self._join(link, email)
        return organisation

    async def user(self, name: str, role: str, *, display_name: str = "") -> User:
        organisation = self.organisations[name]
        admin = organisation.users["admin"]
        email = f"{name}-{role}-{uuid.uuid4().hex[:6]}@example.org"
        invited = {"email": email, "role": role} | (
            {"display_name": display_name} if display_name else {}
        )
        created = await self.client("identity").post("/users", json=invited, headers=admin.auth)
        assert created.status_code == 201, created.text
        link_id = await self._invitation_id(created.json()["id"])
        delivered = await self.client("identity").post(
            f"/internal/links/{link_id}",
            headers={"x-pactum-delivery-key": self.authority.delivery_key},
        )
        assert delivered.status_code == 200, delivered.text
        self.secrets.append(delivered.json()["url"].split("#token=", 1)[1])
        user = await self._join(delivered.json()["url"], email)
        organisation.users[role] = user
        return user

    async def _join(self, link: str, email: str) -> User:
        token = link.split("#token=", 1)[1]
        self.secrets.append(token)
        identity = self.client("identity")
        accepted = await identity.post(
            "/invitations/accept", json={"token": token, "password": PASSWORD}
        )
        assert accepted.status_code == 204, accepted.text
        login = await identity.post("/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        body = await finish_login(identity, login.json(), {}, email)  # operators: a second step
        self.secrets += [body["access_token"], body["refresh_token"]]
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        return User(
            user_id=claims["sub"],
            organisation_id=claims["org"],
            email=email,
            access_token=body["access_token"],
            session_id=body["session_id"],
        )

    async def _invitation_id(self, user_id: str) -> str:
        async with self.platform.runtime("identity").sessions() as session:
            link = (
                await session.scalars(
                    select(OneTimeLink).where(col(OneTimeLink.user_id) == uuid.UUID(user_id))
                )
            ).first()
        assert link is not None
        return str(link.id)

    # -- victim's objects in every service ----------------------------------------------------

    async def seed_victim(self) -> None:
        victim, partner = self.victim, self.organisations["partner"]
        objects = self.victim_objects
        objects["organisation_id"] = victim.id
        objects["processor_id"] = partner.id
        objects["user_id"] = victim.users["member"].user_id
        objects["session_id"] = victim.users["admin"].session_id
        objects["link_id"] = await self._invitation_id(victim.users["member"].user_id)
        objects["passkey_id"] = await self._passkey(victim.users["member"])
        objects["email-changes|change_id"] = await self._email_change(victim.users["member"])
        await self._notifier_recipients()
        await self._agreement()
        await self._grants()
        await self._audit_and_notices()

    async def _passkey(self, user: User) -> str:
        """A passkey of the victim's member, registered as a browser would."""
        identity = self.client("identity")
        options = await identity.post("/me/passkeys/options", headers=user.auth)
        assert options.status_code == 200, options.text
        device = SoftwareAuthenticator(origin=self.authority.settings.passkey_origin)
        registered = await identity.post(
            "/me/passkeys",
            json={"credential": device.create(options.json()), "name": "Victim's laptop"},
            headers=user.auth,
        )
        assert registered.status_code == 201, registered.text
        self.secrets += registered.json()["recovery_codes"]
        return str(registered.json()["passkey"]["id"])

    async def _email_change(self, user: User) -> str:
        """A change of the victim member's address, asked for through the use case and marked
        made; the member keeps signing in with the address the rest of the world uses."""
        runtime = self.platform.runtime("identity")
        async with runtime.sessions() as session, session.begin():
            member = await session.get(UserAccount, uuid.UUID(user.user_id))
            assert member is not None
            await email_changes.request_change(
                session=session,
                authority=self.authority,
                user=member,
                email=f"victim-moved-{uuid.uuid4().hex[:6]}@example.org",
            )
            change = await session.scalar(
                select(EmailChange).where(col(EmailChange.user_id) == member.id)
            )
            assert change is not None
            change.confirmed_at = datetime.now(UTC)
            return str(change.id)

    async def _post(self, service: str, path: str, body: Any, as_: User) -> dict[str, Any]:
        response = await self.client(service).post(path, json=body, headers=as_.auth)
        assert response.status_code in {200, 201, 202}, (path, response.text)
        answer: dict[str, Any] = response.json()
        return answer

    def _signed(self, name: str, role: str = "admin") -> User:
        """A user of organisation ``name`` with a token in a session of its own."""
        user = self.organisations[name].users[role]
        token = self.fresh_token(name, role)
        return User(user.user_id, user.organisation_id, user.email, token, user.session_id)

    async def _notifier_recipients(self) -> None:
        admin = self.victim.users["admin"]
        contact = await self._post(
            "notifier",
            "/notifier/contacts",
            {"topics": ["breach", "subprocessor"], "email": admin.email, "user_id": admin.user_id},
            admin,
        )
        self.victim_objects["contact_id"] = str(contact["id"])
        endpoint = await self._post(
            "notifier",
            "/notifier/endpoints",
            {"url": "https://hooks.victim.invalid/pactum", "topics": ["breach"]},
            admin,
        )
        self.secrets.append(endpoint["secret"])
        self.victim_objects["endpoint_id"] = str(endpoint["id"])

    async def _agreement(self) -> None:
        victim, partner = self._signed("victim"), self._signed("partner")
        objects = self.victim_objects
        body = {
            "title": "Victim x Partner",
            "counterparty_id": partner.organisation_id,
            "party": "controller",
            "annex1": ANNEX1,
        }

        async def drafted() -> httpx.Response | None:
            # agreements learns both organisations from identity's events: until it has, the
            # draft is refused (409 for the caller's, 422 for the counterparty's)
            answer = await self.client("agreements").post(
                "/agreements", json=body, headers=victim.auth
            )
            return None if answer.status_code in {409, 422} else answer

        response = await eventually(drafted, within=30.0, interval=0.1)
        assert response is not None and response.status_code == 201, response
        draft: dict[str, Any] = response.json()
        agreement = str(draft["id"])
        objects["agreement_id"] = agreement
        url = f"/agreements/{agreement}"
        for signer in (victim, partner):
            await self._post("agreements", f"{url}/signatures", SIGNATURE, signer)
        await self._post("agreements", f"{url}/activation", None, victim)
        amendment = await self._post(
            "agreements",
            f"{url}/amendments",
            {"reason": "longer notice", "terms": {"notice_days": 60}},
            victim,
        )
        objects["number"] = str(amendment.get("number", 2))
        instruction = await self._post(
            "agreements", f"{url}/instructions", {"text": "Only EU hosting"}, victim
        )
        objects["instruction_id"] = str(instruction["id"])
        member = await self._post(
            "agreements",
            f"{url}/staff",
            {
                "name": "Jan Peeters",
                "function": "developer",
                "confidentiality_signed_on": date.today().isoformat(),
                "gdpr_briefed": True,
            },
            partner,
        )
        objects["member_id"] = str(member["id"])
        disclosure = await self._post(
            "agreements",
            f"{url}/disclosures",
            {"authority": "Police", "legal_basis": "Code of criminal procedure", "scope": "logs"},
            partner,
        )
        objects["disclosure_id"] = str(disclosure["id"])
        objects["measure_id"] = "TOM-T1"
        change = await self._post(
            "agreements",
            "/subprocessor-changes",
            {
                "kind": "add",
                "name": "Hosting NV",
                "service": "managed database hosting",
                "location": "Brussels, BE",
                "transfer_mechanism": "none: inside the EEA",
                "data_categories": ["identification data"],
                "effective_date": (date.today() + timedelta(days=40)).isoformat(),
            },
            partner,
        )
        objects["change_id"] = str(change["id"])
        notices = await self.client("agreements").get(
            f"{url}/subprocessor-notices", headers=victim.auth
        )
        objects["subprocessor-notices|notice_id"] = str(notices.json()["items"][0]["id"])
        notice = await self._post(
            "agreements",
            f"{url}/privacy-notices",
            {"text": "We plan your appointment", "manner": "On the booking form"},
            partner,
        )
        objects["privacy-notices|notice_id"] = str(notice["id"])
        forwarded = await self._post(
            "agreements",
            f"{url}/subject-requests",
            {
                "right": "access",
                "received_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                "summary": "A citizen asks for a copy of her appointments",
            },
            partner,
        )
        objects["subject-requests|request_id"] = str(forwarded["id"])
        asked = await self._post(
            "agreements",
            f"{url}/assistance-requests",
            {"kind": "dpia", "question": "Describe your hosting for our DPIA"},
            victim,
        )
        objects["assistance-requests|request_id"] = str(asked["id"])
        review = await self._post(
            "agreements",
            f"{url}/measure-reviews",
            {
                "measure_id": "TOM-T5",
                "reviewed_on": date.today().isoformat(),
                "reviewer": "An Peeters",
                "finding": "Lockout after 10 attempts",
            },
            victim,
        )
        objects["review_id"] = str(review["id"])
        await self._post(
            "agreements",
            f"{url}/risk-assessments",
            {
                "risks": [{"description": "Loss of the bookings", "likelihood": "low",
                           "impact": "high", "measure_ids": ["TOM-T5"]}],
                "reviewed_on": date.today().isoformat(),
                "reviewed_by": "An Peeters",
            },
            victim,
        )  # fmt: skip
        breach = await self._post(
            "agreements",
            "/breaches",
            {
                "aware_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
                "nature": "Lost laptop with an unencrypted export",
                "data_categories": ["contact data"],
                "data_subject_categories": ["citizens"],
                "approx_data_subjects": 120,
                "approx_records": 480,
                "consequences": "Phishing risk",
                "measures": "Remote wipe requested",
                "contact_point": "dpo@partner.example",
            },
            partner,
        )
        objects["breach_id"] = str(breach["id"])
        objects["breach-notices|notice_id"] = str(breach["notices"][0]["id"])
        closed = await self._closed()
        for path in ("certificate", "certificate/statement.json", "certificate/signature.bin"):
            objects[f"/agreements/{{agreement_id}}/{path}|agreement_id"] = closed

    async def _closed(self) -> str:
        """A second agreement of victim's, ended with destruction and its certificate."""
        victim, partner = self._signed("victim"), self._signed("partner")
        draft = await self._post(
            "agreements",
            "/agreements",
            {"title": "Ended", "counterparty_id": partner.organisation_id, "annex1": ANNEX1},
            victim,
        )
        url = f"/agreements/{draft['id']}"
        for signer in (victim, partner):
            await self._post("agreements", f"{url}/signatures", SIGNATURE, signer)
        await self._post("agreements", f"{url}/activation", None, victim)
        await self._post("agreements", f"{url}/termination", {"reason": "contract ends"}, victim)
        await self._post("agreements", f"{url}/closure", {"choice": "destroy"}, victim)
        return str(draft["id"])

    async def _grants(self) -> None:
        """One grant on victim that is still asked for, one that ran out; a maintenance notice."""
        operator = self.organisations["operator"]
        identity = self.client("identity")
        asked = await self._post(
            "identity",
            "/grants",
            {
                "organisation_id": self.victim.id,
                "reason": "ticket 42: the customer called",
                "minutes": 30,
            },
            operator.users["member"],
        )
        self.victim_objects["grant_id"] = str(asked["id"])
        expired = await self._post(
            "identity",
            "/grants",
            {
                "organisation_id": self.victim.id,
                "reason": "ticket 43: planned maintenance",
                "minutes": 30,
            },
            operator.users["admin"],
        )
        approve = await identity.post(
            f"/grants/{expired['id']}/approve", headers=self.victim.users["admin"].auth
        )
        assert approve.status_code == 200, approve.text
        ended = datetime.now(UTC) - timedelta(minutes=10)
        runtime = self.platform.runtime("identity")
        async with runtime.sessions() as session, session.begin():
            await session.execute(
                update(Grant)
                .where(col(Grant.id) == uuid.UUID(expired["id"]))
                .values(expires_at=ended)
            )
        await identity_grants.expire_grants(sessions=runtime.sessions, authority=self.authority)
        self.expired_grant = (str(expired["id"]), ended)
        starts_at = datetime.now(UTC) + timedelta(hours=25)  # after the notice period
        notice = await self._post(
            "identity",
            "/maintenance-notices",
            {
                "organisation_id": self.victim.id,
                "starts_at": starts_at.isoformat(),
                "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
                "reason": "ticket 44: database upgrade",
            },
            operator.users["admin"],
        )
        self.victim_objects["maintenance-notices|notice_id"] = str(notice["id"])

    def expired_grant_token(self) -> str:
        """What the operator admin holds from its grant on victim, now past the grant's end."""
        grant_id, ended = self.expired_grant
        operator = self.organisations["operator"].users["admin"]
        return self.platform.signer.issue(
            user_id=operator.user_id,
            organisation_id=self.victim.id,
            roles=[Role.member],
            session_id=operator.session_id,
            actor_type=ActorType.operator,
            grant_id=grant_id,
            home_organisation_id=operator.organisation_id,
            ttl=timedelta(minutes=5),
            expires_at=ended,
        )

    async def _audit_and_notices(self) -> None:
        admin = self._signed("victim")

        async def notified() -> list[dict[str, Any]]:
            response = await self.client("notifier").get("/notifier/deliveries", headers=admin.auth)
            return [item for item in response.json()["items"] if item.get("thread_id")]

        [delivery, *_] = await eventually(notified)
        self.victim_objects["delivery_id"] = str(delivery["id"])
        self.victim_objects["thread_id"] = str(delivery["thread_id"])

        async def inbox() -> list[dict[str, Any]]:
            response = await self.client("notifier").get("/notifier/inbox", headers=admin.auth)
            items: list[dict[str, Any]] = response.json()["items"]
            return items

        [item, *_] = await eventually(inbox)
        self.victim_objects["item_id"] = str(item["id"])

        async def logged() -> list[Any]:
            return await self.platform.audit_entries(organisation_id=self.victim.id)

        entries = await eventually(logged)
        self.victim_objects["log_index"] = str(entries[0].log_index)
        # An inclusion proof signs a checkpoint of the victim's log, which the victim (and the
        # other party to its agreements) may then fetch as a signed note.
        proof = await self.client("audit").get(
            f"/audit/proofs/inclusion/{entries[0].log_index}", headers=admin.auth
        )
        assert proof.status_code == 200, proof.text

    async def revoked_session_token(self) -> str:
        """The token of a victim admin whose session ended: logged out, known everywhere."""
        victim = self.victim
        email = f"victim-leaver-{uuid.uuid4().hex[:6]}@example.org"
        created = await self.client("identity").post(
            "/users", json={"email": email, "role": "admin"}, headers=victim.users["admin"].auth
        )
        assert created.status_code == 201, created.text
        link_id = await self._invitation_id(created.json()["id"])
        delivered = await self.client("identity").post(
            f"/internal/links/{link_id}",
            headers={"x-pactum-delivery-key": self.authority.delivery_key},
        )
        leaver = await self._join(delivered.json()["url"], email)
        logout = await self.client("identity").post("/sessions/logout", headers=leaver.auth)
        assert logout.status_code == 204, logout.text

        async def known_everywhere() -> bool:
            return all(
                self.platform.runtime(service).revocations.is_revoked(
                    session_id=leaver.session_id, grant_id=None
                )
                for service in SERVICES
            )

        await eventually(known_everywhere)
        return leaver.access_token


async def build_world(
    nats_url: str, database: Callable[[str], Database], var_dir: Path
) -> AsyncIterator[World]:
    platform = Platform(
        nats_url=nats_url, database=database, var_dir=var_dir, client_failure_limit=100000
    )
    key_path = IdentitySettings(var_dir=var_dir).signing_key_path
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(platform.signer.to_pem())
    await platform.start(*SERVICES)
    world = World(platform)
    try:
        await world.organisation("victim", "controller")
        await world.user("victim", "member")
        await world.organisation("partner", "processor")
        await world.organisation("stranger", "controller")
        for role in ("member", "auditor"):
            await world.user("stranger", role)
        await world.organisation("operator", "operator")
        await world.user("operator", "member")
        await world.seed_victim()
        world.revoked_token = await world.revoked_session_token()
        yield world
    finally:
        await _drained(platform)
        await platform.stop()


async def _drained(platform: Platform) -> None:
    async def drained() -> bool:
        for service in platform.apps:
            if await pending_count(platform.runtime(service).sessions):
                return False
        return True

    with suppress(AssertionError):  # stopping anyway; the relay's shutdown takes what is left
        await eventually(drained, within=5.0)
