"""``pactum``, the operator's command line: each command, and its exit code on bad input
(0 done, 1 a check found a problem, 2 bad usage)."""

import io
import json
import uuid
from functools import partial
from pathlib import Path

import pytest

from deploy import backup as backups
from deploy import operator
from shared import migrations
from shared.auth import Role
from tests.agreements.organisations import new_organisation
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually

pytestmark = pytest.mark.slow  # backup commands run pg_dump/pg_restore; some start NATS


@pytest.fixture(autouse=True)
def operator_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Who runs the changing commands (named in the customers' logs, TOM-T3c)."""
    monkeypatch.setenv("PACTUM_OPERATOR", "test-operator")


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every service on SQLite under a fresh var/ (what make run uses), NATS unreachable."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PACTUM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PACTUM_NATS_URL", "nats://127.0.0.1:1")
    monkeypatch.setenv("PACTUM_OPERATOR", "test-operator")
    for name in ("DATABASE_URL", "MIGRATION_DATABASE_URL", "DATABASE_SCHEMA", "BACKUP_KEY"):
        monkeypatch.delenv(f"PACTUM_{name}", raising=False)
    return tmp_path


async def pactum(*arguments: str) -> tuple[int, str]:
    out = io.StringIO()
    code = await operator.run(arguments, out)
    return code, out.getvalue()


def usage_error(*arguments: str) -> int:
    with pytest.raises(SystemExit) as exit_:
        operator._parser().parse_args(arguments)
    return int(str(exit_.value.code))


# -- organisations and admins ---------------------------------------------------------------


async def test_operator_creates_an_organisation_and_invites_its_first_admin__USE_1(
    environment: Path,
) -> None:
    code, printed = await pactum("create-organisation", "--name", "UTOPIA", "--kind", "controller")
    assert code == 0
    organisation = uuid.UUID(printed.strip())
    code, printed = await pactum(
        "create-admin", "--organisation", str(organisation), "--email", "Admin@Utopia.example"
    )
    assert code == 0
    assert "invitation for admin@utopia.example" in printed
    assert "password" not in printed.lower()


async def test_inviting_an_admin_twice_is_bad_usage_and_into_no_organisation_not_found(
    environment: Path,
) -> None:
    _, printed = await pactum("create-organisation", "--name", "UTOPIA", "--kind", "processor")
    organisation = printed.strip()
    invite = ("create-admin", "--organisation", organisation, "--email", "a@utopia.example")
    assert (await pactum(*invite))[0] == 0
    assert (await pactum(*invite))[0] == 2
    unknown = str(uuid.uuid4())
    assert (await pactum("create-admin", "--organisation", unknown, "--email", "b@x.example"))[
        0
    ] == 3
    assert (await pactum("create-admin", "--organisation", organisation, "--email", "nobody"))[
        0
    ] == 2
    assert (await pactum("create-organisation", "--name", "  ", "--kind", "processor"))[0] == 2


def test_malformed_commands_exit_with_2() -> None:
    assert usage_error("create-organisation", "--name", "X", "--kind", "supplier") == 2
    assert usage_error("create-admin", "--organisation", "not-a-uuid", "--email", "a@b.c") == 2
    assert usage_error("rotate-key", "session") == 2
    assert usage_error("migrate", "billing") == 2
    assert usage_error("launch-rockets") == 2
    assert usage_error() == 2


# -- keys -------------------------------------------------------------------------------------


async def test_rotating_the_token_key_keeps_the_old_one_published(environment: Path) -> None:
    from services.identity.settings import IdentitySettings

    assert (await pactum("migrate", "identity"))[0] == 0
    key_file = IdentitySettings().signing_key_path
    code, printed = await pactum("rotate-key", "token")
    assert code == 0
    first = key_file.read_bytes()
    code, printed = await pactum("rotate-key", "token")
    assert code == 0
    assert "new signing key" in printed
    assert "previous key" in printed
    assert key_file.read_bytes() != first


async def test_rotating_the_checkpoint_key_retires_the_old_public_half(
    environment: Path,
) -> None:
    from services.audit.checkpoints import CheckpointSigner, retired_keys
    from services.audit.settings import AuditSettings

    key_file = AuditSettings().checkpoint_key_path
    running = CheckpointSigner.load_or_create(key_file)  # what the audit service does on start
    old = running.key_id
    code, printed = await pactum("rotate-key", "checkpoint")
    assert code == 0
    assert f"key {old} retired" in printed
    assert "signs its next checkpoint with the new key" in printed
    assert running.key_id != old  # the running signer re-read the file
    assert running.key_id == CheckpointSigner.load_or_create(key_file).key_id
    (retired,) = retired_keys(key_file)
    assert retired.key_id == old and retired.public_key == running.key_set()[old].public_key
    assert oct(key_file.stat().st_mode & 0o777) == oct(0o600)

    assert (await pactum("rotate-key", "checkpoint"))[0] == 0
    older, newer = retired_keys(key_file)
    assert newer.valid_from == older.retired_at
    assert len(running.key_set()) == 3


async def test_rotating_a_missing_or_broken_checkpoint_key_is_bad_usage(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.audit.settings import AuditSettings

    code, _ = await pactum("rotate-key", "checkpoint")
    assert code == 2
    assert "no checkpoint key at" in capsys.readouterr().err
    key_file = AuditSettings().checkpoint_key_path
    key_file.parent.mkdir(parents=True)
    key_file.write_text("not a key")
    code, _ = await pactum("rotate-key", "checkpoint")
    assert code == 2
    assert "cannot rotate the key" in capsys.readouterr().err
    assert key_file.read_text() == "not a key"  # left unchanged
    assert not (key_file.parent / "checkpoint-keys").exists()


async def test_rotating_the_ingest_key_keeps_the_old_one_to_open_names_sealed_to_it(
    environment: Path,
) -> None:
    from services.audit.settings import AuditSettings
    from shared.ingest_keys import NameOpener, NameSealer, ensure_pair, retired_keys

    settings = AuditSettings()
    code, _ = await pactum("rotate-key", "ingest")
    assert code == 2  # no key yet: audit makes it on its first start
    ensure_pair(settings.ingest_key_path, settings.ingest_public_key_path)  # what audit does
    producer = NameSealer(settings.ingest_public_key_path, recheck_seconds=0.0)
    where = {"event_id": str(uuid.uuid4()), "tenant": "platform", "actor_id": "user-1"}
    before = producer.seal("Jan Peeters", **where)
    old = producer.key_id
    code, printed = await pactum("rotate-key", "ingest", "--json")
    assert code == 0
    answer = json.loads(printed)
    assert answer["retired_key_id"] == old and answer["key_id"] != old
    assert producer.key_id == answer["key_id"]  # the running producer re-read the public file
    assert [retired.key_id for retired in retired_keys(settings.ingest_key_path)] == [old]
    after = producer.seal("Jan Peeters", **where)
    opener = NameOpener(settings.ingest_key_path)
    assert opener.open(before, **where) == opener.open(after, **where) == "Jan Peeters"
    assert oct(settings.ingest_key_path.stat().st_mode & 0o777) == oct(0o600)


# -- checkpoints and offline verification ---------------------------------------------------


async def test_checkpoint_without_the_audit_key_is_bad_usage(environment: Path) -> None:
    assert (await pactum("checkpoint"))[0] == 2


async def test_operator_signs_checkpoints_and_verifies_an_export_offline__TOM_T4(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    organisation = await new_organisation(platform, by_event=False)
    created = await platform.clients["agreements"].post(
        "/agreements", json={"title": "Operated"}, headers=platform.auth(organisation)
    )
    assert created.status_code == 201
    await eventually(lambda: platform.audit_entries(organisation_id=organisation))
    audit = platform.runtime("audit").settings
    monkeypatch.setenv("PACTUM_AUDIT_DATABASE_URL", audit.database_url)
    monkeypatch.setenv("PACTUM_AUDIT_MIGRATION_DATABASE_URL", audit.migration_database_url)
    if audit.database_schema:
        monkeypatch.setenv("PACTUM_AUDIT_DATABASE_SCHEMA", audit.database_schema)
    monkeypatch.setenv("PACTUM_VAR_DIR", str(platform.var_dir))

    code, printed = await pactum("checkpoint")
    assert code == 0
    assert printed.startswith("signed 1 checkpoint")
    assert (await pactum("checkpoint"))[1].startswith("signed 0 checkpoint")

    response = await platform.clients["audit"].get(
        "/audit/export", headers=platform.auth(organisation, [Role.auditor])
    )
    export = tmp_path / "export.jsonl"
    export.write_text(response.text)
    code, printed = await pactum("verify-export", str(export))
    assert code == 0
    assert json.loads(printed)["valid"] is True

    lines = response.text.splitlines()
    entry = json.loads(lines[1])
    entry["leaf"]["actor_id"] = "someone-else"
    export.write_text("\n".join([lines[0], json.dumps(entry), *lines[2:]]) + "\n")
    code, printed = await pactum("verify-export", str(export))
    assert code == 1
    assert json.loads(printed)["valid"] is False


async def _grown(platform: Platform, organisation: str, beyond: int) -> bool | None:
    """Does the organisation's audit log hold more than ``beyond`` entries?"""
    return len(await platform.audit_entries(organisation_id=organisation)) > beyond or None


async def test_exports_verify_offline_across_a_checkpoint_key_rotation__TOM_T4(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    organisation = await new_organisation(platform, by_event=False)
    auditor = platform.auth(organisation, [Role.auditor])
    audit = platform.runtime("audit").settings
    monkeypatch.setenv("PACTUM_AUDIT_DATABASE_URL", audit.database_url)
    monkeypatch.setenv("PACTUM_AUDIT_MIGRATION_DATABASE_URL", audit.migration_database_url)
    if audit.database_schema:
        monkeypatch.setenv("PACTUM_AUDIT_DATABASE_SCHEMA", audit.database_schema)
    monkeypatch.setenv("PACTUM_VAR_DIR", str(platform.var_dir))
    client = platform.clients["audit"]
    signed = 0
    for title in ("Before", "After"):
        created = await platform.clients["agreements"].post(
            "/agreements", json={"title": title}, headers=platform.auth(organisation)
        )
        assert created.status_code == 201
        await eventually(partial(_grown, platform, organisation, signed))
        checkpoint = await client.post("/audit/checkpoints", headers=auditor)
        assert checkpoint.status_code == 201
        signed = checkpoint.json()["size"]
        if title == "Before":
            code, printed = await pactum("rotate-key", "checkpoint")
            assert code == 0, printed

    published = (await client.get("/audit/checkpoint-key")).json()
    assert [key["status"] for key in published["keys"]] == ["retired", "current"]
    keys = tmp_path / "checkpoint-keys.json"
    keys.write_text(json.dumps(published))
    export = tmp_path / "export.jsonl"
    export.write_text((await client.get("/audit/export", headers=auditor)).text)
    signers = {
        point["key_id"] for point in json.loads(export.read_text().splitlines()[0])["checkpoints"]
    }
    assert signers == {key["key_id"] for key in published["keys"]}
    code, printed = await pactum("verify-export", str(export), "--public-key", f"@{keys}")
    assert code == 0, printed
    current = published["public_key"]
    code, printed = await pactum("verify-export", str(export), "--public-key", current)
    assert code == 1
    assert "unknown key" in json.loads(printed)["problem"]
    code, _ = await pactum("verify-export", str(export), "--public-key", "not a key")
    assert code == 2


async def test_verifying_a_missing_or_foreign_file_is_bad_usage(tmp_path: Path) -> None:
    assert (await pactum("verify-export", str(tmp_path / "missing.jsonl")))[0] == 2
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text('{"hello": "world"}\n')
    assert (await pactum("verify-export", str(foreign)))[0] == 2
    foreign.write_bytes(b"\xff\xfe not text")
    assert (await pactum("verify-export", str(foreign)))[0] == 2


# -- migrations ------------------------------------------------------------------------------


async def test_operator_migrates_every_database_and_checks_it(environment: Path) -> None:
    databases = len(migrations.SERVICES)  # the four services and the console's sessions
    code, printed = await pactum("migrate", "all", "current")
    assert code == 1
    assert printed.count("no database at") == databases
    assert not (environment / "var").exists()  # looking created nothing
    code, printed = await pactum("migrate")
    assert code == 0
    assert printed.count(": at ") == databases
    code, printed = await pactum("migrate", "all", "check")
    assert code == 0
    assert printed.count("matches the models") == databases
    assert (await pactum("migrate", "audit", "current"))[0] == 0


# -- outbox and consumer health --------------------------------------------------------------


async def test_health_shows_the_outbox_backlog_and_each_consumer(
    platform: Platform, nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for service in ("agreements", "audit", "notifier"):
        settings = platform.runtime(service).settings
        monkeypatch.setenv(f"PACTUM_{service.upper()}_DATABASE_URL", settings.database_url)
        monkeypatch.setenv(
            f"PACTUM_{service.upper()}_MIGRATION_DATABASE_URL", settings.migration_database_url
        )
        if settings.database_schema:
            monkeypatch.setenv(
                f"PACTUM_{service.upper()}_DATABASE_SCHEMA", settings.database_schema
            )
    monkeypatch.setenv("PACTUM_VAR_DIR", str(platform.var_dir))
    monkeypatch.setenv("PACTUM_NATS_URL", nats_server.url)
    created = await platform.clients["agreements"].post(
        "/agreements",
        json={"title": "Watched"},
        headers=platform.auth(await new_organisation(platform, by_event=False)),
    )
    assert created.status_code == 201
    await eventually(lambda: platform.audit_entries())

    code, printed = await pactum("health", "--json")
    report = json.loads(printed)
    # identity's database is the default SQLite file: migrated on first look, empty.
    assert {row["service"] for row in report["outbox"]} == {
        "identity",
        "agreements",
        "audit",
        "notifier",
    }
    consumers = {consumer["name"] for consumer in report["jetstream"]["consumers"]}
    assert {"audit", "notifier"} <= consumers
    assert all(
        {"pending", "ack_pending", "redelivered"} <= set(consumer)
        for consumer in report["jetstream"]["consumers"]
    )
    assert code == (1 if report["problems"] else 0), report["problems"]
    code, printed = await pactum("health")
    assert "consumer" in printed and "outbox" in printed


async def test_health_reports_an_unreachable_nats_as_a_problem(environment: Path) -> None:
    assert (await pactum("migrate"))[0] == 0
    code, printed = await pactum("health")
    assert code == 1
    assert "problem: NATS at nats://127.0.0.1:1" in printed


# -- backup and restore ----------------------------------------------------------------------


async def test_backup_verify_and_restore_through_the_command_line__TOM_T9(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = environment / "backup.key"
    code, printed = await pactum("backup-key")
    key_file.write_text(printed)
    assert (await pactum("migrate"))[0] == 0
    _, printed = await pactum("create-organisation", "--name", "KEPT", "--kind", "controller")

    assert (await pactum("backup", "--into", "backups", "--key-file", str(key_file)))[0] == 1
    code, printed = await pactum(
        "backup", "--into", "backups", "--no-stream", "--key-file", str(key_file)
    )
    assert code == 0
    archive = Path(printed.split(" to ", 1)[1].strip())
    assert (await pactum("backup-verify", str(archive), "--key-file", str(key_file)))[0] == 0

    assert (await pactum("restore", str(archive), "--key-file", str(key_file)))[0] == 2
    (environment / "var" / "identity.db").unlink()
    code, printed = await pactum(
        "restore", str(archive), "--no-stream", "--yes", "--key-file", str(key_file)
    )
    assert code == 0
    assert printed.count("restored") == 4
    assert (await pactum("migrate", "all", "check"))[0] == 0

    (environment / "var" / "audit.db").unlink()
    only_audit = ("restore", str(archive), "--no-stream", "--yes", "--key-file", str(key_file))
    code, printed = await pactum(*only_audit, "--service", "audit")
    assert code == 0
    assert printed.splitlines()[0] == "restored audit.sqlite"
    code, printed = await pactum(
        "backup",
        "--into",
        "backups",
        "--no-stream",
        "--service",
        "identity",
        "--key-file",
        str(key_file),
    )
    assert code == 0
    single = Path(printed.split(" to ", 1)[1].strip())
    assert (
        await pactum(
            "restore",
            str(single),
            "--yes",
            "--no-stream",
            "--service",
            "audit",
            "--key-file",
            str(key_file),
        )
    )[0] == 1


async def test_backup_commands_refuse_a_missing_key_or_backup(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = environment / "none"
    assert (await pactum("backup", "--into", "b", "--key-file", str(missing)))[0] == 2
    assert (await pactum("backup", "--into", "b"))[0] == 2  # no key at all
    monkeypatch.setenv(backups.KEY_ENV, "too-short")
    assert (await pactum("backup", "--into", "b"))[0] == 2
    monkeypatch.setenv(backups.KEY_ENV, backups.new_key())
    assert (await pactum("backup-verify", str(missing)))[0] == 2
    assert (await pactum("restore", str(missing), "--yes"))[0] == 2
    not_a_backup = environment / "empty"
    not_a_backup.mkdir()
    assert (await pactum("backup-verify", str(not_a_backup)))[0] == 1
