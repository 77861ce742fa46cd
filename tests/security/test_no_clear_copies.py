"""No clear copy of a client's address, browser or name is left behind (TOM-32a, TOM-T1; issue
15, 8).

A person with a distinctive name signs in and reads her agreements from a distinctive address and
browser. What leaves each service carries the address's keyed pseudonym and her name sealed to
the audit service only: the outbox rows, the events on the stream, the request log lines. Her
organisation's log shows her name and the pseudonym to its DPO until she is erased; after her
admin removed her and the erasure, it shows neither, and none of the three values is found in
any file the platform wrote (every database, its write-ahead log, the nats-server's stream
store), in any message on the stream, or in anything the services logged. One file is allowed to
hold her name: identity's own SQLite database, which kept her account's name until her removal
blanked it, and where SQLite may leave the old bytes in a page's free space or its write-ahead
log until they are reused (it does not overwrite freed space); every row, as the services read
them, is clean.
"""

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from shared.auth import Role
from shared.pseudonyms import Pseudonyms, load_or_create_key
from tests.security.world import PASSWORD, World
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform, eventually
from tests.support.secrets_scan import stream_messages

ADDRESS = "198.51.100.173"
AGENT = "PactumProbe/7.3 (erasure-everywhere; build 5e1f0c)"
NAME = "Ysaline Erasure-Probe"
SERVICES = ("identity", "agreements", "audit", "notifier")


def _files_holding(root: Path, *values: str) -> list[str]:
    """Every file under ``root`` whose raw bytes hold one of ``values`` (as the database or
    the stream store wrote them: no parsing, so a deleted row's leftover bytes count too)."""
    wanted = [value.encode() for value in values]
    return [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*"))
        if path.is_file() and any(value in path.read_bytes() for value in wanted)
    ]


async def _rows_holding(platform: Platform, *values: str) -> list[str]:
    """Every table of every running service with a row that holds one of ``values``, read
    through the service's own connection (on PostgreSQL there is no file to read)."""
    found = []
    for service in platform.apps:
        runtime = platform.runtime(service)
        async with runtime.sessions() as session:
            for table in runtime.tables:
                rows = (await session.execute(select(table))).all()
                if any(value in str(tuple(row)) for row in rows for value in values):
                    found.append(f"{service}.{table.name}")
    return found


async def _audit_items(platform: Platform, organisation: str) -> list[dict[str, object]]:
    answer = await platform.clients["audit"].get(
        "/audit/entries?limit=200", headers=platform.auth(organisation, [Role.auditor])
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


@pytest.mark.timeout(120)
async def test_an_erased_persons_address_browser_and_name_are_found_nowhere_on_the_platform__TOM_32a_TOM_T1(  # noqa: E501
    nats_server: NatsServer,
    database: Callable[[str], Database],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    var_dir = tmp_path / "var"
    platform = Platform(nats_url=nats_server.url, database=database, var_dir=var_dir)
    key_path = var_dir / "identity" / "signing-key.pem"
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(platform.signer.to_pem())
    await platform.start(*SERVICES)
    try:
        world = World(platform)
        organisation = await world.organisation("erased", "controller")
        admin = organisation.users["admin"]
        she = await world.user("erased", "member", display_name=NAME)

        # She mistypes her password, signs in and lists her agreements from her own address and
        # browser.
        def from_her(service: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=platform.apps[service], client=(ADDRESS, 50123))
            return httpx.AsyncClient(
                transport=transport, base_url=f"http://{service}", headers={"user-agent": AGENT}
            )

        async with from_her("identity") as identity, from_her("agreements") as agreements:
            mistyped = {"email": she.email, "password": PASSWORD + "?"}
            assert (await identity.post("/login", json=mistyped)).status_code == 401
            login = await identity.post("/login", json={"email": she.email, "password": PASSWORD})
            assert login.status_code == 200, login.text
            token = login.json()["access_token"]
            listed = await agreements.get(
                "/agreements", headers={"Authorization": f"Bearer {token}"}
            )
            assert listed.status_code == 200, listed.text

        pseudonym = Pseudonyms(load_or_create_key(var_dir / "pseudonym-key")).of_address(ADDRESS)

        async def hers() -> list[dict[str, object]]:
            items = await _audit_items(platform, organisation.id)
            shown = [
                item
                for item in items
                if item["actor_id"] == she.user_id
                and (item["personal_data"] or {}).get("client_address") == pseudonym  # type: ignore[attr-defined]
            ]
            actions = {str(item["event_type"]) for item in shown}
            wanted = {"dpa.identity.login.succeeded.v1", "dpa.agreements.agreement.listed.v1"}
            return shown if wanted <= actions else []

        # Before the erasure her DPO sees who she is and where she acted from, as its pseudonym:
        # her name was sealed to audit on its way, and audit opened it.
        before = await eventually(hers, within=30.0)
        assert before
        for item in before:
            if item["event_type"] != "dpa.identity.login.failed.v1":  # not signed in: unnamed
                assert item["personal_data"]["actor_name"] == NAME  # type: ignore[index]
                assert str(item["sentence"]).startswith(f"{NAME} ")
        assert await _rows_holding(platform, NAME) == ["identity.user_account"]  # her account

        # Her admin removes her (identity keeps her id, not her name) and erases her in the log.
        removed = await platform.clients["identity"].delete(
            f"/users/{she.user_id}", headers=admin.auth
        )
        assert removed.status_code == 204, removed.text
        erased = await platform.clients["audit"].post(
            "/audit/erasures",
            json={"subject_id": she.user_id},
            headers=platform.auth(organisation.id, [Role.admin]),
        )
        assert erased.status_code == 201, erased.text
        assert erased.json()["keys_destroyed"] >= 1

        # After it, none of her entries shows it any more, and the log still verifies.
        for item in await _audit_items(platform, organisation.id):
            if item["actor_id"] == she.user_id:
                assert item["personal_data"] is None, item
                assert NAME not in str(item["sentence"])
        verified = await platform.clients["audit"].get(
            "/audit/verification", headers=platform.auth(organisation.id, [Role.auditor])
        )
        assert verified.json()["valid"] is True

        # Every row of every table of the four services, as each service reads it: the outbox
        # rows and identity's count of her mistyped password hold her pseudonym, no table holds
        # her address, her browser or her name.
        assert {"identity.outbox", "identity.client_failure", "agreements.outbox"} <= set(
            await _rows_holding(platform, pseudonym)
        )
        assert await _rows_holding(platform, ADDRESS, AGENT, NAME) == []
    finally:
        await platform.stop()

    # The stream: every message, each the way a consumer reads it; hers carry her name sealed.
    messages = await stream_messages(nats_server.url)
    assert any(pseudonym in text for _, text in messages)  # what was published carries it
    assert any(she.user_id in text and '"actorsealed"' in text for _, text in messages)
    found = [where for where, text in messages if any(v in text for v in (ADDRESS, AGENT, NAME))]
    assert found == []

    # Every file the platform wrote: the databases (and their -wal), the stream's store, keys.
    assert _files_holding(tmp_path, ADDRESS, AGENT) == []
    assert [
        name for name in _files_holding(tmp_path, NAME) if not name.startswith("var/identity.db")
    ] == []

    # And everything the services logged: the request lines name her pseudonym only.
    logged = capfd.readouterr()
    lines = logged.out + logged.err
    assert f"client={pseudonym}" in lines  # the tests log as key=value (the console format)
    assert ADDRESS not in lines
    assert AGENT not in lines
    assert NAME not in lines
