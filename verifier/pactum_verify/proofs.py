"""Verifying the proofs the audit API serves, as they are saved from it.

- an inclusion proof (``GET /audit/proofs/inclusion/{index}``): the entry's leaf hash, its audit
  path, and the signed checkpoint it leads to; optionally the entry itself (an export line), whose
  leaf is hashed again;
- a consistency proof (``GET /audit/proofs/consistency?first=&second=``): two signed checkpoints of
  one log and the path that shows the older tree is a prefix of the newer one; optionally the
  checkpoint you pinned earlier, which must be the older one.

Each checkpoint must hold under the pinned keys (:func:`~pactum_verify.keys.checkpoint_problem`).
"""

import binascii
from typing import Any

from pactum_verify import merkle
from pactum_verify.keys import KeySet, checkpoint_problem
from pactum_verify.leaves import leaf_bytes
from pactum_verify.log import Report


def _hashes(values: Any) -> list[bytes]:
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ValueError("a proof's path is a list of hex hashes")
    try:
        hashes = [bytes.fromhex(value) for value in values]
    except (ValueError, binascii.Error):
        raise ValueError("a proof's path is a list of hex hashes") from None
    if any(len(value) != 32 for value in hashes):
        raise ValueError("a proof's path holds a hash that is not SHA-256")
    return hashes


def verify_inclusion_proof(
    proof: dict[str, Any], keys: KeySet, *, entry: dict[str, Any] | None = None
) -> Report:
    """Does the proof's leaf (or ``entry``'s, an export line) belong to the signed tree?"""
    checkpoint = proof["checkpoint"]
    size, index = int(checkpoint["size"]), int(proof["log_index"])
    if (problem := checkpoint_problem(checkpoint, keys)) is not None:
        return Report(False, size, 0, None, problem)
    if int(proof["tree_size"]) != size:
        return Report(False, size, 0, index, "the proof's tree size is not its checkpoint's")
    leaf = bytes.fromhex(str(proof["leaf_hash"]))
    if entry is not None:
        fields = entry["leaf"]
        if int(fields["log_index"]) != index or fields["organisation_id"] != str(
            checkpoint["organisation_id"]
        ):
            return Report(False, size, 0, index, "the entry is not the one the proof is for")
        if merkle.leaf_hash(leaf_bytes(fields)) != leaf:
            return Report(False, size, 0, index, f"entry {index} does not match its leaf hash")
    root = bytes.fromhex(str(checkpoint["root"]))
    if not merkle.verify_inclusion(index, size, leaf, _hashes(proof["path"]), root):
        return Report(False, size, 0, index, f"entry {index} is not included in the signed tree")
    return Report(True, size, 1)


def verify_consistency_proof(
    proof: dict[str, Any], keys: KeySet, *, pinned: dict[str, Any] | None = None
) -> Report:
    """Is the older signed tree a prefix of the newer one (and the older one what you pinned)?"""
    first, second = proof["first"], proof["second"]
    size = int(second["size"])
    for point in (first, second):
        if (problem := checkpoint_problem(point, keys)) is not None:
            return Report(False, size, 0, None, problem)
    if first["organisation_id"] != second["organisation_id"]:
        return Report(False, size, 0, None, "the two checkpoints are of different logs")
    if pinned is not None and any(
        str(pinned[name]) != str(first[name]) for name in ("organisation_id", "size", "root")
    ):
        return Report(False, size, 0, None, "the older checkpoint is not the one you pinned")
    older = int(first["size"])
    if not merkle.verify_consistency(
        older,
        size,
        bytes.fromhex(str(first["root"])),
        bytes.fromhex(str(second["root"])),
        _hashes(proof["path"]),
    ):
        return Report(
            False, size, 0, older, f"the tree of {older} entries is not a prefix of the newer one"
        )
    return Report(True, size, 0)
