"""The return of data (DPA-13, TOM-T4): one ZIP with every record as JSON and CSV, and a manifest
of SHA-256 hashes so the controller can check that nothing was altered or left out."""

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any


def _csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    buffer = io.StringIO()
    columns = sorted({key for row in rows for key in row})
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}
        )
    return buffer.getvalue().encode()


def build(
    records: Mapping[str, Sequence[Mapping[str, Any]]], *, header: Mapping[str, Any]
) -> bytes:
    """A deterministic ZIP: ``<record>.json`` and ``<record>.csv`` per record, ``manifest.json``."""
    files: dict[str, bytes] = {}
    for name, rows in sorted(records.items()):
        files[f"{name}.json"] = json.dumps(
            list(rows), indent=2, sort_keys=True, default=str
        ).encode()
        files[f"{name}.csv"] = _csv(rows)
    manifest = dict(header) | {
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        "algorithm": "sha256",
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True, default=str).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def check(archive: bytes) -> dict[str, Any]:
    """Open an archive and confirm every file matches the manifest; returns the manifest."""
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        manifest: dict[str, Any] = json.loads(opened.read("manifest.json"))
        for name, digest in manifest["files"].items():
            if hashlib.sha256(opened.read(name)).hexdigest() != digest:
                raise ValueError(f"{name} does not match the manifest")
        listed = set(manifest["files"]) | {"manifest.json"}
        if set(opened.namelist()) != listed:
            raise ValueError("the archive holds files the manifest does not list")
    return manifest
