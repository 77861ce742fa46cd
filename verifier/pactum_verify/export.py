"""Verifying an export (``pactum-verify export export.jsonl [--public-key KEY]``).

Works on a JSON Lines export alone, without the platform: it checks the checkpoint signatures by
the key each one's ``key_id`` names (from the key set in the export, or better, the key set you
pinned from ``GET /audit/checkpoint-key``), then either rebuilds the whole tree from the entries
(a complete export) or checks each entry's inclusion proof (a filtered one). Every field of the
header is checked or the export refused (:func:`header_problem`): the header's own checkpoint must
be the newest signed one, every checkpoint must be signed, of this organisation and in order,
``complete`` must follow from the filters, and the keys must match their ids.
"""

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pactum_verify.keys import KeySet, checkpoint_problem, key_id_of, key_set_of
from pactum_verify.leaves import EXPORT_FORMAT, leaf_bytes
from pactum_verify.log import LogVerifier, Report, verify_proven_entry

_loads: Callable[[str], Any]
try:
    from orjson import loads as _loads
except ImportError:  # the standalone verifier reads the same values with the standard library
    _loads = json.loads

# Entries hashed and folded together (see LogVerifier.add_many).
CHUNK = 1024


class NotAnExport(ValueError):
    pass


def pinned_keys(values: Iterable[str]) -> KeySet:
    """The key set given on the command line: each value one public key (base64), the JSON
    document of ``GET /audit/checkpoint-key`` (or a list of keys), or ``@file`` holding either."""
    keys: KeySet = {}
    for value in values:
        text = value.strip()
        if text.startswith("@"):
            text = Path(text[1:]).read_text(encoding="utf-8").strip()
        if text.startswith(("{", "[")):
            keys.update(key_set_of(json.loads(text)))
        else:
            keys.update(key_set_of(text))
    return keys


def verify_export(lines: Iterable[str], *, public_key: KeySet | str | None = None) -> Report:
    """Verify an export given as its lines; ``public_key`` pins the checkpoint key set (or one
    key); without it the keys listed in the export are trusted."""
    records = _records(lines)
    header = next(records, None)
    if not header or header.get("record") != "header" or header.get("format") != EXPORT_FORMAT:
        raise NotAnExport(f"the first line is not a {EXPORT_FORMAT} header")
    try:
        key = (
            key_set_of(public_key)
            if isinstance(public_key, str)
            else public_key or key_set_of(header.get("keys") or header.get("public_key"))
        )
    except (ValueError, TypeError, KeyError):
        return Report(False, 0, 0, None, "the header's keys are not well-formed")
    if (refused := header_problem(header, key)) is not None:
        position, problem = refused
        return Report(False, 0, 0, position, problem)
    own = str(header.get("organisation_id"))
    others: list[dict[str, Any]] = []
    entries = _own_entries(records, own, others)
    if header.get("complete"):
        verifier = LogVerifier(list(header.get("checkpoints") or []), key)
        report = _verify_complete(entries, own, verifier)
    else:
        report = _verify_proofs(entries, header.get("checkpoint"), key)
    if not report.valid:
        return report
    for _ in entries:  # a report that stops early has not read every line yet
        pass
    return _verify_processors(others, key, report)


def _own_entries(
    records: Iterator[dict[str, Any]], own: str, others: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The entries of the organisation's own tree; those of its processors' trees (a
    controller's view) are put aside in ``others``."""
    for record in records:
        if record.get("record") != "entry":
            continue
        if record.get("tree", own) == own:
            yield record
        else:
            others.append(record)


def _verify_processors(entries: list[dict[str, Any]], keys: KeySet, report: Report) -> Report:
    """A processor's entry in a controller's export carries its inclusion proof to the
    processor's latest signed checkpoint: each is checked (the checkpoint under the same pinned
    keys, and of the processor's own log); one newer than that checkpoint is counted unproven."""
    checked, unproven = report.entries_checked, 0
    held: dict[str, str | None] = {}
    for entry in entries:
        tree, point, leaf = str(entry["tree"]), entry.get("checkpoint"), entry["leaf"]
        index = leaf.get("log_index")
        if point is None:
            unproven += 1
            continue
        signature = str(point.get("signature"))
        if signature not in held:
            problem = checkpoint_problem(point, keys)
            if problem is None and (
                point.get("organisation_id") != tree or leaf.get("organisation_id") != tree
            ):
                problem = "a processor's entry comes with another log's checkpoint"
            held[signature] = problem
        problem = held[signature] or verify_proven_entry(
            leaf, entry.get("leaf_hash"), list(entry.get("proof") or []), point
        )
        if problem is not None:
            return Report(
                False, report.tree_size, checked, index, f"entry {index} of {tree}'s log {problem}"
            )
        checked += 1
    return Report(True, report.tree_size, checked, unproven=unproven)


HEADER_FIELDS = frozenset(
    {
        "record",
        "format",
        "organisation_id",
        "filters",
        "complete",
        "checkpoint",
        "checkpoints",
        "key_id",
        "public_key",
        "keys",
    }
)
CHECKPOINT_FIELDS = frozenset(
    {"organisation_id", "size", "root", "signed_at", "key_id", "signature"}
)
_ROOT = re.compile(r"^[0-9a-f]{64}$")


def header_problem(header: dict[str, Any], keys: KeySet) -> tuple[int | None, str] | None:
    """Why the header cannot be trusted (with the first entry a bad signature leaves unproven),
    or None: every field is checked, none is taken on faith (an unknown one is refused, as it
    could only carry something the verdict does not cover)."""
    if set(header) != HEADER_FIELDS:
        odd = sorted(set(header) ^ HEADER_FIELDS)
        return None, f"the header's fields are not those of an export ({', '.join(odd)})"
    problem = _fields_problem(header)
    if problem is not None:
        return None, problem
    points: list[dict[str, Any]] = header["checkpoints"]
    below, previous = 0, 0  # the largest checkpoint size smaller than this one's
    for point in points:
        if point["size"] > previous:
            below, previous = previous, point["size"]
        if (problem := checkpoint_problem(point, keys)) is not None:
            return below, problem  # named like LogVerifier names it
    return None


def _fields_problem(header: dict[str, Any]) -> str | None:
    own, filters = header["organisation_id"], header["filters"]
    if not isinstance(own, str) or not own:
        return "the header names no organisation"
    if not isinstance(filters, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in filters.items()
    ):
        return "the header's filters are not a filter"
    if header["complete"] is not (filters == {}):
        return "the header's complete flag contradicts its filters"
    if (problem := _keys_problem(header)) is not None:
        return problem
    points = header["checkpoints"]
    if not isinstance(points, list):
        return "the header's checkpoints are not a list"
    roots: dict[int, str] = {}
    previous = 0
    for point in points:
        if (problem := _checkpoint_shape_problem(point, own)) is not None:
            return problem
        if point["size"] < previous:
            return "the header's checkpoints are not in order of size"
        if points.count(point) > 1:
            return f"the checkpoint of size {point['size']} is listed twice"
        if roots.setdefault(point["size"], point["root"]) != point["root"]:
            return f"two checkpoints of size {point['size']} name different roots"
        previous = point["size"]
    expected = points[-1] if points else None
    if header["checkpoint"] != expected:
        return "the header's checkpoint is not the newest of its signed checkpoints"
    return None


def _checkpoint_shape_problem(point: Any, own: str) -> str | None:
    if not isinstance(point, dict) or set(point) != CHECKPOINT_FIELDS:
        return "a checkpoint's fields are not those of a signed checkpoint"
    size = point["size"]
    if type(size) is not int or size < 1:
        return "a checkpoint's size is not a positive whole number"
    if not isinstance(point["root"], str) or not _ROOT.match(point["root"]):
        return f"the checkpoint of size {size} has no well-formed root"
    if point["organisation_id"] != own:
        return f"the checkpoint of size {size} is another organisation's"
    if not all(isinstance(point[name], str) for name in ("signed_at", "key_id", "signature")):
        return f"the checkpoint of size {size} has a field that is not text"
    return None


def _keys_problem(header: dict[str, Any]) -> str | None:
    """The header's keys must each match their id, and its current key be among them."""
    key_id, public_key = header["key_id"], header["public_key"]
    try:
        raw = base64.b64decode(str(public_key), validate=True)
        listed = key_set_of(header["keys"])
    except (ValueError, TypeError, KeyError, binascii.Error):
        return "the header's keys are not well-formed"
    if not isinstance(key_id, str) or key_id_of(raw) != key_id:
        return "the header's key_id does not match its public key"
    if key_id not in listed or listed[key_id].public_key != public_key:
        return "the header's public key is not among its keys"
    return None


def _verify_complete(records: Iterable[dict[str, Any]], own: str, verifier: LogVerifier) -> Report:
    """Rebuild the tree from every entry of the organisation's own tree, hashing each leaf as
    it is read and folding :data:`CHUNK` leaves at a time (only their hashes are kept)."""
    indexes: list[Any] = []
    stored: list[str | None] = []
    hashed: list[bytes] = []
    sha256 = hashlib.sha256
    try:
        for record in records:
            if record.get("record") != "entry" or record.get("tree", own) != own:
                continue
            leaf = record["leaf"]
            indexes.append(leaf.get("log_index"))
            stored.append(record.get("leaf_hash"))
            hashed.append(sha256(b"\x00" + leaf_bytes(leaf)).digest())
            if len(hashed) == CHUNK:
                if not verifier.add_hashed(indexes, stored, hashed):
                    return verifier.finish()
                indexes, stored, hashed = [], [], []
    except NotAnExport:
        # A bad line after a bad entry: the entry is what the report names.
        if hashed and not verifier.add_hashed(indexes, stored, hashed):
            return verifier.finish()
        raise
    if hashed:
        verifier.add_hashed(indexes, stored, hashed)
    return verifier.finish()


def _verify_proofs(
    entries: Iterable[dict[str, Any]], checkpoint: dict[str, Any] | None, key: KeySet
) -> Report:
    size = int(checkpoint["size"]) if checkpoint else 0
    if checkpoint is None:
        return Report(False, size, 0, None, "the checkpoint is missing")
    if (problem := checkpoint_problem(checkpoint, key)) is not None:
        return Report(False, size, 0, 0, problem)
    checked = 0
    for entry in entries:
        leaf = entry["leaf"]
        path = list(entry.get("proof") or [])
        problem = verify_proven_entry(leaf, entry.get("leaf_hash"), path, checkpoint)
        if problem is not None:
            index = leaf.get("log_index")
            return Report(False, size, checked, index, f"entry {index} {problem}")
        checked += 1
    return Report(True, size, checked)


def _records(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = _loads(line)
        except ValueError:  # orjson's and json's decode errors are both ValueErrors
            raise NotAnExport(f"line {number} is not JSON") from None
        if not isinstance(record, dict):
            raise NotAnExport(f"line {number} is not a JSON object")
        yield record
