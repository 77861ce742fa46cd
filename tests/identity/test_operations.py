"""The operator's side: CLI for the first organisations and admins, the demo seed, the
notifier's authenticated reads, and the equal cost of every failed login."""

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from services.identity import cli
from services.identity.passwords import Passwords
from services.identity.settings import IdentitySettings
from services.identity.store import Organisation
from shared import demo
from tests.identity.conftest import PASSWORD, Identity, drain_and_stop, events_of, token_of
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import Platform


async def test_operator_cli_creates_an_organisation_and_invites_its_first_admin__TOM_T2a(
    identity: Identity,
) -> None:
    settings = identity.authority.settings
    organisation_id = await cli.run(
        ["create-organisation", "--name", "Gemeente Utopia", "--kind", "controller"], settings
    )
    uuid.UUID(organisation_id)
    printed = await cli.run(
        ["create-admin", "--organisation", organisation_id, "--email", "Chief@Utopia.example"],
        settings,
    )
    assert "chief@utopia.example" in printed
    link = printed.rsplit(" ", 1)[1]
    assert (await identity.accept(link, PASSWORD)).status_code == 204
    admin = await identity.login_account("chief@utopia.example", PASSWORD)
    assert admin.organisation_id == organisation_id
    [created] = await events_of(
        identity.platform, "dpa.identity.organisation.created.v1", organisation_id=organisation_id
    )
    assert created.actor_id == "operator-cli"
    with pytest.raises(SystemExit):
        await cli.run(
            ["create-admin", "--organisation", organisation_id, "--password", "x"], settings
        )


async def test_cli_rotates_the_signing_key(identity: Identity) -> None:
    before = identity.authority.signer.public_jwk["kid"]
    printed = await cli.run(["rotate-signing-key"], identity.authority.settings)
    assert before not in printed
    await events_of(identity.platform, "dpa.identity.signing_key.created.v1", count=2)


async def test_demo_seed_invites_first_admins_once_and_prints_the_links_only_to_the_console(
    nats_server: NatsServer,
    database: Callable[[str], Database],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    identity_db = database("identity")
    for round_number in (1, 2):
        platform = Platform(
            nats_url=nats_server.url,
            database=lambda _: identity_db,
            var_dir=tmp_path / "var",
            demo_data=True,
        )
        await platform.start("identity")
        async with platform.runtime("identity").sessions() as session:
            seeded = set((await session.scalars(select(col(Organisation.id)))).all())
        await drain_and_stop(platform)
        assert {uuid.UUID(key) for key in demo.ORGANISATIONS} == seeded
        printed = capsys.readouterr().out
        lines = [line for line in printed.splitlines() if line.startswith("demo invitation")]
        if round_number == 1:
            assert len(lines) == 3
            assert any("admin@utopia.example" in line for line in lines)

            # Mailed, never printed: a printed link would be voided by the mail (issue 18.1).
            assert all(line.endswith(": mailed") for line in lines)
            assert "#token=" not in printed
        else:
            assert lines == []


async def test_notifier_reads_contacts_with_its_key_and_the_read_is_audited__TOM_T3a(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    headers = {"x-pactum-delivery-key": identity.authority.delivery_key}
    anonymous = await identity.client.get(f"/internal/users/{admin.user_id}/contact")
    assert anonymous.status_code == 401
    with_user_token = await identity.client.get(
        f"/internal/organisations/{admin.organisation_id}/admins", headers=admin.auth
    )
    assert with_user_token.status_code == 401
    contact = await identity.client.get(f"/internal/users/{admin.user_id}/contact", headers=headers)
    assert contact.json()["email"] == admin.email
    admins = await identity.client.get(
        f"/internal/organisations/{admin.organisation_id}/admins", headers=headers
    )
    assert [item["user_id"] for item in admins.json()["items"]] == [admin.user_id]
    viewed = await events_of(
        identity.platform, "dpa.identity.user.viewed.v1", actor_id="system:notifier"
    )
    assert viewed[0].organisation_id == admin.organisation_id


class CountingPasswords(Passwords):
    """The real hasher, counting how many argon2 verifications it ran."""

    verifications = 0

    def verify(self, stored: str | None, password: str) -> bool:
        CountingPasswords.verifications += 1
        return super().verify(stored, password)


async def test_every_failed_login_costs_one_argon2_verification__TOM_T5(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    await identity.client.post(f"/users/{member.user_id}/disable", headers=admin.auth)
    identity.authority.passwords = CountingPasswords()
    for email, password in (
        ("nobody@example.org", PASSWORD),  # unknown: a dummy hash is verified
        (admin.email, "wrong password here"),
        (member.email, PASSWORD),  # disabled
    ):
        CountingPasswords.verifications = 0
        assert (await identity.login(email, password)).status_code == 401
        assert CountingPasswords.verifications == 1, email


async def test_link_tokens_never_reach_events_or_logs(
    identity: Identity, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = await identity.admin()
    _, _, link = await identity.invite(admin)
    await identity.accept(link, PASSWORD)
    out = capsys.readouterr()
    assert token_of(link) not in out.out + out.err
    assert all(token_of(link) not in repr(e.data) for e in await identity.platform.audit_entries())


def test_settings_refuse_argon2_below_owasp_minimum__TOM_T10() -> None:
    with pytest.raises(ValueError, match="greater than or equal"):
        IdentitySettings(argon2_memory_kib=4096)
    with pytest.raises(ValueError, match="greater than or equal"):
        IdentitySettings(argon2_time_cost=1)
