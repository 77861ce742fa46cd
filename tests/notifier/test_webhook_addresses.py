"""Webhooks go only where the check allowed (TOM-T5, SSRF): every address class a tunnel,
translation or private range can hide behind is refused, and the call connects to the address that
was checked, not to whatever a second DNS answer says (rebinding)."""

import ipaddress
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.notifier import webhooks
from services.notifier.domain import is_public_address
from services.notifier.secret_seal import SecretSeal
from services.notifier.store import Endpoint
from tests.notifier.conftest import Receiver, _receiver_handler
from tests.support.certificates import self_signed
from tests.support.nats import free_port

REFUSED = {
    "loopback v4": "127.0.0.1",
    "loopback v6": "::1",
    "private 10/8": "10.1.2.3",
    "private 172.16/12": "172.16.0.9",
    "private 192.168/16": "192.168.1.1",
    "link-local v4 (cloud metadata)": "169.254.169.254",
    "link-local v6": "fe80::1",
    "multicast v4": "224.0.0.1",
    "multicast v6": "ff02::1",
    "reserved v4": "240.0.0.1",
    "broadcast": "255.255.255.255",
    "unspecified v4": "0.0.0.0",  # noqa: S104 (an address refused, not bound)
    "unspecified v6": "::",
    "CGNAT 100.64/10": "100.64.0.1",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "IPv4-mapped private": "::ffff:10.0.0.1",
    "IPv4-mapped metadata": "::ffff:169.254.169.254",
    "NAT64 well-known of loopback": "64:ff9b::7f00:1",
    "NAT64 well-known of a public v4": "64:ff9b::808:808",
    "NAT64 local-use": "64:ff9b:1::a00:1",
    "6to4 of loopback": "2002:7f00:1::1",
    "6to4 of a public v4": "2002:808:808::1",
    "Teredo": "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "site-local v6": "fec0::1",
    "unique-local v6": "fd12:3456::1",
    "documentation v4": "192.0.2.10",
    "documentation v6": "2001:db8::1",
}
ALLOWED = {
    "public v4": "8.8.8.8",
    "public v6": "2a00:1450:4001:80b::200e",
    "IPv4-mapped public": "::ffff:8.8.8.8",
}


@pytest.mark.parametrize("literal", REFUSED.values(), ids=REFUSED.keys())
def test_webhook_address_classes_that_lead_inside_are_refused__TOM_T5(literal: str) -> None:
    assert not is_public_address(ipaddress.ip_address(literal))


@pytest.mark.parametrize("literal", ALLOWED.values(), ids=ALLOWED.keys())
def test_global_unicast_addresses_are_allowed_for_webhooks(literal: str) -> None:
    assert is_public_address(ipaddress.ip_address(literal))


@pytest.fixture
def local_receiver() -> Iterator[Receiver]:
    state = Receiver(port=free_port())
    server = ThreadingHTTPServer(("127.0.0.1", state.port), _receiver_handler(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


class RebindingDns:
    """A resolver whose answers change between lookups, as an attacker's DNS server does."""

    def __init__(self, *answers: str) -> None:
        self.answers = [ipaddress.ip_address(answer) for answer in answers]
        self.lookups: list[str] = []

    async def __call__(self, host: str) -> list[webhooks.Address]:
        self.lookups.append(host)
        return [self.answers[min(len(self.lookups), len(self.answers)) - 1]]


SECRET = "whsec_dGVzdC1zZWNyZXQtMzItYnl0ZXMtbG9uZy0xMjM0NQ=="


SEAL = SecretSeal({"k1": bytes(32)}, current="k1")


def _endpoint(url: str, secret: str = SECRET) -> Endpoint:
    endpoint = Endpoint(
        organisation_id=str(uuid.uuid4()),
        url=url,
        topics=["breach"],
        secret="",
        created_at=datetime.now(UTC),
    )
    endpoint.secret = SEAL.seal(secret, endpoint_id=endpoint.id)
    return endpoint


async def test_a_name_rebound_to_loopback_after_the_check_is_never_connected_to__TOM_T5(
    local_receiver: Receiver,
) -> None:
    dns = RebindingDns("8.8.8.8", "127.0.0.1")  # public when checked, loopback afterwards
    endpoint = _endpoint(f"https://hooks.attacker.example:{local_receiver.port}/hooks")
    async with httpx.AsyncClient(timeout=1.0, follow_redirects=False) as client:
        outcome = await webhooks.call(
            client,
            endpoint=endpoint,
            message_id="msg_1",
            body="{}",
            production=True,
            resolver=dns,
            seal=SEAL,
        )
    assert dns.lookups == ["hooks.attacker.example"]  # resolved once: checked and connected
    assert not outcome.delivered  # 8.8.8.8 is not our receiver (nor reachable here)
    assert local_receiver.calls == []  # the loopback address was never called


async def test_production_refuses_a_name_that_resolves_to_any_inside_address__TOM_T5(
    local_receiver: Receiver,
) -> None:
    for inside in ("127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1"):
        dns = RebindingDns(inside)
        endpoint = _endpoint(f"https://hooks.attacker.example:{local_receiver.port}/hooks")
        async with httpx.AsyncClient(timeout=1.0) as client:
            outcome = await webhooks.call(
                client,
                endpoint=endpoint,
                message_id="m",
                body="{}",
                production=True,
                resolver=dns,
                seal=SEAL,
            )
        assert (outcome.delivered, outcome.status) == (False, "unsafe_address"), inside
    assert local_receiver.calls == []


async def test_the_call_connects_to_the_resolved_address_and_keeps_the_host_name(
    local_receiver: Receiver,
) -> None:
    """Development allows loopback (as configured today); the name below exists in no DNS, so
    the request can only have reached the receiver through the address the resolver gave."""
    secret = SECRET
    local_receiver.secrets.append(secret)
    dns = RebindingDns("127.0.0.1")
    url = f"http://receiver.pactum.invalid:{local_receiver.port}/hooks?x=1"
    async with httpx.AsyncClient(timeout=5.0) as client:
        outcome = await webhooks.call(
            client,
            endpoint=_endpoint(url, secret),
            message_id="msg_2",
            body='{"a": 1}',
            production=False,
            resolver=dns,
            seal=SEAL,
            now=time.time(),
        )
    assert outcome.delivered, outcome
    [call] = local_receiver.calls
    assert call.headers["host"] == f"receiver.pactum.invalid:{local_receiver.port}"
    assert call.path == "/hooks?x=1" and call.verified


class _Redirecting(BaseHTTPRequestHandler):
    """Answers 307 to the first path, pointing at a second one on the same server."""

    paths: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.paths.append(self.path)
        self.send_response(307 if self.path == "/hooks" else 200)
        self.send_header("location", "/internal")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


async def test_a_redirect_from_the_receiver_is_not_followed__TOM_T5() -> None:
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Redirecting.paths = []
    try:
        # a client that would follow redirects by default: the call overrides it
        async with httpx.AsyncClient(timeout=5.0, follow_redirects=True) as client:
            outcome = await webhooks.call(
                client,
                endpoint=_endpoint(f"http://receiver.pactum.invalid:{port}/hooks"),
                message_id="msg_3",
                body="{}",
                production=False,
                resolver=RebindingDns("127.0.0.1"),
                seal=SEAL,
            )
    finally:
        server.shutdown()
        server.server_close()
    assert (outcome.delivered, outcome.status) == (False, "307")
    assert _Redirecting.paths == ["/hooks"]


async def test_tls_is_checked_against_the_host_name_while_connecting_to_the_checked_address(
    local_receiver: Receiver, tmp_path: Path
) -> None:
    """The certificate names the host, not 127.0.0.1: the call only succeeds because SNI and the
    certificate check use the URL's host name; a name the certificate does not carry fails."""
    cert, key = self_signed(tmp_path, name="receiver.pactum.invalid", stem="receiver")
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    port = free_port()
    handler = _receiver_handler(local_receiver)
    handler.protocol_version = "HTTP/1.1"  # keeps connections open: none may serve another name
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.socket = served.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local_receiver.secrets.append(SECRET)
    trusted = ssl.create_default_context(cafile=str(cert))
    try:
        async with httpx.AsyncClient(timeout=5.0, verify=trusted) as client:
            outcomes = [
                await webhooks.call(
                    client,
                    endpoint=_endpoint(f"https://{host}:{port}/hooks"),
                    message_id="msg_4",
                    body="{}",
                    production=False,
                    resolver=RebindingDns("127.0.0.1"),
                    seal=SEAL,
                )
                for host in ("receiver.pactum.invalid", "impostor.pactum.invalid")
            ]
    finally:
        server.shutdown()
        server.server_close()
    assert outcomes[0].delivered, outcomes[0]
    assert not outcomes[1].delivered and outcomes[1].status == "ConnectError"
    [call] = local_receiver.calls
    assert call.verified and call.headers["host"] == f"receiver.pactum.invalid:{port}"
