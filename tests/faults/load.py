"""A mixed load through the platform's HTTP APIs, every call recorded with its answer.

Controllers draft, edit and read agreements, read their inbox and their audit log, and object to
subprocessor changes; their processor proposes subprocessor changes and reports breaches (each
becomes a notice to every controller, by e-mail, in-app and by webhook); UTOPIA's admin invites
colleagues (an invitation e-mail with identity's one-time link). Tokens are signed with the key
identity keeps under the var directory, as identity itself would sign them.

A call whose answer is a 2xx must leave its ``primary`` event in the audit log exactly once; a
call that failed (a killed service, a NATS restart) may or may not have taken effect.
"""

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from shared.auth import Role, TokenSigner
from shared.demo import UTOPIA_ID
from tests.agreements.contract import ANNEX1, SIGNATURE
from tests.faults.processes import ProcessPlatform

# What each kind of call must leave in the audit log (the event its use case commits).
PRIMARY = {
    "agreement.create": "dpa.agreements.agreement.created.v1",
    "agreement.update": "dpa.agreements.agreement.updated.v1",
    "agreement.sign": "dpa.agreements.agreement.signed.v1",
    "agreement.activate": "dpa.agreements.agreement.activated.v1",
    "agreement.read": "dpa.agreements.agreement.viewed.v1",
    "agreement.list": "dpa.agreements.agreement.listed.v1",
    "subprocessor.propose": "dpa.agreements.subprocessor_change.proposed.v1",
    "subprocessor.object": "dpa.agreements.subprocessor_notice.objected.v1",
    "breach.report": "dpa.agreements.breach.reported.v1",
    "audit.read": "dpa.audit.log.viewed.v1",
    "identity.invite": "dpa.identity.user.invited.v1",
    "notifier.contact": "dpa.notifier.contact.created.v1",
    "notifier.endpoint": "dpa.notifier.endpoint.created.v1",
}

# The notices an event of the load calls for, by channel, given how ``prepare`` registers each
# controller: a contact with an address and an in-app user (topics breach, subprocessor,
# agreement) and a webhook endpoint (topics breach, subprocessor).
NOTICES = {
    "dpa.agreements.breach_notice.issued.v1": frozenset({"email", "inbox", "webhook"}),
    "dpa.agreements.subprocessor_notice.issued.v1": frozenset({"email", "inbox", "webhook"}),
    "dpa.agreements.subprocessor_notice.objected.v1": frozenset({"email", "inbox", "webhook"}),
    "dpa.agreements.agreement.activated.v1": frozenset({"email", "inbox"}),
    "dpa.identity.user.invited.v1": frozenset({"email"}),
}

# Relative weights of the calls the load makes once the agreements are active.
MIX = {
    "agreement.create": 3,
    "agreement.update": 2,
    "agreement.read": 6,
    "agreement.list": 2,
    "subprocessor.propose": 1,
    "subprocessor.object": 1,
    "breach.report": 1,
    "audit.read": 2,
    "identity.invite": 1,
}


@dataclass
class Call:
    kind: str
    method: str
    url: str
    organisation: str
    status: int | None = None  # None: no answer (connection refused or reset, timeout)
    trace_id: str | None = None
    resource: str | None = None
    error: str | None = None
    body: Any = field(default=None, repr=False)

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def primary(self) -> str:
        return PRIMARY[self.kind]


@dataclass
class Organisations:
    processor: str = ""
    controllers: list[str] = field(default_factory=list)


class Load:
    """Drives the platform; ``calls`` is everything it asked and what it was answered."""

    def __init__(
        self,
        platform: ProcessPlatform,
        *,
        webhook_url: str,
        controllers: int = 3,
        seed: int = 8,
    ) -> None:
        self.platform = platform
        self.webhook_url = webhook_url
        self.random = random.Random(seed)
        self.controller_count = controllers
        self.organisations = Organisations()
        self.calls: list[Call] = []
        self.drafts: list[tuple[str, str]] = []  # (controller, agreement id)
        self.agreements: list[tuple[str, str]] = []
        self.open_notices: list[tuple[str, str, str]] = []  # (controller, agreement, notice)
        self._signer: TokenSigner | None = None
        self._client = httpx.AsyncClient(timeout=10.0)

    @property
    def signer(self) -> TokenSigner:
        if self._signer is None:
            key = (self.platform.var_dir / "identity" / "signing-key.pem").read_bytes()
            self._signer = TokenSigner.from_pem(key, issuer="pactum-identity", audience="pactum")
        return self._signer

    def headers(self, organisation: str, user_id: str | None = None) -> dict[str, str]:
        token = self.signer.issue(
            user_id=user_id or f"admin-{organisation[:8]}",
            organisation_id=organisation,
            roles=[Role.admin],
        )
        return {"Authorization": f"Bearer {token}"}

    async def close(self) -> None:
        await self._client.aclose()

    async def call(
        self,
        kind: str,
        service: str,
        method: str,
        path: str,
        organisation: str,
        *,
        json: Any = None,
        user_id: str | None = None,
    ) -> Call:
        url = self.random.choice(self.platform.urls(service)) + path
        record = Call(kind, method, url, organisation)
        self.calls.append(record)
        try:
            answer = await self._client.request(
                method, url, json=json, headers=self.headers(organisation, user_id)
            )
        except httpx.HTTPError as error:
            record.error = f"{type(error).__name__}: {error}"[:200]
            return record
        record.status = answer.status_code
        record.trace_id = answer.headers.get("x-trace-id")
        if record.succeeded and answer.headers.get("content-type", "").startswith(
            "application/json"
        ):
            body = answer.json()
            if isinstance(body, dict) and isinstance(body.get("id"), str):
                record.resource = body["id"]
            record.body = body
        elif not record.succeeded:
            record.error = answer.text[:200]
        return record

    # --- before the faults: every organisation registered, every agreement active ---------

    async def prepare(self, *, within: float = 60.0) -> None:
        """Identity creates the organisations; once agreements knows them (from identity's
        events), each controller registers its recipients and activates an agreement."""
        made = await asyncio.gather(
            self.platform.create_organisation("iBeauty BVBA (faults)", "processor"),
            *(
                self.platform.create_organisation(f"Gemeente {n} (faults)", "controller")
                for n in range(self.controller_count)
            ),
        )
        self.organisations = Organisations(processor=made[0], controllers=list(made[1:]))
        processor = self.organisations.processor
        # The processor hears of its agreements too (issue 14): its contact takes those notices
        # (without one they would go to its admins, which this load does not create).
        contact = {
            "topics": ["breach", "subprocessor", "agreement"],
            "email": f"support@{processor[:8]}.example",
            "user_id": f"support-{processor[:8]}",
            "locale": "en",
        }
        done = await self.call(
            "notifier.contact", "notifier", "POST", "/notifier/contacts", processor, json=contact
        )
        assert done.succeeded, f"notifier.contact: {done.status} {done.error}"
        for controller in self.organisations.controllers:
            contact = {
                "topics": ["breach", "subprocessor", "agreement"],
                "email": f"dpo@{controller[:8]}.example",
                "user_id": f"dpo-{controller[:8]}",
                "locale": "en",
            }
            endpoint = {"url": self.webhook_url, "topics": ["breach", "subprocessor"]}
            for kind, path, body in (
                ("notifier.contact", "/notifier/contacts", contact),
                ("notifier.endpoint", "/notifier/endpoints", endpoint),
            ):
                done = await self.call(kind, "notifier", "POST", path, controller, json=body)
                assert done.succeeded, f"{kind}: {done.status} {done.error}"
            deadline = time.monotonic() + within
            created = await self._draft(controller)
            # 409 until identity's event about the controller has arrived, 422 until the one about
            # the processor has (an unknown counterparty gets the same 422 as a wrong one).
            while created.status in {409, 422} and time.monotonic() < deadline:
                self.calls.remove(created)
                await asyncio.sleep(0.2)
                created = await self._draft(controller)
            assert created.succeeded and created.resource, f"draft: {created.error}"
            agreement = created.resource
            for kind, path, organisation in (
                ("agreement.sign", f"/agreements/{agreement}/signatures", controller),
                ("agreement.sign", f"/agreements/{agreement}/signatures", processor),
                ("agreement.activate", f"/agreements/{agreement}/activation", controller),
            ):
                block = SIGNATURE if kind == "agreement.sign" else None
                done = await self.call(kind, "agreements", "POST", path, organisation, json=block)
                assert done.succeeded, f"{kind}: {done.status} {done.error}"
            self.agreements.append((controller, agreement))

    async def _draft(self, controller: str) -> Call:
        body = {
            "title": f"Verwerkersovereenkomst {controller[:8]}",
            "counterparty_id": self.organisations.processor,
            "party": "controller",
            "annex1": ANNEX1,
        }
        return await self.call("agreement.create", "agreements", "POST", "/agreements", controller,
                               json=body)  # fmt: skip

    # --- under the faults --------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, *, workers: int, pause: float) -> None:
        """``workers`` callers, each pausing ``pause`` seconds between calls, until ``stop``."""

        async def worker() -> None:
            kinds = list(MIX)
            weights = list(MIX.values())
            while not stop.is_set():
                kind = self.random.choices(kinds, weights)[0]
                await self.one(kind)
                if pause:
                    await asyncio.sleep(pause)

        await asyncio.gather(*(worker() for _ in range(workers)))

    async def one(self, kind: str) -> None:
        controller = self.random.choice(self.organisations.controllers)
        processor = self.organisations.processor
        if kind == "agreement.create":
            created = await self._draft(controller)
            if created.succeeded and created.resource:
                self.drafts.append((controller, created.resource))
        elif kind == "agreement.update" and self.drafts:
            owner, draft = self.random.choice(self.drafts)
            title = {"title": f"Draft {self.random.randrange(10**6)}"}
            await self.call(kind, "agreements", "PATCH", f"/agreements/{draft}", owner, json=title)
        elif kind == "agreement.read":
            owner, agreement = self.random.choice(self.agreements + self.drafts)
            await self.call(kind, "agreements", "GET", f"/agreements/{agreement}", owner)
        elif kind == "agreement.list":
            await self.call(kind, "agreements", "GET", "/agreements?limit=10", controller)
        elif kind == "subprocessor.propose":
            await self._propose(processor)
        elif kind == "subprocessor.object" and self.open_notices:
            owner, agreement, notice = self.open_notices.pop(0)
            path = f"/agreements/{agreement}/subprocessor-notices/{notice}/objection"
            await self.call(
                kind, "agreements", "POST", path, owner, json={"reason": "no transfers"}
            )
        elif kind == "breach.report":
            await self.call(kind, "agreements", "POST", "/breaches", processor, json=self._breach())
        elif kind == "audit.read":
            await self.call(kind, "audit", "GET", "/audit/entries?limit=20", controller)
        elif kind == "identity.invite":
            email = f"colleague-{uuid.uuid4().hex[:10]}@utopia.example"
            body = {"email": email, "role": "member", "display_name": "Colleague"}
            await self.call(kind, "identity", "POST", "/users", UTOPIA_ID, json=body)

    async def _propose(self, processor: str) -> None:
        change = {
            "kind": "add",
            "name": f"Hosting {self.random.randrange(10**6)} NV",
            "service": "managed database hosting",
            "location": "Brussels, BE",
            "transfer_mechanism": "none: inside the EEA",
            "data_categories": ["identification data"],
            "effective_date": (date.today() + timedelta(days=40)).isoformat(),
        }
        done = await self.call("subprocessor.propose", "agreements", "POST",
                               "/subprocessor-changes", processor, json=change)  # fmt: skip
        if done.succeeded:
            for notice in (done.body or {}).get("notices", []):
                owner = next(c for c, a in self.agreements if a == notice["agreement_id"])
                self.open_notices.append((owner, notice["agreement_id"], notice["id"]))

    def _breach(self) -> dict[str, Any]:
        return {
            "aware_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
            "nature": "Lost laptop with an unencrypted export",
            "data_categories": ["contact data"],
            "data_subject_categories": ["citizens"],
            "approx_data_subjects": self.random.randrange(1, 500),
            "approx_records": self.random.randrange(1, 2000),
            "consequences": "Phishing risk",
            "measures": "Remote wipe requested; passwords rotated",
            "contact_point": "dpo@ibeauty.example",
        }
