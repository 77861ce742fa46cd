"""Backup and restore: the drill (back up, destroy, restore, the audit log still verifies, nothing
is missing), and a backup that was altered, cut off or opened with another key restores nothing.
"""

import base64
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nats
import pytest
from pactum_verify.export import verify_export
from sqlalchemy import select, text

from deploy import backup as backups
from shared import migrations
from shared.auth import Role
from shared.database import create_engine
from tests.agreements.organisations import register
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually

pytestmark = pytest.mark.slow  # pg_dump and pg_restore run as processes

SERVICES = ("agreements", "audit", "notifier")
STREAM = "DPA_EVENTS"


async def _rows(database: Database, service: str) -> dict[str, set[tuple[Any, ...]]]:
    """Every table's primary keys: what "nothing is missing" compares."""
    engine = create_engine(database.url, schema=database.schema)
    found: dict[str, set[tuple[Any, ...]]] = {}
    try:
        async with engine.connect() as connection:
            for name, table in migrations.target_metadata(service).tables.items():
                keys = list(table.primary_key.columns)
                found[name] = {tuple(row) for row in await connection.execute(select(*keys))}
    finally:
        await engine.dispose()
    return found


def _delete_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _destroy(database: Database) -> None:
    if database.schema is None:
        _delete_sqlite(Path(database.url.split("///", 1)[1]))
        return
    engine = create_engine(database.url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{database.schema}" CASCADE'))
    finally:
        await engine.dispose()


async def _stream_messages(nats_url: str) -> int:
    connection = await nats.connect(nats_url)
    try:
        return int((await connection.jetstream().stream_info(STREAM)).state.messages)
    finally:
        await connection.close()


async def _delete_stream(nats_url: str) -> None:
    connection = await nats.connect(nats_url)
    try:
        await connection.jetstream().delete_stream(STREAM)
    finally:
        await connection.close()


async def _export(platform: Platform, organisation: str) -> list[str]:
    response = await platform.clients["audit"].get(
        "/audit/export", headers=platform.auth(organisation, [Role.auditor])
    )
    assert response.status_code == 200
    return response.text.splitlines()


@pytest.mark.timeout(120)
async def test_restore_drill_brings_back_every_row_and_the_audit_log_still_verifies__TOM_32c(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> None:
    databases = {service: database(service) for service in SERVICES}
    organisations = [str(uuid.uuid4()), str(uuid.uuid4())]
    key = base64.b64decode(backups.new_key())

    def platform() -> Platform:
        return Platform(
            nats_url=nats_server.url,
            database=lambda service: databases[service],
            var_dir=tmp_path / "var",
        )

    before = platform()
    await before.start()
    try:
        await register(before, dict.fromkeys(organisations, "controller"))
        for organisation in organisations:
            for number in range(3):
                created = await before.clients["agreements"].post(
                    "/agreements",
                    json={"title": f"Drill {number}"},
                    headers=before.auth(organisation),
                )
                assert created.status_code == 201
        for organisation in organisations:
            await eventually(
                lambda organisation=organisation: _at_least(before, organisation, 3)  # type: ignore[misc]
            )
            signed = await before.clients["audit"].post(
                "/audit/checkpoints", headers=before.auth(organisation, [Role.auditor])
            )
            assert signed.status_code == 201
        exported = {
            organisation: await _export(before, organisation) for organisation in organisations
        }
        await eventually(lambda: _relayed(before))
        archive = await backups.backup(
            [backups.Target(s, d.url, d.schema) for s, d in databases.items()],
            key=key,
            into=tmp_path / "backups",
            nats_url=nats_server.url,
        )
    finally:
        await before.stop()

    rows = {service: await _rows(databases[service], service) for service in SERVICES}
    messages = await _stream_messages(nats_server.url)
    assert rows["audit"]["audit_entry"] and rows["agreements"]["agreement"] and messages

    for service in SERVICES:
        await _destroy(databases[service])
    await _delete_stream(nats_server.url)

    manifest = await backups.restore(
        archive,
        [backups.Target(s, d.url, d.schema) for s, d in databases.items()],
        key=key,
        nats_url=nats_server.url,
    )
    kinds = {part["kind"] for part in manifest["parts"]}
    assert kinds == {"sqlite" if databases["audit"].schema is None else "postgres", "stream"}
    for service in SERVICES:
        assert await _rows(databases[service], service) == rows[service], service
    assert await _stream_messages(nats_server.url) == messages

    after = platform()
    await after.start()
    try:
        for organisation in organisations:
            verified = await after.clients["audit"].get(
                "/audit/verification", headers=after.auth(organisation, [Role.auditor])
            )
            assert verified.json()["valid"] is True, verified.json()
            assert verified.json()["tree_size"] >= 3
            report = verify_export(exported[organisation])  # the export taken before, offline
            assert report.valid, report
            again = verify_export(await _export(after, organisation))
            assert again.valid, again
            # Reading the log is itself audited: the restored tree grows past the exported one.
            assert again.tree_size >= report.tree_size
    finally:
        await after.stop()


async def _at_least(platform: Platform, organisation: str, count: int) -> bool:
    return len(await platform.audit_entries(organisation_id=organisation)) >= count


async def _relayed(platform: Platform) -> bool:
    from shared.outbox import pending_count

    for service in SERVICES:
        if await pending_count(platform.runtime(service).sessions):
            return False
    return True


# -- a backup that cannot be trusted restores nothing --------------------------------------------


async def _small_backup(tmp_path: Path, key: bytes) -> tuple[Path, backups.Target]:
    target = backups.Target("notifier", f"sqlite+aiosqlite:///{tmp_path / 'notifier.db'}")
    engine = create_engine(target.url)
    try:
        await migrations.upgrade(engine, "notifier")
    finally:
        await engine.dispose()
    archive = await backups.backup([target], key=key, into=tmp_path / "backups", nats_url=None)
    return archive, target


def _key() -> bytes:
    return base64.b64decode(backups.new_key())


async def test_an_altered_part_is_refused_before_anything_is_restored__TOM_T9(
    tmp_path: Path,
) -> None:
    key = _key()
    archive, target = await _small_backup(tmp_path, key)
    part = archive / "notifier.sqlite.enc"
    sealed = bytearray(part.read_bytes())
    sealed[len(sealed) // 2] ^= 0x01
    part.write_bytes(bytes(sealed))
    target.sqlite_path.write_bytes(b"the live database")
    with pytest.raises(backups.BackupError, match="checksum"):
        await backups.restore(archive, [target], key=key, nats_url=None)
    assert target.sqlite_path.read_bytes() == b"the live database"


async def test_a_part_altered_along_with_the_manifest_is_refused(tmp_path: Path) -> None:
    key = _key()
    archive, _ = await _small_backup(tmp_path, key)
    part = archive / "notifier.sqlite.enc"
    part.write_bytes(part.read_bytes()[:-20])  # cut off
    manifest = json.loads((archive / "manifest.json").read_text())
    manifest["parts"][0]["sealed_sha256"] = backups._sha256_of(part)
    (archive / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(backups.BackupError, match="altered"):
        backups.verify(archive, key)


async def test_a_backup_opens_only_with_its_own_key(tmp_path: Path) -> None:
    archive, _ = await _small_backup(tmp_path, _key())
    with pytest.raises(backups.BackupError, match="made with key"):
        backups.verify(archive, _key())


async def test_a_backup_holds_no_plaintext_and_no_key(tmp_path: Path) -> None:
    key = _key()
    archive, target = await _small_backup(tmp_path, key)
    stored = b"".join(path.read_bytes() for path in archive.iterdir())
    assert b"SQLite format 3" not in stored
    assert b"CREATE TABLE" not in stored
    assert key not in stored and base64.b64encode(key) not in stored
    assert oct(archive.stat().st_mode & 0o777) == "0o700"
    assert all(os.stat(path).st_mode & 0o077 == 0 for path in archive.glob("*.enc"))
    manifest = backups.verify(archive, key)
    assert manifest["parts"][0]["bytes"] == target.sqlite_path.stat().st_size


def test_a_chunked_part_round_trips_across_chunk_boundaries(tmp_path: Path) -> None:
    key = _key()
    writer = backups.SealedWriter(tmp_path / "part.enc", key, "part")
    payload = os.urandom(backups.CHUNK * 2 + 5)
    for start in range(0, len(payload), 300_000):
        writer.write(payload[start : start + 300_000])
    writer.close()
    assert b"".join(backups.open_sealed(tmp_path / "part.enc", key, "part")) == payload
    with pytest.raises(backups.BackupError, match="authenticate"):
        list(backups.open_sealed(tmp_path / "part.enc", key, "another-part"))


async def test_missing_postgresql_client_tools_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACTUM_PG_BIN", str(tmp_path / "no-such-directory"))
    target = backups.Target("audit", "postgresql://postgres@127.0.0.1:5432/absent")
    with pytest.raises(backups.BackupError, match="PACTUM_PG_BIN"):
        await backups.backup([target], key=_key(), into=tmp_path / "backups", nats_url=None)
    assert not list((tmp_path / "backups").iterdir())  # no half-written backup left behind


def test_pg_tools_get_the_password_apart_and_tls_as_sslmode__TOM_T7() -> None:
    uri, environment = backups._libpq(
        "postgresql+asyncpg://audit:s3cret@db.internal:5433/audit?ssl=verify-full"
    )
    assert uri == "postgresql://audit@db.internal:5433/audit?sslmode=verify-full"
    assert "s3cret" not in uri
    assert environment["PGPASSWORD"] == "s3cret"
