"""The metrics tests reuse the identity and notifier test drivers and their fixtures, and answer
outgoing calls with a plain HTTP server on loopback."""

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.identity.conftest import identity, identity_platform, services
from tests.notifier.conftest import mail_sink, notifier, receiver

__all__ = [
    "identity",
    "identity_platform",
    "mail_sink",
    "notifier",
    "receiver",
    "server",
    "services",
]

TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")


@dataclass
class Server:
    """A plain HTTP server on loopback that keeps the headers of every request it answers."""

    port: int = 0
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def traceparent(self) -> tuple[str, str]:
        [(_, headers)] = self.seen
        match = TRACEPARENT.fullmatch(headers["traceparent"])
        assert match, headers["traceparent"]
        return match.group(1), match.group(2)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            body = json.dumps({"keys": []}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = http.server_port
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield state
    http.shutdown()
    http.server_close()
