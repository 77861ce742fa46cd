"""Consumers survive bad messages and crashes: nothing is lost, nothing is stored twice."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from structlog.testing import capture_logs

from shared.events import Actor, new_event
from shared.events.contracts.agreements import AgreementCreated, AgreementStatusChanged
from tests.support.nats import NatsServer, free_port
from tests.support.platform import Platform, eventually


def _created_event(organisation: str) -> tuple[str, bytes, str]:
    event = new_event(
        source="/dpa/agreements",
        type="dpa.agreements.agreement.created.v1",
        tenant=organisation,
        actor=Actor(id="user-1", organisation_id=organisation),
        data=AgreementCreated(agreement_id=uuid.uuid4()),
    )
    return event.nats_subject, event.to_json(), str(event.id)


async def test_malformed_or_forged_events_are_rejected_with_a_reason_consumers_go_on__ARCH_2_TOM_T5(
    platform: Platform,
) -> None:
    organisation = str(uuid.uuid4())
    subject, valid, _ = _activated_event(organisation)
    envelope = json.loads(valid)
    unknown = envelope | {"id": str(uuid.uuid4()), "type": "dpa.agreements.agreement.exploded.v1"}
    unregistered = envelope | {
        "id": str(uuid.uuid4()),
        "type": "dpa.agreements.agreement.deleted.v9",
    }
    bad_payload = envelope | {"id": str(uuid.uuid4()), "data": {"agreement_id": "not-a-uuid"}}
    spoofed_tenant = envelope | {"id": str(uuid.uuid4()), "tenantid": str(uuid.uuid4())}
    # Another service's event on agreements' subject: its source gives it away (TOM-T5).
    forged_source = envelope | {"id": str(uuid.uuid4()), "source": "/dpa/notifier"}
    bad = {
        "not JSON": b"\xff{not json",
        "not a CloudEvents envelope": json.dumps({"hello": "world"}).encode(),
        "unknown event type 'dpa.agreements.agreement.deleted.v9'": json.dumps(
            unregistered
        ).encode(),
        "unknown event type 'dpa.agreements.agreement.exploded.v1'": json.dumps(unknown).encode(),
        "payload does not match": json.dumps(bad_payload).encode(),
        "does not match the envelope": json.dumps(spoofed_tenant).encode(),
        "source '/dpa/notifier' does not match the subject's service": json.dumps(
            forged_source
        ).encode(),
    }
    connection = await nats.connect(platform.nats_url)
    js = connection.jetstream()
    with capture_logs() as logs:
        for body in bad.values():
            await js.publish(subject, body)
        await js.publish(subject, valid)
        await connection.close()
        await eventually(lambda: platform.audit_entries(organisation_id=organisation))
        await eventually(lambda: platform.receipts(organisation_id=organisation))

    assert (
        len(await platform.audit_entries(event_type="dpa.agreements.agreement.activated.v1")) == 1
    )
    assert len(await platform.receipts()) == 1
    for consumer in ("audit", "notifier"):
        reasons = [
            entry["reason"]
            for entry in logs
            if entry["event"] == "event.rejected" and entry["consumer"] == consumer
        ]
        assert len(reasons) == len(bad), reasons
        for expected in bad:
            assert any(expected in reason for reason in reasons), (expected, reasons)


def _start_audit_process(nats_url: str, var_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "PACTUM_NATS_URL": nats_url,
        "PACTUM_VAR_DIR": str(var_dir),
        "PACTUM_AUDIT_PORT": str(port),
        "PACTUM_CONSUMER_ACK_WAIT_SECONDS": "2",
        "PACTUM_CONSUMER_BATCH_SIZE": "50",
        "PACTUM_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.audit"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stored(database: Path) -> tuple[int, int]:
    if not database.exists():
        return 0, 0
    with sqlite3.connect(database, timeout=5) as connection:
        try:
            total, distinct = connection.execute(
                "SELECT count(*), count(DISTINCT event_id) FROM audit_entry"
            ).fetchone()
        except sqlite3.OperationalError:  # the table is not there yet
            return 0, 0
    return int(total), int(distinct)


@pytest.mark.slow
async def test_consumer_killed_mid_batch_loses_nothing_after_restart__ARCH_2(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    var_dir = tmp_path / "var"
    database = var_dir / "audit.db"
    organisation = str(uuid.uuid4())
    audit = _start_audit_process(nats_server.url, var_dir, free_port())
    try:
        await eventually(lambda: _async(database.exists()), within=30)
        connection = await nats.connect(nats_server.url)
        js = connection.jetstream()
        await eventually(lambda: _stream_exists(js), within=30)
        total = 1500
        for _ in range(total):
            subject, body, event_id = _created_event(organisation)
            await js.publish(subject, body, headers={"Nats-Msg-Id": event_id})
        await connection.close()

        await eventually(lambda: _async(_stored(database)[0] > 0), interval=0.005)
        audit.send_signal(signal.SIGKILL)  # mid-batch: some fetched messages are not yet acked
        audit.wait(timeout=10)
        stored_at_kill = _stored(database)[0]
        assert stored_at_kill < total, "the consumer finished before it could be killed"

        audit = _start_audit_process(nats_server.url, var_dir, free_port())
        await eventually(lambda: _async(_stored(database)[0] >= total), within=60)
        assert _stored(database) == (total, total)
    finally:
        audit.terminate()
        audit.wait(timeout=10)


async def _async(value: object) -> object:
    return value


async def _stream_exists(js: object) -> bool:
    try:
        await js.stream_info("DPA_EVENTS")  # type: ignore[attr-defined]
    except Exception:
        return False
    return True


def test_envelope_time_is_utc() -> None:
    _, body, _ = _created_event(str(uuid.uuid4()))
    assert datetime.fromisoformat(json.loads(body)["time"]).tzinfo == UTC


def _activated_event(organisation: str) -> tuple[str, bytes, str]:
    """An event both audit and the notifier take (the notifier plans a notice for it)."""
    subject, body, event_id = _created_event(organisation)
    activated = AgreementStatusChanged(agreement_id=uuid.uuid4(), status="active", version=1)
    envelope = json.loads(body) | {
        "type": "dpa.agreements.agreement.activated.v1",
        "data": activated.model_dump(mode="json"),
    }
    return subject.replace(".created", ".activated"), json.dumps(envelope).encode(), event_id
