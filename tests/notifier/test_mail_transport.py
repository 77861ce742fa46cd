"""E-mail transport: STARTTLS or implicit TLS with login, as configured; a misconfigured session
is retried, never taken for a bounce."""

import ssl
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from deploy.mailsink import MailSink
from shared.events.contracts.identity import GrantDecided
from tests.notifier.conftest import Notifier, event
from tests.support.certificates import self_signed
from tests.support.databases import Database
from tests.support.nats import NatsServer, free_port
from tests.support.platform import Platform, eventually

# aiosmtpd warns that AUTH is offered without STARTTLS; on the implicit-TLS port it is TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
async def secured(
    request: pytest.FixtureRequest,
    nats_server: NatsServer,
    database: Callable[[str], Database],
    tmp_path: Path,
) -> AsyncIterator[Notifier]:
    mode, password = request.param
    cert, key = self_signed(tmp_path / "tls", name="127.0.0.1", stem="smtp")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    tls: dict[str, Any] = {"starttls": context} if mode == "starttls" else {"tls": context}
    sink = MailSink(
        tmp_path / "mail", port=free_port(), credentials=("pactum", "s3cret"), **tls
    ).start()
    platform = Platform(
        nats_url=nats_server.url,
        database=database,
        var_dir=tmp_path / "var",
        smtp_port=sink.port,
        smtp_security=mode,
        smtp_ca_file=cert,
        smtp_username="pactum",
        smtp_password=password,
        smtp_timeout_seconds=2.0,
        dispatch_poll_seconds=0.05,
    )
    await platform.start("notifier", "audit")
    yield Notifier(platform, sink)
    await platform.stop()
    sink.stop()


async def _grant_ended(notifier: Notifier) -> str:
    organisation = str(uuid.uuid4())
    await notifier.contact(organisation, ["security"], email="admins@gemeente.example")
    data = GrantDecided(grant_id=uuid.uuid4(), operator_id=uuid.uuid4())
    ended = event("dpa.identity.grant.expired.v1", organisation, data, source="/dpa/identity")
    await notifier.publish(ended)
    return organisation


@pytest.mark.parametrize(
    "secured", [("starttls", "s3cret"), ("tls", "s3cret")], indirect=True, ids=["starttls", "tls"]
)
async def test_mail_goes_over_tls_with_login_as_configured__TOM_T7(secured: Notifier) -> None:
    await _grant_ended(secured)
    [mail] = await eventually(lambda: _mail(secured))
    assert str(mail["To"]) == "admins@gemeente.example"


@pytest.mark.parametrize("secured", [("starttls", "wrong")], indirect=True, ids=["starttls"])
async def test_a_refused_login_is_retried_not_taken_for_a_bounce(secured: Notifier) -> None:
    organisation = await _grant_ended(secured)
    await secured.settled_or_pending(organisation)
    [delivery] = await secured.deliveries(organisation_id=organisation)
    assert delivery.status.value == "pending" and delivery.next_attempt_at is not None
    assert secured.sink.messages == []
    [failed] = await eventually(
        lambda: secured.evidence(organisation, "dpa.notifier.delivery.failed.v1")
    )
    assert failed.data["bounced"] is False


async def _mail(notifier: Notifier) -> list[Any]:
    return list(notifier.sink.messages)
