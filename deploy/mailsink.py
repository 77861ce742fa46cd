"""The development mail sink of `make run`: an SMTP server on loopback that keeps every message.

Each message it accepts is written to ``var/mail/<time>-<n>.eml`` (readable as files and through
``GET /notifier/mail``); nothing is relayed anywhere. The tests run the same sink on a free port.
Optionally it refuses given recipients with a 550, to play a bounce.

    python -m deploy.mailsink [--host 127.0.0.1] [--port 8025] [--dir var/mail]
"""

import argparse
import itertools
import os
import signal
import ssl
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


class _Handler:
    def __init__(self, sink: "MailSink") -> None:
        self.sink = sink

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.sink.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        self.sink.keep(content)
        return "250 Message accepted for delivery"


class MailSink:
    """``starttls`` (a server SSL context) requires STARTTLS; ``tls`` speaks TLS from the first
    byte; ``credentials`` requires AUTH with that user name and password."""

    def __init__(
        self,
        directory: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8025,
        starttls: ssl.SSLContext | None = None,
        tls: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self.host = host
        self.port = port
        self.starttls = starttls
        self.tls = tls
        self.credentials = credentials
        self.refused: set[str] = set()
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._controller: Controller | None = None

    def keep(self, content: bytes) -> None:
        message: Any = message_from_bytes(content, policy=policy.default)
        with self._lock:
            number = next(self._numbers)
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{number:06d}.eml"
            (self.directory / name).write_bytes(content)
            self.messages.append(message)

    def start(self) -> "MailSink":
        options: dict[str, Any] = {}
        if self.starttls is not None:
            options |= {"tls_context": self.starttls, "require_starttls": True}
        if self.tls is not None:
            options |= {"ssl_context": self.tls}
        if self.credentials is not None:
            options |= {"auth_required": True, "authenticator": self._authenticate}
            # aiosmtpd only counts STARTTLS as TLS; a session that is TLS from the first byte is
            # secure too, so AUTH is offered there without the check.
            options |= {"auth_require_tls": self.starttls is not None}
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, **options)
        self._controller.start()
        return self

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        expected = self.credentials
        given = (
            (data.login.decode(), data.password.decode())
            if isinstance(data, LoginPassword)
            else None
        )
        return AuthResult(success=given is not None and given == expected)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("PACTUM_MAILSINK_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PACTUM_SMTP_PORT", 8025)))
    parser.add_argument(
        "--dir", type=Path, default=Path(os.environ.get("PACTUM_VAR_DIR", "var")) / "mail"
    )
    arguments = parser.parse_args()
    sink = MailSink(arguments.dir, host=arguments.host, port=arguments.port).start()
    print(f"mail sink on {sink.host}:{sink.port}, writing to {arguments.dir}/", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    sink.stop()


if __name__ == "__main__":
    main()
