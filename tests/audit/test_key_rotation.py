"""Checkpoint key rotation: the retired key's public half stays published with its validity
period, and every checkpoint verifies (through the API and offline) against the key its
``key_id`` names; a checkpoint that another key signed, or that a retired key signed after its
retirement, fails and names the position (DPA-11, TOM-T4)."""

import base64
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pactum_verify.export import pinned_keys, verify_export
from pactum_verify.keys import checkpoint_note, key_id_of
from sqlalchemy import insert

from services.audit.checkpoints import ring_of, rotate
from services.audit.settings import AuditSettings
from services.audit.store import AuditCheckpoint
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.platform import Platform


def _key_file(audit: Platform) -> Path:
    settings = audit.runtime("audit").settings
    assert isinstance(settings, AuditSettings)
    return settings.checkpoint_key_path


async def _sign_now(audit: Platform, organisation: str) -> dict[str, Any]:
    response = await audit.clients["audit"].post(
        "/audit/checkpoints", headers=reader(audit, organisation)
    )
    assert response.status_code == 201, response.text
    signed: dict[str, Any] = response.json()
    return signed


async def _verification(audit: Platform, organisation: str) -> dict[str, Any]:
    response = await audit.clients["audit"].get(
        "/audit/verification", headers=reader(audit, organisation)
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def _export(audit: Platform, organisation: str) -> list[str]:
    response = await audit.clients["audit"].get(
        "/audit/export", headers=reader(audit, organisation)
    )
    assert response.status_code == 200, response.text
    return response.text.splitlines()


async def _published(audit: Platform) -> dict[str, Any]:
    document: dict[str, Any] = (await audit.clients["audit"].get("/audit/checkpoint-key")).json()
    return document


async def _forge(
    audit: Platform,
    of: dict[str, Any],
    key: Ed25519PrivateKey,
    *,
    key_id: str | None = None,
    signed_at: str | None = None,
) -> None:
    """Add a checkpoint of the same tree head, signed by ``key`` (an INSERT: the table is
    append-only, but someone with database access can add rows)."""
    when = signed_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    note = checkpoint_note(
        organisation_id=of["organisation_id"],
        size=of["size"],
        root=bytes.fromhex(of["root"]),
        signed_at=when,
    )
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    row = {
        "organisation_id": of["organisation_id"],
        "size": of["size"],
        "root": of["root"],
        "signed_at": when,
        "key_id": key_id or key_id_of(raw),
        "signature": base64.b64encode(key.sign(note)).decode(),
    }
    async with audit.runtime("audit").engine.begin() as connection:
        await connection.execute(insert(AuditCheckpoint).values(**row))


def _offline(path: Path, *keys: str) -> tuple[int, dict[str, Any]]:
    pins = [part for key in keys for part in ("--public-key", key)]
    result = subprocess.run(
        [sys.executable, "-m", "pactum_verify", "export", str(path), *pins],
        capture_output=True,
        text=True,
        check=False,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return result.returncode, report


async def _rotated_log(audit: Platform, producer: Producer) -> tuple[str, dict[str, Any]]:
    """An organisation with 5 entries signed by the first key, then 3 more signed by the next."""
    organisation = str(uuid.uuid4())
    await producer.send(*(event(organisation) for _ in range(5)))
    await entries_of(audit, organisation, 5)
    before = await _sign_now(audit, organisation)
    rotate(_key_file(audit))
    await producer.send(*(event(organisation) for _ in range(3)))
    await entries_of(audit, organisation, 8)
    after = await _sign_now(audit, organisation)
    assert (before["size"], after["size"]) == (5, 8)
    assert before["key_id"] != after["key_id"]
    return organisation, before


async def test_checkpoints_before_and_after_a_rotation_all_verify__DPA_11_TOM_T4(
    audit: Platform, producer: Producer, tmp_path: Path
) -> None:
    organisation, before = await _rotated_log(audit, producer)

    published = await _published(audit)
    retired, current = published["keys"]
    assert retired["key_id"] == before["key_id"] and retired["status"] == "retired"
    assert retired["retired_at"] > before["signed_at"]
    assert current["status"] == "current" and current["retired_at"] is None
    assert current["valid_from"] == retired["retired_at"]
    assert (published["key_id"], published["public_key"]) == (
        current["key_id"],
        current["public_key"],
    )
    assert (ring_of(_key_file(audit)) / f"{retired['key_id']}.json").is_file()

    assert (await _verification(audit, organisation))["valid"] is True

    lines = await _export(audit, organisation)
    header = json.loads(lines[0])
    assert {key["key_id"] for key in header["keys"]} == {retired["key_id"], current["key_id"]}
    assert verify_export(lines, public_key=pinned_keys([json.dumps(published)])).valid
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, report = _offline(path, json.dumps(published))
    assert (code, report["valid"]) == (0, True), report
    code, report = _offline(path, retired["public_key"], current["public_key"])
    assert (code, report["valid"]) == (0, True), report

    # Pinning only the current key: the first checkpoint names a key the verifier does not know.
    code, report = _offline(path, current["public_key"])
    assert code == 1
    assert report["first_bad_position"] == 0
    assert "unknown key" in report["problem"]


async def test_a_checkpoint_signed_with_a_wrong_key_fails_naming_its_position__DPA_11(
    audit: Platform, producer: Producer, tmp_path: Path
) -> None:
    organisation, _ = await _rotated_log(audit, producer)
    latest = await _sign_now(audit, organisation)
    published = await _published(audit)
    await _forge(audit, latest, Ed25519PrivateKey.generate(), key_id=latest["key_id"])

    report = await _verification(audit, organisation)
    assert report["valid"] is False
    assert report["first_bad_position"] == 5  # the first entry beyond the size-5 checkpoint
    assert "size 8 is not validly signed" in report["problem"]

    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(await _export(audit, organisation)) + "\n")
    code, offline = _offline(path, json.dumps(published))
    assert code == 1
    assert (offline["first_bad_position"], offline["problem"]) == (5, report["problem"])


async def test_an_exported_checkpoint_re_signed_with_a_wrong_key_fails_offline__TOM_T4(
    audit: Platform, producer: Producer, tmp_path: Path
) -> None:
    organisation, before = await _rotated_log(audit, producer)
    published = await _published(audit)
    lines = await _export(audit, organisation)
    header = json.loads(lines[0])
    first = header["checkpoints"][0]
    assert first["size"] == 5 and first["key_id"] == before["key_id"]
    note = checkpoint_note(
        organisation_id=organisation,
        size=5,
        root=bytes.fromhex(first["root"]),
        signed_at=first["signed_at"],
    )
    first["signature"] = base64.b64encode(Ed25519PrivateKey.generate().sign(note)).decode()
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")

    code, report = _offline(path, json.dumps(published))
    assert code == 1
    assert report["first_bad_position"] == 0
    assert "size 5 is not validly signed" in report["problem"]


async def test_a_checkpoint_of_an_unknown_key_fails_naming_its_position__DPA_11(
    audit: Platform, producer: Producer
) -> None:
    organisation, _ = await _rotated_log(audit, producer)
    latest = await _sign_now(audit, organisation)
    await _forge(audit, latest, Ed25519PrivateKey.generate())

    report = await _verification(audit, organisation)
    assert report["valid"] is False
    assert report["first_bad_position"] == 5
    assert "unknown key" in report["problem"]


async def test_a_retired_key_signing_after_its_retirement_fails__DPA_11(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(*(event(organisation) for _ in range(4)))
    await entries_of(audit, organisation, 4)
    signed = await _sign_now(audit, organisation)
    key_file = _key_file(audit)
    stolen = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    assert isinstance(stolen, Ed25519PrivateKey)
    retired, _ = rotate(key_file)
    assert retired.retired_at is not None
    later = datetime.strptime(retired.retired_at, "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(seconds=1)
    await _forge(audit, signed, stolen, signed_at=later.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))

    report = await _verification(audit, organisation)
    assert report["valid"] is False
    assert report["first_bad_position"] == 0  # the first entry the forged checkpoint signs
    assert f"signed by key {retired.key_id} after its retirement" in report["problem"]
