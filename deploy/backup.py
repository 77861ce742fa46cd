"""Encrypted backups of the four databases and the event stream, and their restore (TOM-T9, 32c).

A backup is a directory ``pactum-backup-<UTC time>/`` holding one encrypted part per database
(``pg_dump -Fc`` of a PostgreSQL database or schema, or an online copy of a SQLite file through
SQLite's backup API), one encrypted part for the JetStream stream (its configuration and every
message, in order, with its headers), and ``manifest.json``: each part's size and SHA-256 before
and after encryption, the Alembic revision of each database, and an HMAC over all of it.

Encryption: AES-256-GCM in 1 MiB chunks, so a dump of any size streams through memory. Each
chunk's nonce is a random per-part prefix and the chunk's number; its associated data names the
part, the chunk number and whether it is the last, so chunks cannot be reordered, swapped between
parts or cut off unnoticed. The 32-byte key comes from a file (``--key-file``) or the environment
(``PACTUM_BACKUP_KEY``, base64); it is never written into the backup. ``manifest.json`` carries
only the key's fingerprint, so a restore names the key it needs.

Restore checks the manifest's HMAC, every part's checksum, and decrypts every part to a private
temporary directory (authenticating every chunk) before it touches any database or the stream.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import struct
import tempfile
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import nats
import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nats.aio.client import Client
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy.engine import URL, make_url

import deploy.migrations  # noqa: F401  (registers every service's migrations)
from shared import migrations
from shared.database import create_engine
from shared.settings import nats_servers, nats_tls, nats_url_without_credentials

FORMAT = "pactum-backup/1"
MAGIC = b"PACTUMBK1\n"
CHUNK = 1 << 20  # plaintext bytes per encrypted chunk
KEY_ENV = "PACTUM_BACKUP_KEY"


class BackupError(Exception):
    """The backup cannot be made, or cannot be trusted for a restore; nothing was changed."""


# -- the key ----------------------------------------------------------------------------------


def new_key() -> str:
    """A fresh backup key, base64 (for a key file or ``PACTUM_BACKUP_KEY``)."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def load_key(key_file: Path | None = None) -> bytes:
    """The 32-byte key from ``key_file`` (raw or base64) or ``PACTUM_BACKUP_KEY`` (base64)."""
    if key_file is not None:
        try:
            raw = key_file.read_bytes()
        except OSError as error:
            message = f"cannot read the backup key file {key_file}: {error.strerror}"
            raise BackupError(message) from None
        key = raw if len(raw) == 32 else _decode_key(raw.strip(), str(key_file))
    elif os.environ.get(KEY_ENV):
        key = _decode_key(os.environ[KEY_ENV].strip().encode(), KEY_ENV)
    else:
        raise BackupError(f"no backup key: pass --key-file or set {KEY_ENV}")
    return key


def _decode_key(encoded: bytes, where: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise BackupError(f"{where} does not hold a 32-byte key (base64 of 32 random bytes)")
    return key


def fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"pactum-backup-key" + key).hexdigest()[:16]


def _manifest_mac(key: bytes, body: dict[str, Any]) -> str:
    mac_key = hashlib.sha256(b"pactum-backup-manifest" + key).digest()
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(mac_key, canonical, hashlib.sha256).hexdigest()


# -- chunked AES-256-GCM ------------------------------------------------------------------------


def _aad(part: str, number: int, last: bool) -> bytes:
    return f"{FORMAT}|{part}|{number}|{'last' if last else 'more'}".encode()


class SealedWriter:
    """Encrypts what is written to it into ``path``; tracks both checksums."""

    def __init__(self, path: Path, key: bytes, part: str) -> None:
        self.path = path
        self.part = part
        self._aes = AESGCM(key)
        self._prefix = os.urandom(8)
        self._file: BinaryIO = open(path, "xb")  # noqa: SIM115 (closed in close())
        os.chmod(path, 0o600)
        self._buffer = bytearray()
        self._number = 0
        self.plain = hashlib.sha256()
        self.sealed = hashlib.sha256()
        self.size = 0
        self._emit(MAGIC + self._prefix)

    def _emit(self, data: bytes) -> None:
        self._file.write(data)
        self.sealed.update(data)

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce = self._prefix + struct.pack(">I", self._number)
        sealed = self._aes.encrypt(nonce, chunk, _aad(self.part, self._number, last))
        self._emit(struct.pack(">I", len(sealed)) + sealed)
        self._number += 1

    def write(self, data: bytes) -> None:
        self.plain.update(data)
        self.size += len(data)
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]

    def close(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._file.close()


def _opened(aes: AESGCM, nonce: bytes, sealed: bytes, aad: bytes) -> bytes | None:
    """The chunk's plaintext, or None: wrong key, another part or position, or altered bytes."""
    try:
        return aes.decrypt(nonce, sealed, aad)
    except InvalidTag:
        return None


def open_sealed(path: Path, key: bytes, part: str) -> Iterator[bytes]:
    """The plaintext chunks of a sealed part; raises BackupError on any tampering or truncation."""
    aes = AESGCM(key)
    with open(path, "rb") as file:
        head = file.read(len(MAGIC) + 8)
        if head[: len(MAGIC)] != MAGIC:
            raise BackupError(f"{path.name} is not a pactum backup part")
        prefix = head[len(MAGIC) :]
        number = 0
        while True:
            size_bytes = file.read(4)
            if len(size_bytes) < 4:
                raise BackupError(f"{path.name} is cut off (no final chunk)")
            sealed = file.read(struct.unpack(">I", size_bytes)[0])
            nonce = prefix + struct.pack(">I", number)
            for last in (False, True):
                chunk = _opened(aes, nonce, sealed, _aad(part, number, last))
                if chunk is not None:
                    yield chunk
                    break
            else:
                raise BackupError(f"{path.name}: chunk {number} does not authenticate")
            if last:
                if file.read(1):
                    raise BackupError(f"{path.name} has bytes after its final chunk")
                return
            number += 1


# -- what is backed up --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One service's database: its URL and, on PostgreSQL, an optional schema."""

    service: str
    url: str
    schema: str | None = None

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.url).get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return Path(make_url(self.url).database or "")


def _pg(tool: str) -> str:
    """``pg_dump``/``pg_restore`` from ``PACTUM_PG_BIN`` if set (their major version must be at
    least the server's), else from PATH."""
    directory = os.environ.get("PACTUM_PG_BIN")
    return str(Path(directory) / tool) if directory else tool


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password (which goes into PGPASSWORD, not the command line)."""
    parsed: URL = make_url(url)
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    # asyncpg's ssl=require|verify-ca|verify-full is libpq's sslmode.
    query = "&".join(
        f"{'sslmode' if name == 'ssl' else name}={value}"
        for name, values in parsed.query.items()
        for value in ([values] if isinstance(values, str) else values)
    )
    host = parsed.host or "127.0.0.1"
    user = f"{parsed.username}@" if parsed.username else ""
    port = f":{parsed.port}" if parsed.port else ""
    uri = f"postgresql://{user}{host}{port}/{parsed.database or 'postgres'}"
    return (f"{uri}?{query}" if query else uri), environment


async def _start(
    arguments: Sequence[str], environment: dict[str, str], *, output: int
) -> asyncio.subprocess.Process:
    try:
        return await asyncio.create_subprocess_exec(
            *arguments, stdout=output, stderr=asyncio.subprocess.PIPE, env=environment
        )
    except FileNotFoundError:
        raise BackupError(
            f"{arguments[0]} not found: install the PostgreSQL client tools of the server's "
            "major version, or set PACTUM_PG_BIN to their directory"
        ) from None


async def _run(arguments: Sequence[str], environment: dict[str, str]) -> None:
    process = await _start(arguments, environment, output=asyncio.subprocess.DEVNULL)
    _, errors = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"{arguments[0]} failed: {errors.decode(errors='replace').strip()}")


async def _dump_postgres(target: Target, writer: SealedWriter) -> None:
    uri, environment = _libpq(target.url)
    arguments = [
        _pg("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--dbname={uri}",
    ]
    if target.schema:
        arguments.append(f"--schema={target.schema}")
    process = await _start(arguments, environment, output=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    assert process.stderr is not None
    errors = asyncio.create_task(process.stderr.read())
    while chunk := await process.stdout.read(CHUNK):
        writer.write(chunk)
    await process.wait()
    if process.returncode != 0:
        message = (await errors).decode(errors="replace").strip()
        raise BackupError(f"pg_dump of {target.service} failed: {message}")


def _copy_sqlite(source: Path, copy: Path) -> None:
    """SQLite's online backup API: a consistent copy while the service keeps writing."""
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    with sqlite3.connect(source) as origin, sqlite3.connect(copy) as destination:
        origin.backup(destination)
    destination.close()
    origin.close()


async def _dump_sqlite(target: Target, writer: SealedWriter, scratch: Path) -> None:
    copy = scratch / f"{target.service}.db"
    await asyncio.to_thread(_copy_sqlite, target.sqlite_path, copy)
    await asyncio.to_thread(_seal_file, copy, writer)
    copy.unlink()


def _seal_file(path: Path, writer: SealedWriter) -> None:
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            writer.write(chunk)


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as file:
        for line in file:
            yield orjson.loads(line)


async def _connect(nats_url: str) -> Client:
    try:
        return await nats.connect(
            nats_servers(nats_url),
            tls=nats_tls(nats_url),  # tls://: the CA from SSL_CERT_FILE (compose's operator)
            connect_timeout=5,
            max_reconnect_attempts=1,
            allow_reconnect=False,
        )
    except Exception as error:
        shown = nats_url_without_credentials(nats_url)
        raise BackupError(f"cannot reach NATS at {shown}: {type(error).__name__}") from None


async def _stream_records(nats_url: str, stream: str) -> AsyncIterator[bytes]:
    """The stream's configuration, then each message in order, as JSON lines."""
    connection = await _connect(nats_url)
    try:
        jetstream = connection.jetstream()
        try:
            info = await jetstream.stream_info(stream)
        except NotFoundError:
            shown = nats_url_without_credentials(nats_url)
            raise BackupError(f"no JetStream stream {stream!r} at {shown}") from None
        config = info.config.as_dict()
        yield orjson.dumps({"record": "stream", "config": config}) + b"\n"
        sequence, last = info.state.first_seq, info.state.last_seq
        while info.state.messages and sequence <= last:
            try:
                message = await jetstream.get_msg(stream, sequence, next=True)
            except NotFoundError:
                break
            if message.seq is None or message.seq > last:
                break
            yield (
                orjson.dumps(
                    {
                        "record": "message",
                        "seq": message.seq,
                        "subject": message.subject,
                        "headers": message.headers or {},
                        "data": base64.b64encode(message.data or b"").decode(),
                    }
                )
                + b"\n"
            )
            sequence = message.seq + 1
    finally:
        await connection.close()


async def _revision(target: Target) -> str | None:
    engine = create_engine(target.url, schema=target.schema)
    try:
        return await migrations.current(engine, schema=target.schema)
    finally:
        await engine.dispose()


async def backup(
    targets: Sequence[Target],
    *,
    key: bytes,
    into: Path,
    nats_url: str | None,
    stream: str = "DPA_EVENTS",
    step: Callable[[str], None] = lambda _part: None,
) -> Path:
    """Write a new backup directory under ``into``; returns its path. ``step`` is told the name
    of each part written (the command line's progress)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    directory = into / f"pactum-backup-{stamp}"
    directory.mkdir(parents=True, mode=0o700)
    parts: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="pactum-backup-") as scratch:
            for target in targets:
                name = f"{target.service}.{'sqlite' if target.is_sqlite else 'pgdump'}"
                writer = SealedWriter(directory / f"{name}.enc", key, name)
                try:
                    if target.is_sqlite:
                        await _dump_sqlite(target, writer, Path(scratch))
                    else:
                        await _dump_postgres(target, writer)
                finally:
                    writer.close()
                parts.append(
                    _part(writer, kind="sqlite" if target.is_sqlite else "postgres", target=target)
                    | {"revision": await _revision(target)}
                )
                step(name)
            if nats_url:
                name = "stream.jsonl"
                writer = SealedWriter(directory / f"{name}.enc", key, name)
                messages = -1  # the first record is the configuration
                try:
                    async for record in _stream_records(nats_url, stream):
                        writer.write(record)
                        messages += 1
                finally:
                    writer.close()
                parts.append(_part(writer, kind="stream", stream=stream, messages=messages))
                step(name)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    body = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "key": fingerprint(key),
        "parts": parts,
    }
    manifest = body | {"mac": _manifest_mac(key, body)}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return directory


def _part(
    writer: SealedWriter, *, kind: str, target: Target | None = None, **extra: Any
) -> dict[str, Any]:
    part: dict[str, Any] = {
        "name": writer.part,
        "file": writer.path.name,
        "kind": kind,
        "bytes": writer.size,
        "sha256": writer.plain.hexdigest(),
        "sealed_sha256": writer.sealed.hexdigest(),
    }
    if target is not None:
        part |= {"service": target.service, "schema": target.schema}
    return part | extra


# -- verify and restore ---------------------------------------------------------------------------


def read_manifest(directory: Path, key: bytes) -> dict[str, Any]:
    """The manifest, once its HMAC holds under ``key``."""
    try:
        manifest: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{directory} has no readable manifest.json ({error})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{directory} is not a {FORMAT} backup")
    if manifest.get("key") != fingerprint(key):
        raise BackupError(
            f"this backup was made with key {manifest.get('key')}, not with the key given "
            f"({fingerprint(key)})"
        )
    body = {name: value for name, value in manifest.items() if name != "mac"}
    if not hmac.compare_digest(str(manifest.get("mac", "")), _manifest_mac(key, body)):
        raise BackupError("manifest.json was altered (its HMAC does not hold)")
    return manifest


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(
    directory: Path,
    key: bytes,
    *,
    unpack_into: Path | None = None,
    step: Callable[[str], None] = lambda _part: None,
) -> dict[str, Any]:
    """Check the manifest and every part; with ``unpack_into``, leave the plaintext parts there.
    ``step`` is told the name of each part checked."""
    manifest = read_manifest(directory, key)
    for part in manifest["parts"]:
        sealed = directory / part["file"]
        if not sealed.is_file():
            raise BackupError(f"{part['file']} is missing")
        if _sha256_of(sealed) != part["sealed_sha256"]:
            raise BackupError(f"{part['file']} does not match its checksum")
        digest, size = hashlib.sha256(), 0
        plain = open(unpack_into / part["name"], "xb") if unpack_into else None  # noqa: SIM115
        try:
            for chunk in open_sealed(sealed, key, part["name"]):
                digest.update(chunk)
                size += len(chunk)
                if plain is not None:
                    plain.write(chunk)
        finally:
            if plain is not None:
                plain.close()
        if digest.hexdigest() != part["sha256"] or size != part["bytes"]:
            raise BackupError(f"{part['file']} decrypts to other content than was backed up")
        step(part["name"])
    return manifest


async def _restore_postgres(target: Target, dump: Path) -> None:
    uri, environment = _libpq(target.url)
    arguments = [
        _pg("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={uri}",
    ]
    await _run([*arguments, str(dump)], environment)


def _restore_sqlite(target: Target, copy: Path) -> None:
    path = target.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".restoring")
    shutil.copyfile(copy, staged)
    os.chmod(staged, 0o600)
    for stale in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    os.replace(staged, path)


async def _restore_stream(nats_url: str, records: Path) -> int:
    connection = await _connect(nats_url)
    published = 0
    try:
        jetstream = connection.jetstream()
        lines = _lines(records)
        config = StreamConfig.from_response(dict(next(lines)["config"]))
        try:
            await jetstream.stream_info(str(config.name))
        except NotFoundError:
            await jetstream.add_stream(config)
        for message in lines:
            await jetstream.publish(
                message["subject"],
                base64.b64decode(message["data"]),
                headers=message["headers"] or None,
                stream=config.name,
            )
            published += 1
    finally:
        await connection.close()
    return published


async def restore(
    directory: Path,
    targets: Sequence[Target],
    *,
    key: bytes,
    nats_url: str | None,
    only: Collection[str] | None = None,
    step: Callable[[str], None] = lambda _part: None,
) -> dict[str, Any]:
    """Verify the whole backup, then restore each database named in ``targets`` (or only the
    services in ``only``) and the stream.

    The services must be stopped. A database restore replaces that database's tables; the stream
    restore re-publishes the messages (their ``Nats-Msg-Id`` headers kept) into the stream,
    creating it with its backed-up configuration if it is missing. ``step`` is told the name of
    each part verified, then of each part restored.
    """
    by_service = {target.service: target for target in targets}
    with tempfile.TemporaryDirectory(prefix="pactum-restore-") as scratch:
        unpacked = Path(scratch)
        os.chmod(unpacked, 0o700)
        # Nothing is touched before the whole backup verified.
        manifest = verify(directory, key, unpack_into=unpacked, step=step)
        parts = [
            part
            for part in manifest["parts"]
            if part["kind"] == "stream" or only is None or part["service"] in only
        ]
        held = {part.get("service") for part in parts}
        if only is not None and (absent := sorted(set(only) - held)):
            raise BackupError(f"the backup holds no database of {', '.join(absent)}")
        for part in parts:
            if part["kind"] == "stream":
                continue
            if part["service"] not in by_service:
                raise BackupError(f"no database given for {part['service']}")
            target = by_service[part["service"]]
            if (part["kind"] == "sqlite") != target.is_sqlite:
                raise BackupError(
                    f"{part['service']} was backed up from {part['kind']}; "
                    "restore it into the same kind of database"
                )
        for part in parts:
            plain = unpacked / part["name"]
            if part["kind"] == "postgres":
                await _restore_postgres(by_service[part["service"]], plain)
            elif part["kind"] == "sqlite":
                await asyncio.to_thread(_restore_sqlite, by_service[part["service"]], plain)
            elif nats_url:
                part["restored"] = await _restore_stream(nats_url, plain)
            step(part["name"])
    return manifest | {"parts": parts}
