"""Section: the notifier's breach fan-out, from the notice events to the last accepted delivery.

A breach report for 100 controllers becomes 100 ``breach_notice.issued`` events (agreements
emits one per affected controller; its own cost is ``agreements.breach_fanout``). This section
publishes those 100 events to a throw-away nats-server in one burst and measures the time until
the last of the 200 deliveries (one e-mail and one signed webhook per controller) is accepted:
by a real SMTP server on loopback (the development mail sink) and by a real HTTP receiver on
loopback that checks every Standard Webhooks signature. The notifier runs in this process with
its default settings on SQLite (``httpx`` ``ASGITransport`` for its API only).
``deliveries_per_s`` counts from the first publish, ``dispatch_per_s`` from the first accepted
notice (the dispatcher's own rate: send, then record each outcome as it completes);
``PACTUM_NOTIFIER_DISPATCH_RECORD_WINDOW_SECONDS`` compares group-commit windows.

``run()`` returns the figures as a dict; ``python -m bench.notifier`` prints them as JSON.
"""

import asyncio
import json
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import nats
from asgi_lifespan import LifespanManager

from bench.natsserver import NatsServer, free_port
from deploy.mailsink import MailSink
from services.notifier import webhook_signatures
from services.notifier.main import NotifierSettings, create_app
from shared.auth import JwksSource, Role, TokenSigner
from shared.events import Actor, new_event
from shared.events.contracts.agreements import BreachNoticeIssued

CONTROLLERS = 100
ROUNDS = 3


class _Receiver:
    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.accepted: list[float] = []
        self.bad_signatures = 0
        self.lock = threading.Lock()


def _serve(receiver: _Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {key.lower(): value for key, value in self.headers.items()}
            ok = any(
                webhook_signatures.verify(
                    secret=s, headers_=headers, body=body, now=int(time.time())
                )
                for s in receiver.secrets
            )
            with receiver.lock:
                receiver.accepted.append(time.perf_counter())
                receiver.bad_signatures += 0 if ok else 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _jwks(signer: TokenSigner) -> JwksSource:
    async def fetch() -> dict[str, Any]:
        return signer.jwks()

    return fetch


def _notice(controller: str) -> BreachNoticeIssued:
    now = datetime.now(UTC)
    return BreachNoticeIssued(
        agreement_id=uuid.uuid4(),
        breach_id=uuid.uuid4(),
        notice_id=uuid.uuid4(),
        processor_id=uuid.uuid4(),
        controller_id=uuid.UUID(controller),
        aware_at=now - timedelta(hours=2),
        notified_at=now,
        processor_deadline=now + timedelta(hours=46),
        processor_late=False,
        authority_deadline=now + timedelta(hours=72),
        data_categories=["contact data"],
        data_subject_categories=["citizens"],
        approx_data_subjects=100,
        approx_records=400,
    )


async def _round(
    nats_url: str, sink: "_TimedSink", receiver: _Receiver, controllers: list[str]
) -> dict[str, float]:
    events = [
        new_event(
            source="/dpa/agreements",
            type="dpa.agreements.breach_notice.issued.v1",
            tenant=controller,
            actor=Actor.system("agreements"),
            data=_notice(controller),
        )
        for controller in controllers
    ]
    mails_before, calls_before = len(sink.accepted), len(receiver.accepted)
    connection = await nats.connect(nats_url)
    js = connection.jetstream()
    started = time.perf_counter()
    for event in events:
        await js.publish(
            event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)}
        )
    published = time.perf_counter()
    await connection.close()
    deadline = time.monotonic() + 120
    while len(sink.accepted) - mails_before < len(controllers) or len(
        receiver.accepted
    ) - calls_before < len(controllers):
        if time.monotonic() > deadline:
            raise RuntimeError("the notices did not all arrive within 120 s")
        await asyncio.sleep(0.01)
    last_mail = sink.accepted[mails_before + len(controllers) - 1]
    last_call = receiver.accepted[calls_before + len(controllers) - 1]
    first = min(sink.accepted[mails_before], receiver.accepted[calls_before])
    return {
        "publish_s": published - started,
        "first_notice_s": first - started,
        "last_mail_s": last_mail - started,
        "last_webhook_s": last_call - started,
        "last_notice_s": max(last_mail, last_call) - started,
        "deliveries_per_s": 2 * len(controllers) / (max(last_mail, last_call) - started),
        "dispatch_per_s": 2 * len(controllers) / (max(last_mail, last_call) - first),
    }


class _TimedSink(MailSink):
    def __init__(self, directory: Path, *, port: int) -> None:
        super().__init__(directory, port=port)
        self.accepted: list[float] = []

    def keep(self, content: bytes) -> None:
        super().keep(content)
        self.accepted.append(time.perf_counter())


async def _run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pactum-bench-notifier-") as directory:
        root = Path(directory)
        server = NatsServer(root / "nats")
        server.start()
        sink = _TimedSink(root / "mail", port=free_port())
        sink.start()
        receiver = _Receiver()
        http_server = _serve(receiver)
        signer = TokenSigner.generate(issuer="pactum-identity", audience="pactum")
        settings = NotifierSettings(
            environment="test",
            var_dir=root / "var",
            nats_url=server.url,
            smtp_port=sink.port,
            dispatch_poll_seconds=0.05,
            outbox_poll_seconds=0.05,
        )
        app = create_app(settings, jwks=_jwks(signer))
        try:
            async with (
                LifespanManager(app, startup_timeout=30),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://notifier"
                ) as client,
            ):
                controllers = [str(uuid.uuid4()) for _ in range(CONTROLLERS)]
                url = f"http://127.0.0.1:{http_server.server_address[1]}/hooks"
                for n, controller in enumerate(controllers):
                    token = signer.issue(
                        user_id="bench", organisation_id=controller, roles=[Role.admin]
                    )
                    auth = {"Authorization": f"Bearer {token}"}
                    contact = {"topics": ["breach"], "email": f"dpo{n}@controller.example"}
                    await client.post("/notifier/contacts", json=contact, headers=auth)
                    response = await client.post(
                        "/notifier/endpoints", json={"url": url, "topics": ["breach"]}, headers=auth
                    )
                    receiver.secrets.append(response.json()["secret"])
                rounds = [
                    await _round(server.url, sink, receiver, controllers) for _ in range(ROUNDS)
                ]
        finally:
            http_server.shutdown()
            sink.stop()
            server.stop()
    return {
        "controllers": CONTROLLERS,
        "deliveries_per_round": 2 * CONTROLLERS,
        "rounds": rounds,
        "best_last_notice_s": min(r["last_notice_s"] for r in rounds),
        "worst_last_notice_s": max(r["last_notice_s"] for r in rounds),
        "best_deliveries_per_s": max(r["deliveries_per_s"] for r in rounds),
        "record_window_s": settings.dispatch_record_window_seconds,
        "bad_signatures": receiver.bad_signatures,
    }


def run() -> dict[str, Any]:
    """Time 100 controllers' breach notices to the last accepted e-mail and webhook."""
    return asyncio.run(_run())


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
