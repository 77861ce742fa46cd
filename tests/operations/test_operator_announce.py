"""``pactum`` runs organisations: rename-, disable-, enable-organisation and
announce-organisations, each through identity's outbox (the running identity service publishes
the events); bad input exits 2 and changes nothing. The last test runs identity and agreements
on a real nats-server and rebuilds an emptied agreements directory from the command."""

import io
import json
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlmodel import col

from deploy import operator
from services.agreements.directory.store import KnownOrganisation, OrganisationStatus
from services.identity.main import IdentitySettings
from services.identity.store import Organisation
from shared.database import create_engine, session_factory
from shared.outbox import OutboxMessage
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually

pytestmark = pytest.mark.slow  # the last test starts a nats-server

ANNOUNCED = "dpa.identity.organisation.announced.v1"


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


async def identity_state() -> tuple[list[tuple[object, ...]], list[tuple[str, str]]]:
    """Identity's organisations and the (type, payload) of every event in its outbox."""
    settings = IdentitySettings()
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        async with session_factory(engine)() as session:
            organisations = (
                await session.execute(
                    select(
                        col(Organisation.id), col(Organisation.name), col(Organisation.status)
                    ).order_by(col(Organisation.id))
                )
            ).all()
            events = (
                await session.execute(
                    select(col(OutboxMessage.event_type), col(OutboxMessage.envelope)).order_by(
                        col(OutboxMessage.position)
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    return [tuple(row) for row in organisations], [
        (kind, json.dumps(json.loads(envelope)["data"], sort_keys=True))
        for kind, envelope in events
    ]


async def test_operator_renames_disables_and_announces_organisations__USE_1(
    environment: Path,
) -> None:
    code, printed = await pactum("create-organisation", "--name", "UTOPIA", "--kind", "controller")
    assert code == 0
    controller = printed.strip()
    code, printed = await pactum("create-organisation", "--name", "iBeauty", "--kind", "processor")
    processor = printed.strip()

    code, printed = await pactum(
        "rename-organisation", "--organisation", processor, "--name", " iBeauty  BVBA "
    )
    assert (code, printed.strip()) == (0, f"{processor}: iBeauty BVBA")
    code, printed = await pactum("disable-organisation", "--organisation", processor)
    assert (code, printed.strip()) == (0, f"{processor}: disabled")

    code, printed = await pactum("announce-organisations")
    assert code == 0
    assert printed.startswith("announced 2 organisation(s)")
    _, events = await identity_state()
    announced = sorted(
        (json.loads(data) for kind, data in events if kind == ANNOUNCED),
        key=lambda data: str(data["organisation_id"]),
    )
    assert announced == sorted(
        [
            {
                "organisation_id": controller,
                "kind": "controller",
                "name": "UTOPIA",
                "status": "active",
            },
            {
                "organisation_id": processor,
                "kind": "processor",
                "name": "iBeauty BVBA",
                "status": "disabled",
            },
        ],
        key=lambda data: data["organisation_id"],
    )
    # Announcing creates nothing: still one created event per organisation.
    assert [kind for kind, _ in events].count("dpa.identity.organisation.created.v1") == 2

    code, printed = await pactum("enable-organisation", "--organisation", processor)
    assert (code, printed.strip()) == (0, f"{processor}: active")


async def test_bad_organisation_commands_exit_2_or_3_and_change_nothing(
    environment: Path,
) -> None:
    _, printed = await pactum("create-organisation", "--name", "UTOPIA", "--kind", "controller")
    organisation = printed.strip()
    before = await identity_state()
    missing = str(uuid.uuid4())
    for arguments in (
        ("rename-organisation", "--organisation", organisation, "--name", "   "),
        ("rename-organisation", "--organisation", organisation, "--name", "x" * 201),
    ):
        assert (await pactum(*arguments))[0] == 2, arguments  # bad usage
    for unknown in (
        ("rename-organisation", "--organisation", missing, "--name", "Nobody"),
        ("disable-organisation", "--organisation", missing),
        ("enable-organisation", "--organisation", missing),
    ):
        assert (await pactum(*unknown))[0] == 3, unknown  # no such organisation
    assert await identity_state() == before


def test_malformed_organisation_commands_exit_2() -> None:
    for arguments in (
        ("disable-organisation", "--organisation", "not-a-uuid"),
        ("disable-organisation",),
        ("rename-organisation", "--organisation", str(uuid.uuid4())),
        ("announce-organisations", "--all"),
    ):
        with pytest.raises(SystemExit) as exit_:
            operator._parser().parse_args(arguments)
        assert exit_.value.code == 2, arguments


@pytest.fixture
async def identity_and_agreements(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> AsyncIterator[Platform]:
    running = Platform(nats_url=nats_server.url, database=database, var_dir=tmp_path / "var")
    key_path = IdentitySettings(var_dir=tmp_path / "var").signing_key_path
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(running.signer.to_pem())
    await running.start("identity", "agreements")
    yield running
    await running.stop()


async def test_announce_organisations_rebuilds_an_emptied_agreements_directory__USE_1(
    identity_and_agreements: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = identity_and_agreements
    identity = platform.runtime("identity").settings
    monkeypatch.setenv("PACTUM_IDENTITY_DATABASE_URL", identity.database_url)
    monkeypatch.setenv("PACTUM_IDENTITY_MIGRATION_DATABASE_URL", identity.migration_database_url)
    if identity.database_schema:
        monkeypatch.setenv("PACTUM_IDENTITY_DATABASE_SCHEMA", identity.database_schema)
    monkeypatch.setenv("PACTUM_VAR_DIR", str(platform.var_dir))
    monkeypatch.setenv("PACTUM_OPERATOR", "test-operator")
    for name, kind in (("UTOPIA", "controller"), ("iBeauty", "processor")):
        assert (await pactum("create-organisation", "--name", name, "--kind", kind))[0] == 0
    organisations, _ = await identity_state()
    agreements = platform.runtime("agreements").sessions

    async def directory() -> list[tuple[object, ...]]:
        async with agreements() as session:
            rows = (
                await session.execute(
                    select(
                        col(KnownOrganisation.id),
                        col(KnownOrganisation.name),
                        col(KnownOrganisation.status),
                    ).order_by(col(KnownOrganisation.id))
                )
            ).all()
        return [tuple(row) for row in rows] if len(rows) == len(organisations) else []

    assert [row[:2] for row in await eventually(directory)] == [row[:2] for row in organisations]
    async with agreements() as session, session.begin():
        await session.execute(delete(KnownOrganisation))

    code, printed = await pactum("announce-organisations")
    assert code == 0
    assert printed.startswith(f"announced {len(organisations)} organisation(s)")
    rebuilt = await eventually(directory)
    assert rebuilt == [(i, n, OrganisationStatus(str(s))) for i, n, s in organisations]
    async with agreements() as session:
        assert await session.scalar(select(func.count()).select_from(KnownOrganisation)) == len(
            organisations
        )
