"""``pactum-verify``: check a pactum audit log without the platform (``pip install ./verifier``).

    pactum-verify export export.jsonl --public-key @checkpoint-keys.json
    pactum-verify inclusion proof.json --public-key @checkpoint-keys.json [--entry line.json]
    pactum-verify consistency proof.json --public-key @checkpoint-keys.json [--pinned old.json]
    pactum-verify note checkpoint.txt --key 'pactum.example.org/audit+1a2b3c4d+AX...' [--origin O]

``--public-key`` is the checkpoint key set you pinned: the JSON document of
``GET /audit/checkpoint-key`` (or ``@file`` holding it), or one base64 key per ``--public-key``.
Each command prints one JSON report and exits 0 when everything verifies, 1 when something does
not (the report says what, and names the first bad leaf index where there is one), 2 when a file
cannot be read as what the command expects.
"""

import argparse
import base64
import json
import sys
from pathlib import Path
from typing import Any

from pactum_verify import notes
from pactum_verify.export import NotAnExport, pinned_keys, verify_export
from pactum_verify.keys import KeySet
from pactum_verify.log import Report
from pactum_verify.proofs import verify_consistency_proof, verify_inclusion_proof

KEYS_HELP = (
    "the checkpoint keys you pinned: the JSON document of GET /audit/checkpoint-key (or @file "
    "holding it), or one base64 key per --public-key (repeat it for several)"
)


def _json(path: Path) -> dict[str, Any]:
    value = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return value


def _keys(values: list[str] | None) -> KeySet:
    if not values:
        raise ValueError("give the checkpoint keys you pinned with --public-key")
    return pinned_keys(values)


def _export(arguments: argparse.Namespace) -> dict[str, Any]:
    pinned = pinned_keys(arguments.public_key) if arguments.public_key else None
    with arguments.file.open(encoding="utf-8") as lines:
        return verify_export(lines, public_key=pinned).__dict__


def _inclusion(arguments: argparse.Namespace) -> dict[str, Any]:
    entry = _json(arguments.entry) if arguments.entry else None
    report = verify_inclusion_proof(_json(arguments.file), _keys(arguments.public_key), entry=entry)
    return report.__dict__


def _consistency(arguments: argparse.Namespace) -> dict[str, Any]:
    pinned = _json(arguments.pinned) if arguments.pinned else None
    report = verify_consistency_proof(
        _json(arguments.file), _keys(arguments.public_key), pinned=pinned
    )
    return report.__dict__


def _note(arguments: argparse.Namespace) -> dict[str, Any]:
    keys = [notes.parse_key(key) for key in arguments.key]
    text = arguments.file.read_text(encoding="utf-8")
    try:
        checkpoint = notes.open_checkpoint(text, keys, origin=arguments.origin)
    except notes.NoteRefused as refused:
        return Report(False, 0, 0, None, str(refused)).__dict__
    return {
        "valid": True,
        "origin": checkpoint.origin,
        "tree_size": checkpoint.size,
        "root": checkpoint.root.hex(),
        "root_base64": base64.b64encode(checkpoint.root).decode(),
    }


def parser() -> argparse.ArgumentParser:
    commands = argparse.ArgumentParser(
        prog="pactum-verify", description="Verify a pactum audit log without the platform."
    )
    chosen = commands.add_subparsers(dest="command", required=True)
    export = chosen.add_parser("export", help="a JSON Lines export (GET /audit/export)")
    export.add_argument("file", type=Path)
    export.add_argument(
        "--public-key",
        action="append",
        help=KEYS_HELP + "; without it, the keys inside the export are trusted",
    )
    export.set_defaults(run=_export)
    inclusion = chosen.add_parser(
        "inclusion", help="an inclusion proof (GET /audit/proofs/inclusion/{index})"
    )
    inclusion.add_argument("file", type=Path)
    inclusion.add_argument("--public-key", action="append", required=True, help=KEYS_HELP)
    inclusion.add_argument(
        "--entry", type=Path, help="the entry's line of an export, to hash its leaf again"
    )
    inclusion.set_defaults(run=_inclusion)
    consistency = chosen.add_parser(
        "consistency", help="a consistency proof (GET /audit/proofs/consistency)"
    )
    consistency.add_argument("file", type=Path)
    consistency.add_argument("--public-key", action="append", required=True, help=KEYS_HELP)
    consistency.add_argument(
        "--pinned", type=Path, help="the checkpoint (JSON) you pinned: it must be the older one"
    )
    consistency.set_defaults(run=_consistency)
    note = chosen.add_parser(
        "note", help="a checkpoint as a C2SP signed note (GET /audit/organisations/{id}/checkpoint)"
    )
    note.add_argument("file", type=Path)
    note.add_argument(
        "--key",
        action="append",
        required=True,
        help="the note verifier key (note_verifier_key of GET /audit/checkpoint-key)",
    )
    note.add_argument("--origin", help="the log origin the checkpoint must name")
    note.set_defaults(run=_note)
    return commands


def main(argv: list[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    try:
        report = arguments.run(arguments)
    except (OSError, NotAnExport, UnicodeDecodeError, KeyError, TypeError, ValueError) as error:
        print(json.dumps({"valid": False, "error": str(error)}))
        return 2
    print(json.dumps(report))
    return 0 if report["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
