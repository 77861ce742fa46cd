"""Least privilege on the bus (TOM-T5): each service logs in as its own NATS user, on a real
nats-server configured from shared/bus_access.py, and can do its own work and nothing more."""

import asyncio
import json
import secrets
import ssl
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import ConsumerConfig

from deploy.nats_certificates import issue
from services.agreements.directory import store as directory
from shared.broker import stream_config
from shared.bus_access import (
    DURABLES,
    PARTITIONS_STREAM,
    bus_users,
    inbox_prefix,
    server_users,
)
from shared.events import Actor, ActorType, new_event
from shared.events.contracts.agreements import AgreementViewed
from shared.events.contracts.identity import SessionRevoked
from shared.revocation import RevocationList, listen
from shared.settings import ServiceSettings
from tests.agreements.organisations import organisation_created
from tests.support.events import activation_consumed
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually

SERVICES = ("identity", "agreements", "audit", "notifier")


class Login:
    """One NATS user's connection, with the permission errors the server sent it."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.connection: Client | None = None

    async def open(self, server: NatsServer, user: str, password: str) -> Client:
        async def on_error(error: Exception) -> None:
            self.errors.append(str(error))

        self.connection = await nats.connect(
            server.url,
            user=user,
            password=password,
            inbox_prefix=inbox_prefix(user),
            error_cb=on_error,
            allow_reconnect=False,
        )
        return self.connection

    async def refused(self, subject: str) -> bool:
        """Whether the server reported a permissions violation on ``subject``."""
        wanted = f'permissions violation for publish to "{subject}"'.lower()
        for _ in range(100):
            if any(wanted in error.lower() for error in self.errors):
                return True
            await asyncio.sleep(0.02)
        return False


@pytest.fixture
def passwords() -> dict[str, str]:
    return {user: secrets.token_hex(16) for user in bus_users()}


@pytest.fixture
def bus(tmp_path: Path, passwords: dict[str, str]) -> Iterator[NatsServer]:
    """A nats-server with one user per service and the permissions of shared/bus_access.py."""
    server = NatsServer(tmp_path / "nats", users=server_users(passwords)).start()
    yield server
    server.stop()


@pytest.fixture
async def logins(
    bus: NatsServer, passwords: dict[str, str], tmp_path: Path
) -> AsyncIterator[dict[str, Login]]:
    """Every service's login, with the stream created by its admin (audit)."""
    opened = {user: Login() for user in SERVICES}
    for user, login in opened.items():
        await login.open(bus, user, passwords[user])
    audit = opened["audit"].connection
    assert audit is not None
    await audit.jetstream().add_stream(stream_config(ServiceSettings(var_dir=tmp_path)))
    yield opened
    for login in opened.values():
        if login.connection is not None:
            await login.connection.close()


async def test_a_service_cannot_publish_another_services_subjects__TOM_T5(
    logins: dict[str, Login],
) -> None:
    tenant = str(uuid.uuid4())
    audit = logins["audit"].connection
    assert audit is not None
    for publisher, login in logins.items():
        connection = login.connection
        assert connection is not None
        for owner in SERVICES:
            if owner == publisher:
                continue
            subject = f"dpa.{tenant}.{owner}.session.revoked"
            await connection.publish(subject, b'{"forged": true}')
            await connection.flush()
            assert await login.refused(subject), (publisher, owner, login.errors)
        # Its own subjects stay open to it: the stream stores what it publishes there.
        ack = await connection.jetstream().publish(f"dpa.{tenant}.{publisher}.record.viewed", b"{}")
        assert ack.stream == "DPA_EVENTS"

    info = await audit.jetstream().stream_info("DPA_EVENTS")
    assert info.state.messages == len(SERVICES)  # one own event each, no forged one


async def test_agreements_cannot_read_or_redirect_the_audit_durable__TOM_T5(
    logins: dict[str, Login],
) -> None:
    audit, agreements = logins["audit"], logins["agreements"]
    assert audit.connection is not None and agreements.connection is not None
    audit_js = audit.connection.jetstream()
    await audit_js.pull_subscribe(
        "dpa.>", durable="audit", stream="DPA_EVENTS", config=ConsumerConfig(ack_wait=30)
    )
    tenant = str(uuid.uuid4())
    await agreements.connection.jetstream().publish(f"dpa.{tenant}.agreements.x.viewed", b"{}")
    connection = agreements.connection

    # Pull the audit durable's messages, or look it up.
    for subject in (
        "$JS.API.CONSUMER.MSG.NEXT.DPA_EVENTS.audit",
        "$JS.API.CONSUMER.INFO.DPA_EVENTS.audit",
    ):
        await connection.publish(subject, b'{"batch": 10}', reply=f"{inbox_prefix('agreements')}.x")
        assert await agreements.refused(subject), agreements.errors
    # Re-create it under a filter of its own choosing (JetStream would take that as an update
    # that stops audit from seeing anything but revocations), in both forms of the request.
    redirect = {
        "stream_name": "DPA_EVENTS",
        "config": {"name": "audit", "filter_subject": "dpa.*.identity.session.revoked"},
    }
    for subject in (
        "$JS.API.CONSUMER.CREATE.DPA_EVENTS.audit.dpa.*.identity.session.revoked",
        "$JS.API.CONSUMER.CREATE.DPA_EVENTS",
        "$JS.API.CONSUMER.DURABLE.CREATE.DPA_EVENTS.audit",
        "$JS.API.STREAM.UPDATE.DPA_EVENTS",
    ):
        await connection.publish(subject, json.dumps(redirect).encode())
        assert await agreements.refused(subject), agreements.errors
    # Listen in on audit's deliveries, or on the events themselves.
    for subject in (f"{inbox_prefix('audit')}.>", "_INBOX.>", "dpa.>"):
        await connection.subscribe(subject)
        await connection.flush()
    for subject in (f"{inbox_prefix('audit')}.>", "_INBOX.>", "dpa.>"):
        wanted = f'permissions violation for subscription to "{subject}"'.lower()
        await eventually(_async(lambda w=wanted: any(w in e.lower() for e in agreements.errors)))

    info = await audit_js.consumer_info("DPA_EVENTS", "audit")
    assert info.config.filter_subject == "dpa.>"
    assert info.num_pending == 1  # still there for audit, delivered to no one else


def _async(check: Any) -> Any:
    async def run() -> Any:
        return check()

    return run


async def test_every_service_does_its_work_under_its_own_user__TOM_T5_ARCH_2(
    bus: NatsServer, passwords: dict[str, str], database: Any, tmp_path: Path
) -> None:
    platform = Platform(
        nats_url=bus.url, database=database, var_dir=tmp_path / "var", nats_passwords=passwords
    )
    await platform.start("identity", "agreements", "audit", "notifier")
    identity = Login()
    try:
        connection = await identity.open(bus, "identity", passwords["identity"])
        js = connection.jetstream()
        organisation = str(uuid.uuid4())
        created = organisation_created(organisation, "controller")
        await js.publish(created.nats_subject, created.to_json())
        sessions = platform.runtime("agreements").sessions

        async def known() -> object:
            async with sessions() as session:
                return await directory.kind_of(session, uuid.UUID(organisation))

        await eventually(known)  # agreements' durable consumer read identity's event

        answer = await platform.clients["agreements"].post(
            "/agreements", json={"title": "UTOPIA x iBeauty"}, headers=platform.auth(organisation)
        )
        assert answer.status_code == 201, answer.text

        # Agreements published it; audit and the notifier consumed it.
        await activation_consumed(platform, organisation)

        ended = str(uuid.uuid4())
        revoked = new_event(
            source="/dpa/identity",
            type="dpa.identity.session.revoked.v1",
            tenant=organisation,
            actor=Actor(id="user-1", type=ActorType.user, organisation_id=organisation),
            data=SessionRevoked(user_id=uuid.uuid4(), session_ids=[ended], reason="logout"),
        )
        await js.publish(revoked.nats_subject, revoked.to_json())

        async def refused_everywhere() -> bool:  # every service's revocation listener
            return all(
                platform.runtime(service).revocations.is_revoked(session_id=ended, grant_id=None)
                for service in SERVICES
            )

        await eventually(refused_everywhere)
        assert not identity.errors
    finally:
        if identity.connection is not None:
            await identity.connection.close()
        await platform.stop()
    log = (bus.store_dir / "nats-server.log").read_text()
    assert "Violation" not in log, [line for line in log.splitlines() if "Violation" in line]


async def test_audit_reads_its_partitions_under_its_own_user_and_no_one_else_can__TOM_T5(
    bus: NatsServer, passwords: dict[str, str], database: Any, tmp_path: Path
) -> None:
    """PACTUM_AUDIT_PARTITIONS=2: audit creates the partitions' stream and its durables and
    consumes them as its own user; agreements can neither read a partition nor reshape it."""
    platform = Platform(
        nats_url=bus.url, database=database, var_dir=tmp_path / "var", nats_passwords=passwords
    )
    await platform.start("audit", partitions=2)
    agreements = Login()
    try:
        connection = await agreements.open(bus, "agreements", passwords["agreements"])
        viewed = new_event(
            source="/dpa/agreements",
            type="dpa.agreements.agreement.viewed.v1",
            tenant=(organisation := str(uuid.uuid4())),
            actor=Actor(id="user-1", type=ActorType.user, organisation_id=organisation),
            data=AgreementViewed(agreement_id=uuid.uuid4(), fields=["title"]),
        )
        await connection.jetstream().publish(viewed.nats_subject, viewed.to_json())

        async def recorded() -> object:
            return await platform.audit_entries(organisation_id=organisation) or None

        await eventually(recorded)
        for subject in (
            f"$JS.API.CONSUMER.MSG.NEXT.{PARTITIONS_STREAM}.audit-partition-0",
            f"$JS.API.CONSUMER.CREATE.{PARTITIONS_STREAM}.audit-partition-0.audit.0.>",
            f"$JS.API.STREAM.UPDATE.{PARTITIONS_STREAM}",
        ):
            await connection.publish(subject, b"{}", reply=f"{inbox_prefix('agreements')}.x")
            assert await agreements.refused(subject), agreements.errors
    finally:
        if agreements.connection is not None:
            await agreements.connection.close()
        await platform.stop()
    log = (bus.store_dir / "nats-server.log").read_text()
    audit_violations = [line for line in log.splitlines() if "Violation" in line and "audit" in line
                        and "agreements" not in line]  # fmt: skip
    assert not audit_violations


def test_the_permission_matrix_names_every_durable_consumer_and_its_filter__TOM_T5() -> None:
    """A durable missing here could not be created under the services' NATS users, and one not
    listed would escape the guard that keeps others from redirecting it."""
    from services.agreements.commitments import consumers as staff
    from services.agreements.directory import consumers as organisations
    from services.audit import consumers as audit
    from services.notifier import consumers as notifier
    from shared.events.subjects import STREAM_SUBJECTS

    assert DURABLES == {
        "identity": {},
        "agreements": {
            staff.DURABLE: staff.SUBJECTS,
            organisations.ORGANISATIONS_DURABLE: organisations.ORGANISATIONS_SUBJECTS,
        },
        "audit": {audit.DURABLE: STREAM_SUBJECTS},
        "notifier": {notifier.DURABLE: STREAM_SUBJECTS},
    }


async def test_a_service_reaches_nats_over_tls_as_its_own_user__TOM_T7_TOM_T5(
    tmp_path: Path, passwords: dict[str, str], database: Any
) -> None:
    """The compose shape: the server presents a certificate of the platform's own CA, the service
    verifies it (``PACTUM_NATS_CA_FILE``) and logs in; a client without that CA is refused."""
    files = issue(tmp_path / "tls", ("localhost", "127.0.0.1"))
    server = NatsServer(
        tmp_path / "nats", users=server_users(passwords), tls=(files["certificate"], files["key"])
    ).start()
    platform = Platform(
        nats_url=server.url,
        database=database,
        var_dir=tmp_path / "var",
        nats_passwords=passwords,
        nats_ca_file=files["ca"],
    )
    try:
        assert server.url.startswith("tls://")
        await platform.start("audit")
        assert (await platform.clients["audit"].get("/readyz")).json()["checks"]["nats"] is True
        with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
            await nats.connect(
                server.url,
                user="audit",
                password=passwords["audit"],
                tls=ssl.create_default_context(),
                allow_reconnect=False,
                max_reconnect_attempts=0,
            )
        with pytest.raises(Exception, match=r"(?i)authorization"):
            await nats.connect(
                server.url,
                user="audit",
                password="not-the-password",
                tls=ssl.create_default_context(cafile=str(files["ca"])),
                allow_reconnect=False,
                max_reconnect_attempts=0,
            )
    finally:
        await platform.stop()
        server.stop()


async def test_revocations_still_arrive_after_nats_restarts_under_the_services_user__TOM_T5(
    bus: NatsServer, passwords: dict[str, str], tmp_path: Path
) -> None:
    """The revocation listener's ordered consumers live in memory on the server: after a restart
    nats-py creates them again, each under a new name, through the one form of the request a
    service's user may send, from the next sequence (shared/revocation.py). Before, the re-created
    consumer kept its start time beside the sequence, the server refused it, and a service heard
    no revocation until it restarted."""
    audit = Login()
    await audit.open(bus, "audit", passwords["audit"])
    assert audit.connection is not None
    await audit.connection.jetstream().add_stream(stream_config(ServiceSettings(var_dir=tmp_path)))
    await audit.connection.close()
    errors: list[str] = []

    async def on_error(error: Exception) -> None:
        errors.append(str(error))

    connection = await nats.connect(
        bus.url,
        user="agreements",
        password=passwords["agreements"],
        inbox_prefix=inbox_prefix("agreements"),
        error_cb=on_error,
        reconnect_time_wait=0.2,
        max_reconnect_attempts=-1,
    )
    revocations = RevocationList()
    subscriptions = await listen(connection, stream="DPA_EVENTS", revocations=revocations)
    try:
        bus.stop()
        bus.start()
        await eventually(_async(lambda: connection.is_connected), within=20)
        identity = Login()
        await identity.open(bus, "identity", passwords["identity"])
        assert identity.connection is not None
        ended = str(uuid.uuid4())
        revoked = new_event(
            source="/dpa/identity",
            type="dpa.identity.session.revoked.v1",
            tenant="platform",
            actor=Actor.system("identity"),
            data=SessionRevoked(user_id=uuid.uuid4(), session_ids=[ended], reason="admin"),
        )
        js = identity.connection.jetstream()

        async def published() -> bool:  # JetStream may still be recovering its store
            try:
                await js.publish(revoked.nats_subject, revoked.to_json(), timeout=1)
            except nats.errors.TimeoutError:
                return False
            return True

        await eventually(published, within=20)
        await identity.connection.close()
        await eventually(
            _async(lambda: revocations.is_revoked(session_id=ended, grant_id=None)), within=30
        )
    finally:
        for subscription in subscriptions:
            await subscription.unsubscribe()
        await connection.close()
    assert not [error for error in errors if "violation" in error.lower()], errors
