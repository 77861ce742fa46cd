"""What the outside world received: a mail sink and a webhook receiver on loopback.

Both outlive every service restart. Each transmission is kept with the delivery id it carries
(``Message-ID: <msg_<hex>@pactum>``, ``webhook-id: msg_<hex>``), so the reconciliation can tell
a notice sent twice under one id (a resend after a crash, which receivers drop by that id) from
two different notices.
"""

import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from deploy.mailsink import MailSink
from tests.support.nats import free_port


def delivery_id(message_id: str) -> uuid.UUID | None:
    """The delivery a ``Message-ID`` or ``webhook-id`` names (``None`` if it names none)."""
    text = message_id.strip().strip("<>").split("@", 1)[0].removeprefix("msg_")
    try:
        return uuid.UUID(hex=text)
    except ValueError:
        return None


class WebhookReceiver:
    """Answers 200 to every POST and counts the ``webhook-id`` of each."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: Counter[str] = Counter()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    receiver.received[self.headers.get("webhook-id", "")] += 1
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def transmissions(self) -> Counter[uuid.UUID | None]:
        with self._lock:
            counts: Counter[uuid.UUID | None] = Counter()
            for webhook_id, count in self.received.items():
                counts[delivery_id(webhook_id)] += count
            return counts


class Mailbox:
    """The development mail sink of ``make run`` on a free port."""

    def __init__(self, directory: Path) -> None:
        self.sink = MailSink(directory, port=free_port())

    @property
    def port(self) -> int:
        return self.sink.port

    def start(self) -> "Mailbox":
        self.sink.start()
        return self

    def stop(self) -> None:
        self.sink.stop()

    def transmissions(self) -> Counter[uuid.UUID | None]:
        return Counter(
            delivery_id(str(message["Message-ID"] or "")) for message in self.sink.messages
        )
