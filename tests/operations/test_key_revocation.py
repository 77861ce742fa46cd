"""``pactum rotate-key token --revoke-now``: an emergency revocation of the token signing key
(issue 13.5). Identity and agreements run in this process on a real nats-server, agreements
verifying tokens against identity's JWKS as deployed; the command line runs as a subprocess."""

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.agreements.main import create_app as agreements_app
from services.identity.main import create_app as identity_app
from shared.auth import Role, TokenSigner, http_jwks
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.pactum_cli import environment, pactum
from tests.support.platform import ISSUER, Platform, eventually

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # each command is a fresh interpreter


@pytest.fixture
async def platform(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> AsyncIterator[Platform]:
    """Identity, and agreements trusting identity's own JWKS (not the tests' static key)."""
    running = Platform(nats_url=nats_server.url, database=database, var_dir=tmp_path / "var")
    async with running._stack:
        identity = identity_app(running.settings("identity"))
        await running._stack.enter_async_context(LifespanManager(identity, startup_timeout=30))
        to_identity = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=identity), base_url="http://identity"
        )
        await running._stack.enter_async_context(to_identity)
        jwks = http_jwks("http://identity/.well-known/jwks.json", client=to_identity)
        agreements = agreements_app(running.settings("agreements"), jwks=jwks)
        await running._stack.enter_async_context(LifespanManager(agreements, startup_timeout=30))
        to_agreements = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=agreements), base_url="http://agreements"
        )
        await running._stack.enter_async_context(to_agreements)
        running.apps |= {"identity": identity, "agreements": agreements}
        running.clients |= {"identity": to_identity, "agreements": to_agreements}
        yield running


def _signed_by_identity_key(platform: Platform) -> tuple[str, str]:
    """A token signed with the key identity signs with now (read from its key file), and its id."""
    settings = platform.runtime("identity").settings
    key = (Path(settings.var_dir) / "identity" / "signing-key.pem").read_bytes()
    signer = TokenSigner.from_pem(key, issuer=ISSUER, audience=settings.token_audience)
    token = signer.issue(user_id="u-1", organisation_id=str(uuid.uuid4()), roles=[Role.admin])
    return token, signer.public_jwk["kid"]


async def test_revoke_now_stops_the_old_key_everywhere_within_seconds__TOM_32b(
    platform: Platform,
) -> None:
    agreements = platform.clients["agreements"]
    old_token, old_kid = _signed_by_identity_key(platform)
    headers = {"Authorization": f"Bearer {old_token}"}
    assert (await agreements.get("/agreements", headers=headers)).status_code == 200

    ran = await pactum(environment(platform), "rotate-key", "token", "--revoke-now")
    assert ran.code == 0, ran.err
    assert f"revoked at once: {old_kid}" in ran.out

    async def refused() -> bool:
        answer = await agreements.get("/agreements", headers=headers)
        return answer.status_code == 401

    # Within seconds of the command's answer (its own start-up is an interpreter's, not counted).
    await eventually(refused, within=10)

    # Identity serves only the new key and signs with it at once, no restart; its tokens work.
    served = (await platform.clients["identity"].get("/.well-known/jwks.json")).json()["keys"]
    authority = platform.apps["identity"].state.authority
    new_kid = authority.signer.public_jwk["kid"]
    assert [key["kid"] for key in served] == [new_kid] != [old_kid]
    new_token = authority.signer.issue(
        user_id="u-2", organisation_id=str(uuid.uuid4()), roles=[Role.admin]
    )
    answer = await agreements.get("/agreements", headers={"Authorization": f"Bearer {new_token}"})
    assert answer.status_code == 200
    # A token of the revoked key is refused even when the JWKS is fetched anew.
    assert (await agreements.get("/agreements", headers=headers)).status_code == 401


async def test_revoke_now_is_recorded_as_an_event_per_revoked_key(platform: Platform) -> None:
    _, old_kid = _signed_by_identity_key(platform)
    env = environment(platform)
    assert (await pactum(env, "rotate-key", "token")).code == 0  # a normal rotation: kept a day
    _, middle_kid = _signed_by_identity_key(platform)
    ran = await pactum(env, "rotate-key", "token", "--revoke-now", "--json")
    assert ran.code == 0, ran.err
    document = ran.json()
    assert sorted(document["revoked"]) == sorted([old_kid, middle_kid])
    assert document["published"] is True and document["key_id"] not in document["revoked"]

    from sqlalchemy import select

    from shared.outbox import OutboxMessage

    async with platform.runtime("identity").sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.event_type == "dpa.identity.signing_key.revoked.v1"  # type: ignore[arg-type]
                )
            )
        ).all()
    assert sorted(row.subject for row in rows) == ["dpa.platform.identity.signing_key.revoked"] * 2
    assert all(row.published_at is not None for row in rows)


async def test_revoke_now_on_the_checkpoint_key_is_bad_usage_and_changes_nothing(
    platform: Platform,
) -> None:
    token, _ = _signed_by_identity_key(platform)
    ran = await pactum(environment(platform), "rotate-key", "checkpoint", "--revoke-now")
    assert ran.code == 2
    assert "token keys only" in ran.err
    answer = await platform.clients["agreements"].get(
        "/agreements", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200


async def test_revoke_now_without_nats_exits_1_and_identity_publishes_it_later(
    platform: Platform,
) -> None:
    """The command cannot reach NATS: it says so (exit 1), the revocation is recorded, and the
    running identity's relay publishes it, so the old key still stops working."""
    old_token, old_kid = _signed_by_identity_key(platform)
    headers = {"Authorization": f"Bearer {old_token}"}
    agreements = platform.clients["agreements"]
    assert (await agreements.get("/agreements", headers=headers)).status_code == 200
    env = environment(platform) | {"PACTUM_NATS_URL": "nats://127.0.0.1:1"}
    ran = await pactum(env, "rotate-key", "token", "--revoke-now")
    assert ran.code == 1
    assert "recorded but not published" in ran.err
    assert old_kid in ran.out

    async def refused() -> bool:
        return (await agreements.get("/agreements", headers=headers)).status_code == 401

    await eventually(refused, within=10)
