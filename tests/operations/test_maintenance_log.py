"""Platform maintenance is in every customer's log (TOM-T3c): ``pactum`` backup, restore and
rotate-key, run by a named operator, append one entry to the log of each organisation the audit
service knows, as a supplier intervention with its own sentence; a restore's entry is written
after the restore, so the restored log keeps it. A changing command that does not say who runs it
is refused and changes nothing."""

import io
import json
import uuid
from functools import partial
from pathlib import Path

import pytest

from deploy import backup as backups
from deploy import operator
from services.audit.service import present
from services.audit.store import AuditEntry
from tests.agreements.organisations import new_organisation
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually

pytestmark = pytest.mark.slow

SERVICES = ("agreements", "audit", "notifier")
ONLY_RUNNING = ("--service", "agreements", "--service", "audit", "--service", "notifier")


@pytest.fixture
def backend() -> str:
    """SQLite: a restore replaces the database files the test then starts audit on again."""
    return "sqlite"


@pytest.fixture
async def operated(
    platform: Platform, nats_server: NatsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Platform, list[str]]:
    """The running platform with two organisations in the log, and the operator's shell: the
    services' databases, NATS (as the operator's user), the var directory, a backup key."""
    monkeypatch.chdir(tmp_path)  # backups/ goes there
    for service in SERVICES:
        settings = platform.runtime(service).settings
        monkeypatch.setenv(f"PACTUM_{service.upper()}_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PACTUM_VAR_DIR", str(platform.var_dir))
    monkeypatch.setenv("PACTUM_NATS_URL", nats_server.url)
    monkeypatch.setenv(backups.KEY_ENV, backups.new_key())
    monkeypatch.delenv("PACTUM_OPERATOR", raising=False)
    organisations = [await new_organisation(platform), await new_organisation(platform)]
    for organisation in organisations:  # identity's organisation event is in its log
        await eventually(partial(platform.audit_entries, organisation_id=organisation))
    return platform, organisations


async def pactum(*arguments: str) -> tuple[int, str]:
    out = io.StringIO()
    code = await operator.run(arguments, out)
    return code, out.getvalue()


async def maintenance(platform: Platform, organisation: str, event_type: str) -> list[AuditEntry]:
    return await platform.audit_entries(organisation_id=organisation, event_type=event_type)


async def test_a_backup_appends_a_maintenance_entry_to_each_organisations_log__TOM_T3c(
    operated: tuple[Platform, list[str]],
) -> None:
    platform, organisations = operated
    code, printed = await pactum(
        "backup", "--into", "backups", "--no-stream", *ONLY_RUNNING, "--operator", "jan"
    )
    assert code == 0, printed
    backup = Path(printed.split(" to ", 1)[1].strip()).name
    kind = "dpa.audit.platform_backup.created.v1"
    for organisation in organisations:
        [entry] = await eventually(partial(maintenance, platform, organisation, kind))
        assert entry.actor_id == "operator-cli:jan"
        assert entry.actor_type == "operator"
        assert entry.supplier_intervention
        assert entry.subject == backup
        assert entry.data["backup"] == backup and entry.data["operator"] == "jan"
        assert entry.data["services"] == list(SERVICES)
    assert not await platform.audit_entries(organisation_id="platform")
    async with platform.runtime("audit").sessions() as session:
        [shown] = await present(session, [entry], "nl")
    assert shown.sentence == (
        f"Platformonderhoud: back-up '{backup}' van het platform door operator jan "
        "(tussenkomst van de leverancier)."
    )


async def test_a_restores_entry_is_written_after_the_restore_and_survives_it__TOM_T3c(
    operated: tuple[Platform, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform, organisations = operated
    monkeypatch.setenv("PACTUM_OPERATOR", "marie")
    code, printed = await pactum("backup", "--into", "backups", "--no-stream", *ONLY_RUNNING)
    assert code == 0, printed
    archive = Path(printed.split(" to ", 1)[1].strip())
    backed_up = "dpa.audit.platform_backup.created.v1"
    for organisation in organisations:  # written after the backup: not in it
        await eventually(partial(maintenance, platform, organisation, backed_up))
    audit_url = platform.runtime("audit").settings.database_url
    await platform.stop()  # a restore runs with the services stopped

    code, printed = await pactum(
        "restore", str(archive), "--no-stream", "--yes", "--service", "audit"
    )
    assert code == 0, printed
    restarted = Platform(
        nats_url=platform.nats_url,
        database=platform.database,
        var_dir=platform.var_dir,
        nats_passwords=platform.nats_passwords,
    )
    await restarted.start("audit", database_url=audit_url)
    try:
        restored = "dpa.audit.platform_backup.restored.v1"
        for organisation in organisations:
            [entry] = await eventually(partial(maintenance, restarted, organisation, restored))
            assert entry.subject == archive.name
            assert entry.actor_id == "operator-cli:marie"
            # The backup's own entry came after the backup: the restore took the log back to
            # before it, and the restore's entry follows what the backup held.
            assert not await maintenance(restarted, organisation, backed_up)
            entries = await restarted.audit_entries(organisation_id=organisation)
            assert entries[-1].event_id == entry.event_id
        async with restarted.runtime("audit").sessions() as session:
            [shown] = await present(session, [entry], "nl")
        assert shown.sentence.startswith(
            f"Platformonderhoud: herstel van back-up '{archive.name}' door operator marie"
        )
    finally:
        await restarted.stop()


async def test_a_key_rotation_appends_a_maintenance_entry__TOM_T3c(
    operated: tuple[Platform, list[str]],
) -> None:
    platform, organisations = operated
    code, printed = await pactum("rotate-key", "checkpoint", "--operator", "jan", "--json")
    assert code == 0, printed
    kind = "dpa.audit.platform_key.rotated.v1"
    for organisation in organisations:
        [entry] = await eventually(partial(maintenance, platform, organisation, kind))
        assert entry.subject == "checkpoint"
        assert entry.data["key"] == "checkpoint" and entry.data["key_id"]
        assert entry.data["services"] == ["audit"]
    async with platform.runtime("audit").sessions() as session:
        [shown] = await present(session, [entry], "fr")
    assert shown.sentence.startswith(
        "Maintenance de la plateforme : remplacement de la clé de signature 'checkpoint'"
    )


async def test_a_changing_command_without_an_operator_is_refused_and_changes_nothing__TOM_T3c(
    operated: tuple[Platform, list[str]], tmp_path: Path
) -> None:
    platform, organisations = operated
    before = {org: len(await platform.audit_entries(organisation_id=org)) for org in organisations}
    refusals = set()
    for operator_name in (None, "", "two words", "x" * 101, "-dash-first"):
        named = [] if operator_name is None else [f"--operator={operator_name}"]
        code, printed = await pactum("backup", "--into", str(tmp_path / "b"), "--json", *named)
        assert code == 2
        refusals.add(printed)
        code, _ = await pactum("rotate-key", "checkpoint", *named)
        assert code == 2
        code, _ = await pactum("create-organisation", "--name", "X", "--kind", "controller", *named)
        assert code == 2
    assert len(refusals) == 1  # the same answer, whatever was wrong
    assert not (tmp_path / "b").exists()
    # Reading needs no operator name: health changes nothing and records nothing.
    assert (await pactum("migrate", "all", "current"))[0] in (0, 1)
    after = {org: len(await platform.audit_entries(organisation_id=org)) for org in organisations}
    assert after == before


async def test_one_maintenance_event_becomes_one_entry_per_organisation__TOM_T3c(
    operated: tuple[Platform, list[str]],
) -> None:
    platform, organisations = operated
    code, printed = await pactum("migrate", "identity", "--operator", "jan")
    assert code == 0, printed  # identity's database is new here: it moved
    kind = "dpa.audit.platform_database.migrated.v1"
    entries = [
        (await eventually(partial(maintenance, platform, organisation, kind)))[0]
        for organisation in organisations
    ]
    # One event, one entry per organisation, each with an id of its own.
    assert len({entry.event_id for entry in entries}) == len(organisations)
    assert all(isinstance(entry.event_id, uuid.UUID) for entry in entries)
    assert {entry.subject for entry in entries} == {"identity"}
    # Every database at its head already (each deploy migrates): nothing moved, nothing written.
    assert (await pactum("migrate", "identity", "--operator", "jan"))[0] == 0
    code, printed = await pactum("migrate", "identity", "--operator", "jan", "--json")
    assert code == 0
    assert "audit_logged" not in json.loads(printed)  # no event was even written
    for organisation in organisations:
        assert len(await maintenance(platform, organisation, kind)) == 1
