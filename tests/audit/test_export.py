"""Export (TOM-T4): streamed JSON Lines and CSV for any filter, with the signed checkpoint; the
offline verifier needs nothing but the file (and the pinned key) and names any tampered line."""

import csv
import io
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from services.audit.verify import verify_export
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.platform import Platform, eventually


async def _export(audit: Platform, organisation: str, query: str = "") -> list[str]:
    response = await audit.clients["audit"].get(
        f"/audit/export?{query}", headers=reader(audit, organisation)
    )
    assert response.status_code == 200, response.text
    return response.text.splitlines()


async def _key(audit: Platform) -> str:
    key: str = (await audit.clients["audit"].get("/audit/checkpoint-key")).json()["public_key"]
    return key


async def test_complete_export_verifies_offline_with_the_pinned_key__TOM_T4_DPA_11(
    audit: Platform, producer: Producer, tmp_path: Path
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(*(event(organisation, client_address="198.51.100.7") for _ in range(40)))
    await entries_of(audit, organisation, 40)
    lines = await _export(audit, organisation)
    header = json.loads(lines[0])
    assert header["complete"] is True and header["checkpoint"]["size"] == 40
    assert len(lines) == 41
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = subprocess.run(  # noqa: ASYNC221 (the offline verifier is its own process)
        [
            sys.executable,
            "-m",
            "services.audit.verify",
            str(path),
            "--public-key",
            await _key(audit),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["valid"] is True
    exported = await eventually(
        lambda: audit.audit_entries(
            organisation_id=organisation, event_type="dpa.audit.log.exported.v1"
        )
    )
    assert exported[0].data == {"filters": {}, "format": "jsonl", "tree_size": 40}


def _edit(field: str, value: object) -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        entry = json.loads(lines[1 + 7])
        entry["leaf"][field] = value
        return [*lines[:8], json.dumps(entry), *lines[9:]]

    return change


@pytest.mark.parametrize(
    ("tampering", "first_bad"),
    [
        (_edit("actor_id", "someone-else"), 7),
        (_edit("data", {"agreement_id": "x"}), 7),
        (lambda lines: [*lines[:8], *lines[9:]], 7),  # deleted
        (lambda lines: [*lines[:8], lines[3], *lines[8:]], 7),  # inserted (a copy)
        (lambda lines: [*lines[:8], lines[9], lines[8], *lines[10:]], 7),  # reordered
        (lambda lines: lines[:8], 7),  # truncated
    ],
    ids=["modified", "modified-data", "deleted", "inserted", "reordered", "truncated"],
)
async def test_offline_verifier_names_the_first_tampered_line__ASVS_16_4_2(
    audit: Platform,
    producer: Producer,
    tampering: Callable[[list[str]], list[str]],
    first_bad: int,
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(*(event(organisation) for _ in range(12)))
    await entries_of(audit, organisation, 12)
    lines = await _export(audit, organisation)
    key = await _key(audit)
    assert verify_export(lines, public_key=key).valid
    report = verify_export(tampering(lines), public_key=key)
    assert not report.valid
    assert report.first_bad_position == first_bad, report.problem


async def test_an_export_signed_by_another_key_is_refused__DPA_11(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(event(organisation))
    await entries_of(audit, organisation, 1)
    lines = await _export(audit, organisation)
    header = json.loads(lines[0])
    forged_key = "A" * 43 + "="
    assert not verify_export(lines, public_key=forged_key).valid
    header["checkpoint"]["root"] = "00" * 32
    header["checkpoints"][-1]["root"] = "00" * 32
    assert not verify_export([json.dumps(header), *lines[1:]], public_key=await _key(audit)).valid


async def test_filtered_export_carries_an_inclusion_proof_per_entry__TOM_T4_TOM_T3b(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(*(event(organisation, actor=f"user-{i % 3}") for i in range(30)))
    await entries_of(audit, organisation, 30)
    lines = await _export(audit, organisation, "actor=user-1")
    header, entries = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    assert header["complete"] is False and header["filters"] == {"actor": "user-1"}
    assert len(entries) == 10 and {entry["leaf"]["actor_id"] for entry in entries} == {"user-1"}
    assert all(entry["proof"] for entry in entries)
    key = await _key(audit)
    assert verify_export(lines, public_key=key).valid
    changed = entries[1] | {"leaf": entries[1]["leaf"] | {"outcome": "denied"}}
    report = verify_export([*lines[:2], json.dumps(changed), *lines[3:]], public_key=key)
    assert not report.valid and report.first_bad_position == entries[1]["leaf"]["log_index"]


async def test_csv_export_has_every_column_and_defuses_formulas__TOM_T4(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(
        event(organisation, subject="=HYPERLINK('http://evil')"), event(organisation)
    )
    await entries_of(audit, organisation, 2)
    response = await audit.clients["audit"].get(
        "/audit/export?format=csv", headers=reader(audit, organisation)
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert json.loads(response.headers["x-audit-checkpoint"])["size"] == 2
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2
    assert rows[0]["subject"] == "'=HYPERLINK('http://evil')"
    assert rows[0]["leaf_hash"] and rows[0]["event_type"] == "dpa.agreements.agreement.viewed.v1"
    bad = await audit.clients["audit"].get(
        "/audit/export?format=xml", headers=reader(audit, organisation)
    )
    assert bad.status_code == 422


def test_the_offline_verifier_refuses_a_file_that_is_not_an_export(tmp_path: Path) -> None:
    path = tmp_path / "not-an-export.jsonl"
    path.write_text('{"hello": "world"}\n')
    result = subprocess.run(
        [sys.executable, "-m", "services.audit.verify", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "header" in json.loads(result.stdout)["error"]
