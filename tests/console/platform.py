"""The whole platform as real processes, as ``make run`` starts it, for tests in a real browser.

A bundled nats-server, the development mail sink (in this process, so tests read mail as its
recipient would), and the five services on SQLite under one temporary directory, each on a free
port. Mailed links point at this console. Fresh organisations come from the operator's command
line, so each test can have tenants of its own on the one platform the session shares.
"""

import os
import re
import subprocess
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import httpx

from deploy.mailsink import MailSink
from tests.support.nats import NatsServer, free_port
from tests.support.warm_cli import WARM

SERVICES = ("identity", "agreements", "audit", "notifier", "console")
READY_WITHIN = 90.0
LINK = re.compile(r"https?://\S+#token=[A-Za-z0-9_-]+")


class ConsolePlatform:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.var_dir = root / "var"
        self.ports = {service: free_port() for service in SERVICES}
        self.nats = NatsServer(root / "nats")
        self.mail = MailSink(root / "mail", port=free_port())
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, service: str = "console") -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def passkey_url(self) -> str:
        """The console by name: a passkey is bound to a domain, never to an IP address."""
        return f"http://localhost:{self.ports['console']}"

    @property
    def federation_callback(self) -> str:
        """Where an organisation's own identity provider sends the browser back."""
        return f"{self.url('console')}/sign-in/organisation/callback"

    @property
    def environment(self) -> dict[str, str]:
        console = self.url("console")
        return (
            dict(os.environ)
            | {
                "PACTUM_ENVIRONMENT": "development",
                "PACTUM_NATS_URL": self.nats.url,
                "PACTUM_VAR_DIR": str(self.var_dir),
                "PACTUM_JWKS_URL": f"{self.url('identity')}/.well-known/jwks.json",
                "PACTUM_LOG_LEVEL": "INFO",
                "PACTUM_DEMO_DATA": "true",
                "PACTUM_OUTBOX_POLL_SECONDS": "0.2",
                "PACTUM_IDENTITY_LINK_BASE_URL": f"{console}/account",
                "PACTUM_IDENTITY_PASSKEY_ORIGIN": self.passkey_url,
                "PACTUM_IDENTITY_FEDERATION_REDIRECT_URI": self.federation_callback,
                "PACTUM_NOTIFIER_PUBLIC_BASE_URL": console,
                "PACTUM_NOTIFIER_IDENTITY_URL": self.url("identity"),
                "PACTUM_NOTIFIER_SMTP_PORT": str(self.mail.port),
                "PACTUM_NOTIFIER_DISPATCH_POLL_SECONDS": "0.2",
                "PACTUM_CONSOLE_PUBLIC_URL": console,
            }
            | {f"PACTUM_{s.upper()}_PORT": str(port) for s, port in self.ports.items()}
            | {
                f"PACTUM_CONSOLE_{s.upper()}_URL": self.url(s)
                for s in ("identity", "agreements", "audit", "notifier")
            }
        )

    def start(self) -> "ConsolePlatform":
        self.nats.start()
        self.mail.start()
        environment = self.environment
        for service in SERVICES:
            log = (self.root / f"{service}.log").open("wb")
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}"],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_WITHIN
        waiting = set(SERVICES)
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while waiting and time.monotonic() < deadline:
                for service in list(waiting):
                    if self.processes[service].poll() is not None:
                        raise RuntimeError(f"{service} stopped:\n{self.log(service)[-3000:]}")
                    try:
                        if client.get(f"{self.url(service)}/readyz").status_code == 200:
                            waiting.discard(service)
                    except httpx.HTTPError:
                        pass
                time.sleep(0.2)
        if waiting:
            raise RuntimeError(f"not ready: {sorted(waiting)}")

    def log(self, service: str) -> str:
        return (self.root / f"{service}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.mail.stop()
        self.nats.stop()

    # -- what an operator does on the command line ------------------------------------------

    def identity_command(self, *arguments: str) -> str:
        # Forked from the tests' warm interpreter: a process of its own without the cold start.
        done = WARM.run(self.environment, arguments, 60, module="services.identity.cli")
        if done.code != 0:
            raise RuntimeError(f"{arguments[0]} failed: {done.err[-2000:]}")
        return done.out

    def new_organisation(self, name: str, kind: str = "controller", mfa: str = "none") -> str:
        """An organisation made by the operator's command; its admins sign in with a password
        alone unless ``mfa`` asks otherwise (the command's own default is ``admins``)."""
        printed = self.identity_command(
            "create-organisation", "--name", name, "--kind", kind, "--mfa", mfa
        )
        found = re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", printed)
        assert found, printed
        return found.group(0)

    def invite_first_admin(self, organisation_id: str, email: str) -> None:
        """The operator invites the first admin by mail; the person uses the link that comes."""
        self.identity_command(
            "create-admin", "--organisation", organisation_id, "--email", email, "--mail"
        )

    # -- what a person reads in their mailbox ------------------------------------------------

    def mails_to(self, address: str) -> list[EmailMessage]:
        return [m for m in list(self.mail.messages) if address.lower() in str(m["To"]).lower()]

    def wait_for_mail(
        self, address: str, *, containing: str = "", after: int = 0, within: float = 30.0
    ) -> EmailMessage:
        """The first message to ``address`` (beyond the first ``after``) whose text contains
        ``containing``."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in self.mails_to(address)[after:]:
                if containing in text_of(message):
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no mail to {address} containing {containing!r} within {within} s")

    def link_in_mail(self, address: str, *, purpose: str = "invitation", after: int = 0) -> str:
        message = self.wait_for_mail(address, containing=f"/account/{purpose}#token=", after=after)
        found = LINK.search(text_of(message))
        assert found, text_of(message)
        return found.group(0)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@example.test"
