"""The guided demo behind ``make demo``: the whole product, step by step, over its real HTTP APIs.

    python -m deploy.demo                 # against `make run` (default URLs), or start a platform
    python -m deploy.demo --fresh         # always start a platform of its own in a temporary dir

It tells the story of the seed contract (``shared/demo.py``): UTOPIA (controller) and iBeauty
BVBA (processor) sign their agreement; UTOPIA's admin invites a colleague who enrols a second
factor; a guessed password locks an account and the admin is told; iBeauty proposes a
subprocessor and UTOPIA objects; iBeauty reports a breach and UTOPIA records its authority
notification within the 72 hours; the platform operator asks for access, UTOPIA approves, the
operator reads and UTOPIA sees that intervention in its audit log; UTOPIA exports its log and
verifies it offline; the agreement ends with destruction and a signed certificate. Each step
prints what happened and its evidence; the first step that fails ends the demo with exit code 1.

**How the demo admins get in.** The seed invites ``admin@utopia.example``,
``admin@ibeauty.example`` and ``operator@pactum.example`` and the notifier mails them their
invitation link; the demo reads it from the development mail sink (``<var dir>/mail/*.eml``,
which only exists where ``make run`` or this demo runs the sink), exactly as a person would read
their mailbox. If an admin already accepted (a second demo on the same ``var/``), the demo asks
for a password reset instead and reads that link from the sink. No route or flag exists for the
demo: it uses only what any user can do with their own mailbox. The passwords it chooses are
random and never printed.

When nothing answers at the identity URL, the demo starts the platform itself, as ``make run``
does (``honcho -f deploy/Procfile``), on free ports in a fresh temporary directory, and stops it
at the end.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from deploy.embedded import service_url, wait_until_ready
from services.agreements.closure.certificates import verify as verify_certificate
from services.agreements.seed import ANNEX1, SEED_AGREEMENT_ID
from shared.demo import IBEAUTY_ID, UTOPIA_ID
from shared.settings import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[1]
SERVICES = tuple(DEFAULT_PORTS)
UTOPIA_ADMIN = "admin@utopia.example"
IBEAUTY_ADMIN = "admin@ibeauty.example"
OPERATOR_ADMIN = "operator@pactum.example"
MAIL_WAIT_SECONDS = 60.0
EVENT_WAIT_SECONDS = 60.0
READY_TIMEOUT_SECONDS = 120.0
TOKEN_PATTERN = re.compile(r"#token=([A-Za-z0-9_\-]+)")


class DemoFailed(Exception):
    """A step did not get the answer the story needs."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def totp(secret: str, at: float, *, step: int = 30, digits: int = 6) -> str:
    """The RFC 6238 code an authenticator app shows for ``secret`` at time ``at``."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, int(at // step).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def _password() -> str:
    return f"demo-{secrets.token_urlsafe(18)}"


# ------------------------------------------------------------------------------------------------
# The platform: the one already running, or one the demo starts and stops


@dataclass
class Platform:
    urls: dict[str, str]
    mail_dir: Path
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @classmethod
    def running(cls, var_dir: Path) -> "Platform | None":
        urls = {service: service_url(service) for service in SERVICES}
        if wait_until_ready({"identity": urls["identity"]}, timeout=1.0):
            return None
        not_ready = wait_until_ready(urls, timeout=30.0)
        if not_ready:
            raise DemoFailed(f"the platform answers only in part; not ready: {not_ready}")
        return cls(urls=urls, mail_dir=var_dir / "mail")

    @classmethod
    def start(cls, directory: Path) -> "Platform":
        ports = {service: _free_port() for service in SERVICES}
        nats_port, smtp_port = _free_port(), _free_port()
        urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
        var_dir = directory / "var"
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("PACTUM_") and not key.startswith("OTEL_")
        } | {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "PACTUM_DEMO_DATA": "true",
            "PACTUM_ENVIRONMENT": "development",  # as make run: the mail sink's listing
            "PACTUM_VAR_DIR": str(var_dir),
            "PACTUM_NATS_URL": f"nats://127.0.0.1:{nats_port}",
            "PACTUM_SMTP_PORT": str(smtp_port),
            "PACTUM_JWKS_URL": f"{urls['identity']}/.well-known/jwks.json",
            "PACTUM_IDENTITY_LINK_BASE_URL": f"{urls['console']}/account",
            # An IP address cannot be a WebAuthn rp id: passkeys work at localhost.
            "PACTUM_IDENTITY_PASSKEY_ORIGIN": urls["console"].replace("127.0.0.1", "localhost"),
            "PACTUM_NOTIFIER_IDENTITY_URL": urls["identity"],
            "PACTUM_NOTIFIER_PUBLIC_BASE_URL": urls["console"],
            "PACTUM_CONSOLE_PUBLIC_URL": urls["console"],
        }
        env |= {
            f"PACTUM_CONSOLE_{service.upper()}_URL": url
            for service, url in urls.items()
            if service != "console"
        }
        env |= {f"PACTUM_{service.upper()}_PORT": str(port) for service, port in ports.items()}
        log = directory / "platform.log"
        honcho = Path(sys.executable).parent / "honcho"
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            [str(honcho), "-f", "deploy/Procfile", "-d", str(ROOT), "start"],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        platform = cls(urls=urls, mail_dir=var_dir / "mail", process=process, log=log)
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        not_ready = wait_until_ready(urls, timeout=1.0)
        while not_ready and process.poll() is None and time.monotonic() < deadline:
            not_ready = wait_until_ready(urls, timeout=1.0)
        if not_ready or process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            platform.stop()
            raise DemoFailed(f"the platform did not become ready: {not_ready}\n{tail}")
        return platform

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


# ------------------------------------------------------------------------------------------------
# Printing the story


class Story:
    def __init__(self) -> None:
        self.number = 0

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.number += 1
        print(f"\n[{self.number}] {title}", flush=True)
        try:
            yield
        except DemoFailed as error:
            raise DemoFailed(f"step {self.number} ({title}): {error}") from None
        except Exception as error:  # any surprise names the step it broke
            raise DemoFailed(
                f"step {self.number} ({title}): {type(error).__name__}: {error}"
            ) from error

    @staticmethod
    def say(text: str) -> None:
        print(f"    {text}", flush=True)

    @staticmethod
    def evidence(**facts: object) -> None:
        for name, value in facts.items():
            print(f"      {name.replace('_', ' ')}: {value}", flush=True)


# ------------------------------------------------------------------------------------------------
# People: a user with a session, talking to the four services


@dataclass
class Person:
    label: str
    email: str
    http: httpx.Client
    urls: dict[str, str]
    password: str = ""
    token: str = ""
    user_id: str = ""
    organisation_id: str = ""
    totp_secret: str = ""

    def call(self, method: str, service: str, path: str, *, expect: int = 200, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.http.request(method, f"{self.urls[service]}{path}", headers=headers, **kw)
        if response.status_code != expect:
            raise DemoFailed(
                f"{self.label}: {method} {service}{path} answered {response.status_code}, "
                f"expected {expect}: {response.text[:400]}"
            )
        if not response.content or not response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            return response
        return response.json()

    def get(self, service: str, path: str, **kw: Any) -> Any:
        return self.call("GET", service, path, **kw)

    def post(self, service: str, path: str, body: object = None, **kw: Any) -> Any:
        return self.call("POST", service, path, json=body, **kw)

    def login(self) -> dict[str, Any]:
        answer = self.http.post(
            f"{self.urls['identity']}/login", json={"email": self.email, "password": self.password}
        )
        if answer.status_code != 200:
            raise DemoFailed(f"{self.label} cannot log in: {answer.status_code} {answer.text}")
        body: dict[str, Any] = answer.json()
        if body.get("next") == "enrol_second_factor":
            # The organisation requires a second factor (the operator's always does): set up an
            # authenticator app as the person would, and finish the sign-in with its first code.
            started = self.post("identity", "/login/enrolment", {"challenge": body["challenge"]})
            self.totp_secret = started["secret"]
            code = totp(self.totp_secret, time.time())
            body = self.post(
                "identity", "/login/enrolment", {"challenge": body["challenge"], "code": code}
            )
        elif body.get("next") == "second_factor":
            if not self.totp_secret:
                raise DemoFailed(
                    f"{self.email} has a second factor the demo does not know; "
                    "run `make clean` (or the demo with --fresh) and try again"
                )
            # The next time step: the current one may already have been used (a code counts once).
            code = totp(self.totp_secret, time.time() + 30)
            body = self.post(
                "identity", "/login/second-factor", {"challenge": body["challenge"], "code": code}
            )
        if "access_token" not in body:
            raise DemoFailed(f"{self.label}: unexpected login answer {sorted(body)}")
        self.token = body["access_token"]
        me = self.get("identity", "/me")
        self.user_id, self.organisation_id = me["id"], me["organisation_id"]
        return body


# ------------------------------------------------------------------------------------------------
# The mailbox: the development sink's files, as a person reads their own mail


@dataclass
class Mailbox:
    directory: Path
    parsed: dict[str, Any] = field(default_factory=dict)  # file name -> message, read once

    def messages(self, to: str) -> list[tuple[str, Any]]:
        if not self.directory.exists():
            return []
        found = []
        for path in sorted(self.directory.glob("*.eml")):
            message = self.parsed.get(path.name)
            if message is None:
                message = message_from_bytes(path.read_bytes(), policy=policy.default)
                if time.time() - path.stat().st_mtime > 1.0:  # surely written in full
                    self.parsed[path.name] = message
            if to.lower() in str(message["To"]).lower():
                found.append((path.name, message))
        return found

    def wait_for(
        self,
        to: str,
        *,
        containing: str,
        newer_than: set[str] | None = None,
        within: float = MAIL_WAIT_SECONDS,
    ) -> Any:
        """The newest message to ``to`` whose subject or text contains ``containing``."""
        deadline = time.monotonic() + within
        skip = newer_than if newer_than is not None else set()
        while True:
            for name, message in reversed(self.messages(to)):
                body = message.get_body(preferencelist=("plain",))
                text = f"{message['Subject']}\n{body.get_content() if body is not None else ''}"
                if name not in skip and containing in text:
                    return message
            if time.monotonic() > deadline:
                raise DemoFailed(f"no mail to {to} containing {containing!r} in {self.directory}")
            time.sleep(0.3)

    def names(self, to: str) -> set[str]:
        return {name for name, _ in self.messages(to)}


def link_token(message: Any) -> str:
    body = message.get_body(preferencelist=("plain",))
    match = TOKEN_PATTERN.search(body.get_content() if body is not None else "")
    if match is None:
        raise DemoFailed(f"no link in the mail {message['Subject']!r}")
    return match.group(1)


def eventually(check: Callable[[], Any], what: str, within: float = EVENT_WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise DemoFailed(f"{what} did not happen within {within:.0f} s")
        time.sleep(0.3)


# ------------------------------------------------------------------------------------------------
# The tour


class Tour:
    def __init__(self, platform: Platform, http: httpx.Client) -> None:
        self.platform = platform
        self.http = http
        self.story = Story()
        self.mail = Mailbox(platform.mail_dir)
        self.run = uuid.uuid4().hex[:6]
        urls = platform.urls
        self.utopia = Person("UTOPIA's admin", UTOPIA_ADMIN, http, urls)
        self.ibeauty = Person("iBeauty's admin", IBEAUTY_ADMIN, http, urls)
        self.operator = Person("the platform operator", OPERATOR_ADMIN, http, urls)
        self.colleague = Person("UTOPIA's colleague", f"dpo-{self.run}@utopia.example", http, urls)
        self.agreement_id = ""

    def play(self) -> None:
        self.admins_take_their_accounts()
        self.notices_go_to_utopia()
        self.parties_sign()
        self.colleague_joins_with_mfa()
        self.guessed_password_locks_the_account()
        self.subprocessor_change_is_objected()
        self.breach_is_notified_within_72_hours()
        self.operator_intervenes_under_a_grant()
        self.audit_log_is_exported_and_verified_offline()
        self.agreement_ends_with_destruction()

    # -- the steps --------------------------------------------------------------------------

    def admins_take_their_accounts(self) -> None:
        with self.story.step(
            "The seeded admins take their accounts (invitation link from the mail sink)"
        ):
            self.story.say(
                f"platform: {self.platform.urls['identity']} ... mail sink {self.mail.directory}"
            )
            for person in (self.utopia, self.ibeauty, self.operator):
                how = self._take_account(person)
                person.login()
                self.story.evidence(**{person.email: f"user {person.user_id}, {how}"})

    def _take_account(self, person: Person) -> str:
        """Accept the seed's invitation from the mailbox, or (accepted before) reset by mail."""
        person.password = _password()
        identity = self.platform.urls["identity"]
        try:
            # The seed's invitation may still be on its way to the sink on a fresh platform.
            invitation = self.mail.wait_for(
                person.email, containing="/account/invitation#token=", within=15.0
            )
        except DemoFailed:
            invitation = None
        if invitation is not None:
            accepted = self.http.post(
                f"{identity}/invitations/accept",
                json={"token": link_token(invitation), "password": person.password},
            )
            if accepted.status_code == 204:
                return f"invitation accepted ({invitation['Subject']!r})"
        # Accepted in an earlier demo: prove the mailbox with a password reset instead.
        before = self.mail.names(person.email)
        self.http.post(f"{identity}/password-reset", json={"email": person.email})
        try:
            message = self.mail.wait_for(
                person.email, containing="/account/reset#token=", newer_than=before
            )
        except DemoFailed:
            raise DemoFailed(
                f"neither an invitation nor a reset link for {person.email} reached "
                f"{self.mail.directory}: does the platform run with demo data "
                "(PACTUM_DEMO_DATA=true, as make run sets it) and is this its mail sink's "
                "directory (--var-dir)?"
            ) from None
        completed = self.http.post(
            f"{identity}/password-reset/complete",
            json={"token": link_token(message), "password": person.password},
        )
        if completed.status_code != 204:
            raise DemoFailed(
                f"{person.email}: reset refused {completed.status_code} {completed.text}"
            )
        return f"existing account, password reset by mail ({message['Subject']!r})"

    def notices_go_to_utopia(self) -> None:
        with self.story.step(
            "UTOPIA says where its notices go (breach, subprocessor, security, agreement)"
        ):
            existing = self.utopia.get("notifier", "/notifier/contacts")["items"]
            mine = [c for c in existing if c.get("user_id") == self.utopia.user_id]
            if mine:
                contact = mine[0]
                self.story.say("already registered in an earlier run")
            else:
                contact = self.utopia.post(
                    "notifier",
                    "/notifier/contacts",
                    {
                        "topics": ["breach", "subprocessor", "security", "agreement"],
                        "email": UTOPIA_ADMIN,
                        "user_id": self.utopia.user_id,
                        "locale": "en",
                    },
                    expect=201,
                )
            self.story.evidence(contact=contact["id"], topics=", ".join(contact["topics"]))

    def parties_sign(self) -> None:
        with self.story.step(
            "UTOPIA (controller) and iBeauty BVBA (processor) sign their agreement"
        ):
            seed = self.utopia.get("agreements", f"/agreements/{SEED_AGREEMENT_ID}")
            signed_before = self.utopia.get(
                "agreements", f"/agreements/{SEED_AGREEMENT_ID}/versions"
            )
            if seed["status"] == "draft" and not any(
                v.get("signatures") for v in signed_before["items"]
            ):
                agreement = seed
                self.story.say(f"the seed contract: {agreement['title']!r}")
            else:
                agreement = self.utopia.post(
                    "agreements",
                    "/agreements",
                    {
                        "title": f"Verwerkersovereenkomst UTOPIA - iBeauty BVBA (demo {self.run})",
                        "counterparty_id": IBEAUTY_ID,
                        "party": "controller",
                        "annex1": ANNEX1.model_dump(mode="json"),
                    },
                    expect=201,
                )
                self.story.say(
                    f"the seed contract is already {seed['status']}: a new draft with its Annex 1"
                )
            self.agreement_id = agreement["id"]
            path = f"/agreements/{self.agreement_id}"
            self.utopia.post(
                "agreements",
                f"{path}/signatures",
                {"place": "Utopia", "signer_name": "Lotte Peeters", "signer_role": "DPO"},
            )
            signed = self.ibeauty.post(
                "agreements",
                f"{path}/signatures",
                {"place": "Gent", "signer_name": "Sofie Maes", "signer_role": "zaakvoerder"},
            )
            active = self.utopia.post("agreements", f"{path}/activation")
            versions = self.utopia.get("agreements", f"{path}/versions")["items"]
            signatures = versions[0].get("signatures", [])
            self.story.evidence(
                agreement=self.agreement_id,
                status=f"draft -> {signed['status']} -> {active['status']}",
                version=active["version"],
                signatures="; ".join(
                    f"{s.get('party')} at {s.get('signed_at')}" for s in signatures
                ),
            )

    def colleague_joins_with_mfa(self) -> None:
        colleague = self.colleague
        with self.story.step(
            "UTOPIA's admin invites a colleague, who accepts and enrols a second factor"
        ):
            invited = self.utopia.post(
                "identity",
                "/users",
                {
                    "email": colleague.email,
                    "role": "member",
                    "display_name": "Functionaris gegevensbescherming",
                },
                expect=201,
            )
            self.story.evidence(
                invited=f"{colleague.email} as {invited['role']}, user {invited['id']}",
                status=invited["status"],
            )

            def invitation_in_sink() -> Any:
                items = self.utopia.get("notifier", "/notifier/mail")["items"]
                return next((m for m in items if colleague.email in m["to"]), None)

            mail = eventually(invitation_in_sink, "the invitation mail")
            # The admin's listing hides the link; the colleague reads it in their own mailbox.
            assert "#token=(hidden" in mail["text"]
            self.story.evidence(
                mail_received=f"{mail['subject']!r} to {mail['to']} (GET /notifier/mail, "
                "link hidden; the colleague's own mailbox has it)"
            )
            invitation = self.mail.wait_for(
                colleague.email, containing="/account/invitation#token="
            )
            colleague.password = _password()
            colleague.post(
                "identity",
                "/invitations/accept",
                {"token": link_token(invitation), "password": colleague.password},
                expect=204,
            )
            colleague.login()
            enrolment = colleague.post("identity", "/me/mfa/totp")
            secret = parse_qs(urlsplit(enrolment["otpauth_uri"]).query)["secret"][0]
            codes = colleague.post(
                "identity", "/me/mfa/totp/confirm", {"code": totp(secret, time.time())}
            )
            colleague.totp_secret = secret
            self.story.evidence(
                otpauth_uri=enrolment["otpauth_uri"].split("?")[0] + "?secret=…",
                recovery_codes=f"{len(codes['recovery_codes'])} issued, shown once",
            )
            tokens = colleague.login()
            self.story.evidence(
                new_login=f"password + TOTP code, methods {tokens['methods']}",
                session=tokens["session_id"],
            )

    def guessed_password_locks_the_account(self) -> None:
        colleague = self.colleague
        with self.story.step(
            "Someone guesses the colleague's password until the account locks; the admin is told"
        ):
            threshold = self.utopia.get("identity", "/policy")["lock_threshold"]
            before = self.mail.names(UTOPIA_ADMIN)
            answers = []
            for attempt in range(threshold + 1):
                guess = self.http.post(
                    f"{self.platform.urls['identity']}/login",
                    json={"email": colleague.email, "password": f"Welkom{attempt}UTOPIA!"},
                )
                answers.append(guess.status_code)
            real = self.http.post(
                f"{self.platform.urls['identity']}/login",
                json={"email": colleague.email, "password": colleague.password},
            )
            self.story.evidence(
                guesses=f"{len(answers)} wrong passwords answered {sorted(set(answers))} (generic)",
                right_password_now=f"{real.status_code} (locked: same generic answer)",
            )
            if real.status_code != 401:
                raise DemoFailed(f"the locked account still logs in ({real.status_code})")
            user = self.utopia.get("identity", f"/users/{colleague.user_id}")
            self.story.evidence(account=f"locked={user['locked']}")
            message = self.mail.wait_for(UTOPIA_ADMIN, containing="geblokkeerd", newer_than=before)
            self.story.evidence(
                admin_mail=f"{str(message['Subject']).strip()!r} to {message['To']}"
            )
            self.utopia.post("identity", f"/users/{colleague.user_id}/unlock", expect=204)
            self.story.say(
                "the admin checked with the colleague and released the lock (.../unlock)"
            )

    def subprocessor_change_is_objected(self) -> None:
        with self.story.step(
            "iBeauty proposes a new subprocessor; UTOPIA receives the alert and objects"
        ):
            before = self.mail.names(UTOPIA_ADMIN)
            change = self.ibeauty.post(
                "agreements",
                "/subprocessor-changes",
                {
                    "kind": "add",
                    "name": f"Hosting NV ({self.run})",
                    "service": "managed PostgreSQL hosting",
                    "location": "Frankfurt, DE",
                    "transfer_mechanism": "none: processing inside the EEA",
                    "data_categories": ["contactgegevens", "afspraakgegevens"],
                    "effective_date": (date.today() + timedelta(days=45)).isoformat(),
                },
                expect=201,
            )
            self.story.evidence(
                change=f"{change['id']} ({change['name']}, {change['location']})",
                notices=len(change["notices"]),
            )
            notices = self.utopia.get(
                "agreements", f"/agreements/{self.agreement_id}/subprocessor-notices"
            )["items"]
            notice = next(n for n in notices if n["change"]["id"] == change["id"])
            self.story.evidence(
                notice=notice["id"],
                objection_deadline=notice["objection_deadline"],
                window_open=notice["window_open"],
            )
            message = self.mail.wait_for(UTOPIA_ADMIN, containing=change["name"], newer_than=before)
            self.story.evidence(
                alert_mail=f"{str(message['Subject']).strip()!r} to {message['To']}"
            )
            objected = self.utopia.post(
                "agreements",
                f"/agreements/{self.agreement_id}/subprocessor-notices/{notice['id']}/objection",
                {"reason": "Geen verwerking buiten België zonder voorafgaand overleg"},
            )
            self.story.evidence(decision=f"{objected['decision']} at {objected['decided_at']}")

    def breach_is_notified_within_72_hours(self) -> None:
        with self.story.step(
            "iBeauty reports a breach; UTOPIA gets the notice and records notifying its authority"
        ):
            before = self.mail.names(UTOPIA_ADMIN)
            aware = datetime.now(UTC) - timedelta(hours=3)
            breach = self.ibeauty.post(
                "agreements",
                "/breaches",
                {
                    "aware_at": aware.isoformat(),
                    "nature": "Een back-up met afspraakgegevens stond publiek leesbaar",
                    "data_categories": ["afspraakgegevens"],
                    "data_subject_categories": ["burgers"],
                    "approx_data_subjects": 420,
                    "approx_records": 1300,
                    "consequences": "Namen en afspraakmomenten konden worden ingezien",
                    "measures": "Toegang ingetrokken, sleutels vervangen, logs nagekeken",
                    "contact_point": "security@ibeauty.example",
                    "agreement_ids": [self.agreement_id],
                },
                expect=201,
            )
            notice = next(n for n in breach["notices"] if n["agreement_id"] == self.agreement_id)
            self.story.evidence(
                breach=breach["id"],
                aware_at=breach["aware_at"],
                notice=notice["id"],
                processor_deadline=notice["processor_deadline"],
                processor_late=notice["processor_late"],
                authority_deadline=f"{notice['authority_deadline']} (72 h after the notice)",
            )
            message = self.mail.wait_for(
                UTOPIA_ADMIN, containing="notify your authority", newer_than=before
            )
            self.story.evidence(
                notice_mail=f"{str(message['Subject']).strip()!r} to {message['To']}"
            )
            inbox = self.utopia.get("notifier", "/notifier/inbox")["items"]
            item = next((i for i in inbox if i["notice"] == "breach"), None)
            if item is not None:
                self.story.evidence(inbox=f"{item['subject']!r}")
            recorded = self.utopia.post(
                "agreements",
                f"/breach-notices/{notice['id']}/authority-notification",
                {"notified_authority": True, "notified_at": datetime.now(UTC).isoformat()},
            )
            self.story.evidence(
                authority=f"{recorded['authority_status']} at {recorded['authority_notified_at']}",
                authority_late=recorded["authority_late"],
            )

    def operator_intervenes_under_a_grant(self) -> None:
        with self.story.step(
            "The platform operator asks for access, UTOPIA approves, the operator reads"
        ):
            grant = self.operator.post(
                "identity",
                "/grants",
                {
                    "organisation_id": UTOPIA_ID,
                    "reason": "Support ticket: the agreement page loads slowly",
                    "minutes": 30,
                    "access": "read",
                },
                expect=201,
            )
            self.story.evidence(
                grant=grant["id"],
                request=f"{grant['status']}, {grant['access']} access, {grant['minutes']} min",
            )
            approved = self.utopia.post("identity", f"/grants/{grant['id']}/approve")
            self.story.evidence(decision=f"{approved['status']}, expires {approved['expires_at']}")
            token = self.operator.post("identity", f"/grants/{grant['id']}/token")
            under_grant = Person(
                "the operator under the grant",
                OPERATOR_ADMIN,
                self.http,
                self.platform.urls,
                token=token["access_token"],
            )
            read = under_grant.get("agreements", f"/agreements/{self.agreement_id}")
            self.story.evidence(operator_read=f"GET /agreements/{read['id']} -> {read['status']}")

            def flagged() -> Any:
                page = self.utopia.get(
                    "audit",
                    "/audit/entries",
                    params={"supplier_only": "true", "agreement": self.agreement_id, "limit": 50},
                )
                return next(
                    (
                        e
                        for e in page["items"]
                        if e["grant_id"] == grant["id"]
                        and e["event_type"].endswith("agreement.viewed.v1")
                    ),
                    None,
                )

            entry = eventually(flagged, "the operator's read in UTOPIA's audit log")
            self.story.evidence(
                audit_entry=f"position {entry['position']}, {entry['event_type']}",
                event_id=entry["event_id"],
                supplier_intervention=entry["supplier_intervention"],
                actor=f"{entry['actor_type']} of organisation {entry['actor_organisation_id']}",
                under_grant=entry["grant_id"],
            )

    def audit_log_is_exported_and_verified_offline(self) -> None:
        with self.story.step("UTOPIA exports its audit log and verifies it offline"):
            response = self.utopia.call("GET", "audit", "/audit/export", params={"format": "jsonl"})
            key = self.http.get(f"{self.platform.urls['audit']}/audit/checkpoint-key").json()
            with tempfile.TemporaryDirectory(prefix="pactum-demo-") as directory:
                export = Path(directory) / "utopia-audit.jsonl"
                export.write_bytes(response.content)
                header = json.loads(response.content.split(b"\n", 1)[0])
                checkpoint = header.get("checkpoint", {})
                self.story.evidence(
                    export=f"{len(response.content.splitlines()) - 1} entries",
                    checkpoint_size=checkpoint.get("size"),
                    checkpoint_root=checkpoint.get("root"),
                    signed_at=checkpoint.get("signed_at"),
                )
                verified = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                    [
                        sys.executable,
                        "-m",
                        "pactum_verify",
                        "export",
                        str(export),
                        "--public-key",
                        key["public_key"],
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
            self.story.say(f"$ pactum-verify export export.jsonl --public-key <{key['key_id']}>")
            report = json.loads(verified.stdout) if verified.stdout.strip().startswith("{") else {}
            self.story.evidence(
                verifier=f"exit {verified.returncode}, valid: {report.get('valid')}",
                entries_checked=report.get("entries_checked"),
            )
            if verified.returncode != 0:
                raise DemoFailed(
                    f"the offline verifier refused the export: {verified.stdout} {verified.stderr}"
                )

    def agreement_ends_with_destruction(self) -> None:
        with self.story.step(
            "The agreement ends: termination, destruction of the data, a signed certificate"
        ):
            path = f"/agreements/{self.agreement_id}"
            ended = self.utopia.post(
                "agreements", f"{path}/termination", {"reason": "Einde van de hoofdovereenkomst"}
            )
            self.story.evidence(termination=f"{ended['status']} at {ended['terminated_at']}")
            certificate = self.utopia.post("agreements", f"{path}/closure", {"choice": "destroy"})
            keys = self.http.get(f"{self.platform.urls['agreements']}/certificate-keys").json()
            published = next(
                (k for k in keys["keys"] if k.get("kid") == certificate["key_id"]), None
            )
            if published is None:
                raise DemoFailed(f"key {certificate['key_id']} is not among the published keys")
            valid = verify_certificate(
                certificate["statement"], certificate["signature"], published
            )
            closed = self.utopia.get("agreements", path)
            self.story.evidence(
                certificate=f"{certificate['id']}, issued {certificate['issued_at']}",
                destroyed=", ".join(
                    sorted(str(k) for k in certificate["statement"].get("destroyed", {}))
                )
                or "-",
                signature=f"Ed25519, key {certificate['key_id']}",
                verified_with_the_published_key=valid,
                agreement=closed["status"],
            )
            if not valid:
                raise DemoFailed("the destruction certificate does not verify")


# ------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--fresh", action="store_true", help="always start a platform of its own")
    parser.add_argument(
        "--var-dir",
        type=Path,
        default=Path(os.environ.get("PACTUM_VAR_DIR", "var")),
        help="var dir of the running platform (its mail sink writes to <var-dir>/mail)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    platform: Platform | None = None
    with tempfile.TemporaryDirectory(prefix="pactum-demo-") as directory:
        try:
            platform = None if args.fresh else Platform.running(args.var_dir)
            if platform is None:
                print(
                    "No platform answers: starting one (honcho, deploy/Procfile) ...",
                    flush=True,
                )
                platform = Platform.start(Path(directory))
            else:
                print("Using the running platform (make run).", flush=True)
            with httpx.Client(timeout=30.0, trust_env=False) as http:
                Tour(platform, http).play()
        except DemoFailed as error:
            print(f"\nDEMO FAILED at {error}", file=sys.stderr, flush=True)
            if error.__cause__ is not None:
                traceback.print_exception(error.__cause__, file=sys.stderr)
            if platform is not None and platform.log is not None:
                print(
                    f"platform log (tail):\n{platform.log.read_text(errors='replace')[-2000:]}",
                    file=sys.stderr,
                )
            return 1
        finally:
            if platform is not None:
                platform.stop()
    print(f"\nThe demo ran every step in {time.monotonic() - started:.0f} s.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
