"""The offline verifier folds large exports in bulk and still names the first bad entry exactly
as checking one entry at a time does (DPA-11, ASVS 16.4.2). Pure: an export built in memory,
longer than several of the verifier's chunks, with checkpoints inside and at the ends of chunks."""

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pactum_verify import merkle
from pactum_verify.export import CHUNK, verify_export
from pactum_verify.keys import checkpoint_note
from pactum_verify.leaves import EXPORT_FORMAT
from pactum_verify.log import LogVerifier, Report

from services.audit.checkpoints import CheckpointSigner
from services.audit.domain import leaf_bytes

ORGANISATION = "6f1c2a52-4d47-4a8e-9a39-0d7c1f4b3e21"
SIZE = 3 * CHUNK + 123
SIGNED_AT = (1000, 2 * CHUNK, 2 * CHUNK + 5, SIZE)  # inside, at the end of, inside a chunk; all


def _leaf(index: int) -> dict[str, Any]:
    return {
        "organisation_id": ORGANISATION,
        "log_index": index,
        "event_id": f"00000000-0000-4000-8000-{index:012d}",
        "event_type": "dpa.agreements.agreement.viewed.v1",
        "actor_id": f"user-{index % 7}",
        "occurred_at": "2026-11-28T18:00:00.000000Z",
        "data": {"agreement_id": f"agreement-{index % 11}"},
    }


def _export() -> tuple[list[str], str]:
    signer = CheckpointSigner(Ed25519PrivateKey.generate())
    frontier: list[bytes] = []
    entries: list[str] = []
    checkpoints: list[dict[str, object]] = []
    for index in range(SIZE):
        leaf = _leaf(index)
        hashed = merkle.leaf_hash(leaf_bytes(leaf))
        frontier, _ = merkle.append(frontier, index, hashed)
        line = {"record": "entry", "position": index + 1, "leaf": leaf, "leaf_hash": hashed.hex()}
        entries.append(orjson.dumps(line).decode())
        if index + 1 in SIGNED_AT:
            root = merkle.root(frontier)
            point = {"organisation_id": ORGANISATION, "size": index + 1, "root": root.hex()}
            point["signed_at"] = "2026-11-28T18:00:00Z"
            note = checkpoint_note(
                organisation_id=ORGANISATION,
                size=index + 1,
                root=root,
                signed_at="2026-11-28T18:00:00Z",
            )
            checkpoints.append(point | {"key_id": signer.key_id, "signature": signer.sign(note)})
    header = {  # as services/audit/export.py writes it: the verifier checks every field
        "record": "header",
        "format": EXPORT_FORMAT,
        "organisation_id": ORGANISATION,
        "filters": {},
        "complete": True,
        "checkpoint": checkpoints[-1],
        "checkpoints": checkpoints,
        "key_id": signer.key_id,
        "public_key": signer.public_key,
        "keys": [key.published() for key in signer.key_ring()],
    }
    return [orjson.dumps(header).decode(), *entries], signer.public_key


def _one_by_one(lines: list[str], key: str) -> Report:
    """The reference: every entry through ``LogVerifier.add``, one at a time."""
    records = [orjson.loads(line) for line in lines]
    verifier = LogVerifier(list(records[0]["checkpoints"]), key)
    for record in records[1:]:
        if not verifier.add(record["leaf"], record.get("leaf_hash")):
            break
    return verifier.finish()


def _edited(
    position: int, change: Callable[[dict[str, Any]], None]
) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        record = orjson.loads(lines[1 + position])
        change(record)
        return [*lines[: 1 + position], orjson.dumps(record).decode(), *lines[2 + position :]]

    return edit


def _rewritten(record: dict[str, Any]) -> None:
    """Content and leaf hash changed together: only the checkpoint roots notice."""
    record["leaf"]["actor_id"] = "someone-else"
    record["leaf_hash"] = merkle.leaf_hash(leaf_bytes(record["leaf"])).hex()


TAMPERING: dict[str, Callable[[list[str]], list[str]]] = {
    "untouched": lambda lines: lines,
    "modified in the third chunk": _edited(
        2 * CHUNK + 40, lambda r: r["leaf"].update(actor_id="x")
    ),
    "rewritten with its hash before a checkpoint": _edited(1500, _rewritten),
    "deleted in the second chunk": lambda lines: lines[: 1 + CHUNK + 3] + lines[2 + CHUNK + 3 :],
    "reordered across a chunk boundary": lambda lines: [
        *lines[:CHUNK],
        lines[CHUNK + 1],
        lines[CHUNK],
        *lines[CHUNK + 2 :],
    ],
    "truncated": lambda lines: lines[: 1 + SIZE - 10],
    "inserted after the signed tree": lambda lines: [
        *lines,
        orjson.dumps({"record": "entry", "leaf": _leaf(SIZE), "leaf_hash": None}).decode(),
    ],
}


@pytest.fixture(scope="module")
def export() -> tuple[list[str], str]:
    return _export()


@pytest.mark.parametrize("case", TAMPERING)
def test_bulk_verification_reports_what_one_by_one_verification_reports__DPA_11_ASVS_16_4_2(
    export: tuple[list[str], str], case: str
) -> None:
    lines, key = export
    tampered = TAMPERING[case](lines)
    report = verify_export(tampered, public_key=key)
    assert report == _one_by_one(tampered, key)
    assert report.valid is (case == "untouched")


def test_extending_a_frontier_in_bulk_equals_appending_leaf_by_leaf() -> None:
    leaves = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(300)]
    for start in (0, 1, 5, 64, 100, 255):
        for count in (0, 1, 3, 64, 129, 300 - start):
            appended: list[bytes] = []
            for index, leaf in enumerate(leaves[: start + count]):
                appended, _ = merkle.append(appended, index, leaf)
            extended: list[bytes] = []
            for index, leaf in enumerate(leaves[:start]):
                extended, _ = merkle.append(extended, index, leaf)
            merkle.extend(extended, start, leaves[start : start + count])
            assert extended == appended
