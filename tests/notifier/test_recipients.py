"""Recipients per organisation, bad input answered with a clear 4xx, malformed events rejected
without blocking the stream, the development mail sink readable through the API."""

import json
import uuid
from collections.abc import AsyncIterator, Callable
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import nats
import pytest
from structlog.testing import capture_logs

from deploy.mailsink import MailSink
from services.audit.settings import AuditSettings
from services.notifier.store import Contact
from shared.auth import Role
from shared.events.contracts.identity import GrantDecided
from shared.ingest_keys import ensure_pair
from tests.notifier.conftest import Notifier, Receiver, event, start_platform
from tests.notifier.test_breach_notices import breach_notice
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import eventually


async def test_bad_contacts_and_endpoints_get_a_clear_4xx_and_change_nothing(
    notifier: Notifier,
) -> None:
    organisation = str(uuid.uuid4())
    auth = notifier.auth(organisation)
    bad_contacts = [
        {"topics": ["breach"]},  # neither address nor user
        {"topics": ["breach"], "email": "dpo@gemeente.example\r\nBcc: all@example.com"},
        {"topics": ["breach"], "email": "not an address"},
        {"topics": ["gossip"], "email": "dpo@gemeente.example"},
        {"topics": [], "email": "dpo@gemeente.example"},
        {"topics": ["breach"], "email": "dpo@gemeente.example", "locale": "de"},
        {"topics": ["breach"], "email": "dpo@gemeente.example", "extra": 1},
    ]
    for body in bad_contacts:
        response = await notifier.client.post("/notifier/contacts", json=body, headers=auth)
        assert response.status_code == 422, (body, response.text)
    for url in ("ftp://hooks.example.com/x", "https://user:pw@hooks.example.com/x", "nonsense"):
        response = await notifier.client.post(
            "/notifier/endpoints", json={"url": url, "topics": ["breach"]}, headers=auth
        )
        assert response.status_code == 422, (url, response.text)
        assert response.json()["detail"]
    assert await notifier.platform.count("notifier", Contact) == 0
    member = notifier.auth(organisation, role=Role.member)
    refused = await notifier.client.post(
        "/notifier/contacts", json={"topics": ["breach"], "user_id": "u"}, headers=member
    )
    assert refused.status_code == 403
    anonymous = await notifier.client.get("/notifier/contacts")
    assert anonymous.status_code == 401


async def test_an_organisation_sees_and_removes_only_its_own_recipients(
    notifier: Notifier, receiver: Receiver
) -> None:
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    contact = await notifier.contact(theirs, ["breach"], email="dpo@elders.example")
    endpoint = await notifier.endpoint(theirs, receiver, ["breach"])
    await notifier.contact(mine, ["breach"], user_id="u-1")

    listed = await notifier.client.get("/notifier/contacts", headers=notifier.auth(mine))
    assert [c["user_id"] for c in listed.json()["items"]] == ["u-1"]
    for path in (f"/notifier/contacts/{contact['id']}", f"/notifier/endpoints/{endpoint['id']}"):
        response = await notifier.client.delete(path, headers=notifier.auth(mine))
        assert response.status_code == 404
    rotate = await notifier.client.post(
        f"/notifier/endpoints/{endpoint['id']}/rotate", headers=notifier.auth(mine)
    )
    assert rotate.status_code == 404
    removed = await notifier.client.delete(
        f"/notifier/contacts/{contact['id']}", headers=notifier.auth(theirs)
    )
    assert removed.status_code == 204
    await eventually(lambda: notifier.evidence(theirs, "dpa.notifier.contact.deleted.v1"))
    await eventually(lambda: notifier.evidence(mine, "dpa.notifier.recipient.listed.v1"))


async def test_a_malformed_event_is_rejected_with_a_reason_and_the_next_one_is_delivered(
    notifier: Notifier,
) -> None:
    controller = str(uuid.uuid4())
    await notifier.contact(controller, ["breach"], email="dpo@gemeente.example")
    good = event("dpa.agreements.breach_notice.issued.v1", controller, breach_notice(controller))
    broken = json.loads(good.to_json()) | {"id": str(uuid.uuid4())}
    del broken["data"]["authority_deadline"]
    connection = await nats.connect(notifier.platform.nats_url)
    with capture_logs() as logs:
        await connection.jetstream().publish(good.nats_subject, json.dumps(broken).encode())
        await connection.jetstream().publish(good.nats_subject, good.to_json())
        await connection.close()
        await eventually(lambda: _has_mail(notifier, "dpo@gemeente.example"))
    reasons = [e["reason"] for e in logs if e["event"] == "event.rejected"]
    assert any("payload does not match" in reason for reason in reasons)
    assert len(notifier.mail_to("dpo@gemeente.example")) == 1


@pytest.fixture
async def development_notifier(
    nats_server: NatsServer,
    database: Callable[[str], Database],
    tmp_path: Path,
    mail_sink: MailSink,
) -> AsyncIterator[Notifier]:
    """The notifier as `make run` starts it: environment development, with the sink's listing."""
    platform = start_platform(nats_server, database, tmp_path, mail_sink)
    platform.overrides["environment"] = "development"
    await platform.start("notifier", "audit")
    yield Notifier(platform, mail_sink)
    await platform.stop()


async def test_the_development_mail_sink_is_readable_through_the_api_and_as_files(
    development_notifier: Notifier,
) -> None:
    notifier = development_notifier
    organisation = str(uuid.uuid4())
    await notifier.contact(organisation, ["security"], email="admins@dorp.example", locale="en")
    ended = event(
        "dpa.identity.grant.expired.v1",
        organisation,
        GrantDecided(grant_id=uuid.uuid4(), operator_id=uuid.uuid4()),
        source="/dpa/identity",
    )
    await notifier.publish(ended)
    await eventually(lambda: _has_mail(notifier, "admins@dorp.example"))

    response = await notifier.client.get("/notifier/mail", headers=notifier.auth(organisation))
    [message] = response.json()["items"]
    assert message["to"] == "admins@dorp.example" and message["event_id"] == str(ended.id)
    assert "Supplier access: ended" in message["subject"]
    other = await notifier.client.get("/notifier/mail", headers=notifier.auth(str(uuid.uuid4())))
    assert other.json()["items"] == []
    files = list(notifier.sink.directory.glob("*.eml"))
    assert len(files) == 1 and str(ended.id).encode() in files[0].read_bytes()


async def test_the_mail_listing_never_shows_anyones_one_time_link(
    development_notifier: Notifier,
) -> None:
    """An organisation's admin read a colleague's invitation or reset link in the listing, and
    could take over the account before its owner. The link is now left out; its recipient
    reads it in their own mailbox (the sink's file)."""
    notifier = development_notifier
    organisation = str(uuid.uuid4())
    secret = "Zk3-secret_one-time_value"
    mail = EmailMessage()
    mail["To"] = "colleague@dorp.example"
    mail["Subject"] = "Reset your password"
    mail["X-Pactum-Organisation"] = organisation
    mail["X-Pactum-Event-Id"] = str(uuid.uuid4())
    mail.set_content(f"Choose a new password: https://pactum.test/account/reset#token={secret}\n")
    notifier.sink.directory.mkdir(parents=True, exist_ok=True)
    (notifier.sink.directory / "0001-link.eml").write_bytes(bytes(mail))

    response = await notifier.client.get("/notifier/mail", headers=notifier.auth(organisation))
    [listed] = response.json()["items"]
    assert secret not in response.text
    assert "https://pactum.test/account/reset#token=(hidden" in listed["text"]
    own = message_from_bytes(
        (notifier.sink.directory / "0001-link.eml").read_bytes(), policy=default
    )
    body = own.get_body(preferencelist=("plain",))
    assert body is not None and secret in body.get_content()  # the recipient's mailbox keeps it


@pytest.mark.parametrize("environment", ["production", "test"])
async def test_the_mail_listing_exists_only_in_development(
    nats_server: NatsServer,
    database: Callable[[str], Database],
    tmp_path: Path,
    mail_sink: MailSink,
    environment: str,
) -> None:
    platform = start_platform(nats_server, database, tmp_path, mail_sink)
    platform.overrides["environment"] = environment
    # In production a service starts only with audit's ingest key to seal names to (written by
    # audit on its first start; here, without audit, by the test).
    ingest = AuditSettings(var_dir=platform.var_dir)
    ensure_pair(ingest.ingest_key_path, ingest.ingest_public_key_path)
    await platform.start("notifier")
    try:
        notifier = Notifier(platform, mail_sink)
        organisation = str(uuid.uuid4())
        response = await notifier.client.get("/notifier/mail", headers=notifier.auth(organisation))
        assert response.status_code == 404
        assert "/notifier/mail" not in platform.apps["notifier"].openapi()["paths"]
    finally:
        await platform.stop()


async def _has_mail(notifier: Notifier, address: str) -> bool:
    return bool(notifier.mail_to(address))


async def test_a_user_reads_and_marks_their_own_inbox_and_no_one_elses__USE_3(
    notifier: Notifier,
) -> None:
    controller = str(uuid.uuid4())
    await notifier.contact(controller, ["breach"], user_id="u-dpo")
    data = breach_notice(controller)
    await notifier.publish(event("dpa.agreements.breach_notice.issued.v1", controller, data))
    await eventually(lambda: notifier.inbox(user_id="u-dpo"))
    mine = notifier.auth(controller, "u-dpo", role=Role.member)

    inbox = await notifier.client.get("/notifier/inbox?unread=true", headers=mine)
    [item] = inbox.json()["items"]
    assert item["notice"] == "breach" and item["thread_id"] == str(data.notice_id)
    someone_else = notifier.auth(controller, "u-other", role=Role.member)
    assert (await notifier.client.get("/notifier/inbox", headers=someone_else)).json() == {
        "next_cursor": None,
        "items": [],
    }
    stolen = await notifier.client.post(f"/notifier/inbox/{item['id']}/read", headers=someone_else)
    assert stolen.status_code == 404
    read = await notifier.client.post(f"/notifier/inbox/{item['id']}/read", headers=mine)
    assert read.json()["read_at"] is not None
    unread = await notifier.client.get("/notifier/inbox?unread=true", headers=mine)
    assert unread.json()["items"] == []
    await eventually(lambda: notifier.evidence(controller, "dpa.notifier.inbox_item.updated.v1"))
