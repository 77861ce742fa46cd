"""Sessions and tokens: short-lived signed access tokens, rotating refresh tokens with reuse
detection, logout, revocation that reaches every service, JWKS with rotation."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import select, update
from sqlmodel import col

from services.identity.domain import device_digest
from services.identity.keys import record_signing_key, rotate_signer
from services.identity.store import KnownDevice, RefreshToken
from shared.auth import TokenVerifier
from tests.identity.conftest import EVERYWHERE, PASSWORD, Identity, assert_no_secret, events_of
from tests.support.platform import AUDIENCE, ISSUER, eventually


async def test_access_token_is_short_lived_eddsa_with_session_and_methods(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    header = jwt.get_unverified_header(admin.access_token)
    claims = jwt.decode(admin.access_token, options={"verify_signature": False})
    assert header["alg"] == "EdDSA"
    assert claims["sid"] == admin.session_id
    assert claims["org"] == admin.organisation_id
    assert claims["roles"] == ["admin"]
    assert claims["amr"] == ["pwd"]
    assert (
        timedelta(minutes=4)
        < timedelta(seconds=claims["exp"] - claims["iat"])
        <= timedelta(minutes=10)
    )
    jwks = (await identity.client.get("/.well-known/jwks.json")).json()
    verifier = TokenVerifier(jwks=lambda: _value(jwks), issuer=ISSUER, audience=AUDIENCE)
    principal = await verifier.verify(admin.access_token)
    assert principal.methods == ("pwd",)


async def _value(document: dict[str, object]) -> dict[str, object]:
    return document


async def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    first = await identity.client.post(
        "/sessions/refresh", json={"refresh_token": admin.refresh_token}
    )
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != admin.refresh_token
    assert rotated["session_id"] == admin.session_id

    stolen = await identity.client.post(
        "/sessions/refresh", json={"refresh_token": admin.refresh_token}
    )
    assert stolen.status_code == 401
    # The legitimate holder's newer token dies with the session: the thief gained nothing.
    after = await identity.client.post(
        "/sessions/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert after.status_code == 401
    fresh = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert (await identity.client.get("/me", headers=fresh)).status_code == 401
    [revoked] = await events_of(identity.platform, "dpa.identity.session.revoked.v1")
    assert revoked.data["reason"] == "refresh_token_reused"
    await events_of(identity.platform, "dpa.identity.session.updated.v1")


@pytest.mark.parametrize("services", [EVERYWHERE])
async def test_logout_ends_the_session_in_every_service_before_the_token_expires(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    other = await identity.login_account(admin.email, "correct horse battery staple")
    agreements = identity.platform.clients["agreements"]
    assert (await agreements.get("/agreements", headers=admin.auth)).status_code == 200
    assert (await identity.client.post("/sessions/logout", headers=admin.auth)).status_code == 204
    assert (await identity.client.get("/me", headers=admin.auth)).status_code == 401

    async def refused() -> bool:
        return (await agreements.get("/agreements", headers=admin.auth)).status_code == 401

    await eventually(refused)
    assert (await agreements.get("/agreements", headers=other.auth)).status_code == 200
    refresh = await identity.client.post(
        "/sessions/refresh", json={"refresh_token": admin.refresh_token}
    )
    assert refresh.status_code == 401


async def test_a_service_started_after_a_revocation_still_refuses_the_session(
    identity: Identity, tmp_path: Path
) -> None:
    admin = await identity.admin()
    assert (await identity.client.post("/sessions/logout", headers=admin.auth)).status_code == 204
    await events_of(identity.platform, "dpa.identity.session.revoked.v1")
    platform = identity.platform
    late = type(platform)(
        nats_url=platform.nats_url, database=platform.database, var_dir=tmp_path / "late"
    )
    late.signer = platform.signer
    await late.start("agreements")
    try:

        async def refused() -> bool:
            answer = await late.clients["agreements"].get("/agreements", headers=admin.auth)
            return answer.status_code == 401

        await eventually(refused)
    finally:
        await late.stop()


async def test_jwks_serves_the_retired_key_after_rotation(identity: Identity) -> None:
    admin = await identity.admin()
    authority = identity.authority
    settings = authority.settings
    old, new = rotate_signer(
        settings.signing_key_path, issuer=settings.token_issuer, audience=settings.token_audience
    )
    authority.signer = new
    async with identity.platform.runtime("identity").sessions() as session:
        await record_signing_key(session, authority)
    kids = {
        key["kid"] for key in (await identity.client.get("/.well-known/jwks.json")).json()["keys"]
    }
    assert kids == {old.public_jwk["kid"], new.public_jwk["kid"]}
    # Tokens signed before the rotation still verify; new ones carry the new key id.
    assert (await identity.client.get("/me", headers=admin.auth)).status_code == 200
    fresh = await identity.login_account(admin.email, admin.password)
    assert jwt.get_unverified_header(fresh.access_token)["kid"] == new.public_jwk["kid"]
    assert (await identity.client.get("/me", headers=fresh.auth)).status_code == 200
    await events_of(identity.platform, "dpa.identity.signing_key.created.v1", count=2)


async def test_bad_refresh_input_is_refused_without_a_500(identity: Identity) -> None:
    bodies: list[object] = [{}, {"refresh_token": "short"}, {"refresh_token": 5}, []]
    for body in bodies:
        response = await identity.client.post("/sessions/refresh", json=body)
        assert response.status_code == 422
    unknown = await identity.client.post("/sessions/refresh", json={"refresh_token": "x" * 43})
    assert unknown.status_code == 401


async def test_users_see_and_end_their_own_sessions__ASVS_7_5_2(identity: Identity) -> None:
    admin = await identity.admin()
    other = await identity.login_account(admin.email, admin.password)
    listed = await identity.client.get("/me/sessions", headers=admin.auth)
    items = listed.json()["items"]
    assert {item["id"] for item in items} == {admin.session_id, other.session_id}
    assert [item["id"] for item in items if item["current"]] == [admin.session_id]
    ended = await identity.client.delete(f"/me/sessions/{other.session_id}", headers=admin.auth)
    assert ended.status_code == 204
    assert (await identity.client.get("/me", headers=other.auth)).status_code == 401
    assert (await identity.client.get("/me", headers=admin.auth)).status_code == 200
    again = await identity.client.delete(f"/me/sessions/{other.session_id}", headers=admin.auth)
    assert again.status_code == 404
    stranger = await identity.admin()
    theirs = await identity.client.delete(f"/me/sessions/{stranger.session_id}", headers=admin.auth)
    assert theirs.status_code == 404
    assert (await identity.client.get("/me", headers=stranger.auth)).status_code == 200
    await events_of(identity.platform, "dpa.identity.session.listed.v1")


async def test_a_persons_token_and_the_log_name_them_while_their_key_lives__TOM_T3b(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    answer = await identity.client.post(
        "/users",
        json={"email": "jan@example.org", "role": "member", "display_name": "Jan Peeters"},
        headers=admin.auth,
    )
    assert answer.status_code == 201, answer.text
    link_id = await identity.last_link_id(answer.json()["id"])
    url = (await identity.deliver(link_id)).json()["url"]
    assert (await identity.accept(url, PASSWORD)).status_code == 204
    jan = await identity.login_account("jan@example.org", PASSWORD)
    assert jwt.decode(jan.access_token, options={"verify_signature": False})["name"] == (
        "Jan Peeters"
    )
    [login] = await events_of(
        identity.platform, "dpa.identity.login.succeeded.v1", actor_id=jan.user_id
    )
    assert "Jan Peeters" not in login.model_dump_json()  # sealed, not in clear

    async def told() -> str:
        page = await identity.platform.clients["audit"].get(
            "/audit/entries",
            params={"actor": jan.user_id, "action": "dpa.identity.login.", "lang": "nl"},
            headers=admin.auth,
        )
        items = page.json()["items"]
        return str(items[0]["sentence"]) if items else ""

    sentence = await eventually(told)
    assert sentence.startswith("Jan Peeters (Org ") and sentence.endswith(") meldde zich aan.")


async def _unused_for(identity: Identity, session_id: str, minutes: float) -> None:
    """The session's live refresh token was issued ``minutes`` ago: it has gone unused since."""
    async with identity.platform.runtime("identity").sessions() as session, session.begin():
        await session.execute(
            update(RefreshToken)
            .where(col(RefreshToken.session_id) == uuid.UUID(session_id))
            .values(issued_at=datetime.now(UTC) - timedelta(minutes=minutes))
        )


async def _refresh(identity: Identity, refresh_token: str) -> httpx.Response:
    return await identity.client.post("/sessions/refresh", json={"refresh_token": refresh_token})


@pytest.mark.parametrize("services", [EVERYWHERE])
async def test_a_session_unused_past_the_idle_timeout_ends_everywhere__ASVS_7_3_1(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    policy = await identity.client.get("/policy", headers=admin.auth)
    assert policy.json()["session_idle_minutes"] == 30  # the default
    busy = await identity.login_account(admin.email, PASSWORD)
    await _unused_for(identity, busy.session_id, 29)
    assert (await _refresh(identity, busy.refresh_token)).status_code == 200

    await _unused_for(identity, admin.session_id, 31)
    idle = await _refresh(identity, admin.refresh_token)
    assert idle.status_code == 401
    assert idle.json()["detail"] == "Not authenticated"  # the generic answer
    assert (await identity.client.get("/me", headers=admin.auth)).status_code == 401
    agreements = identity.platform.clients["agreements"]

    async def refused() -> bool:
        return (await agreements.get("/agreements", headers=admin.auth)).status_code == 401

    await eventually(refused)  # before the access token's own expiry
    [revoked] = await events_of(identity.platform, "dpa.identity.session.revoked.v1")
    assert revoked.data["reason"] == "idle"
    assert revoked.data["session_ids"] == [admin.session_id]


async def test_an_organisation_sets_its_idle_timeout_within_the_session_lifetime__ASVS_7_3_1(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    for wrong in (4, 24 * 60 + 1, "soon"):
        refused = await identity.client.patch(
            "/policy", json={"session_idle_minutes": wrong}, headers=admin.auth
        )
        assert refused.status_code == 422
    identity.authority.settings = identity.authority.settings.model_copy(
        update={"session_hours": 1}
    )
    longer = await identity.client.patch(
        "/policy", json={"session_idle_minutes": 61}, headers=admin.auth
    )
    assert longer.status_code == 422
    assert "session lifetime" in longer.json()["detail"]
    unchanged = await identity.client.get("/policy", headers=admin.auth)
    assert unchanged.json()["session_idle_minutes"] == 30

    set_ = await identity.client.patch(
        "/policy", json={"session_idle_minutes": 10}, headers=admin.auth
    )
    assert set_.status_code == 200
    assert set_.json()["session_idle_minutes"] == 10
    await _unused_for(identity, admin.session_id, 11)
    assert (await _refresh(identity, admin.refresh_token)).status_code == 401
    [updated] = await events_of(identity.platform, "dpa.identity.policy.updated.v1")
    assert updated.data["changed"] == ["session_idle_minutes"]


async def _sign_in(identity: Identity, email: str, *, agent: str, address: str) -> None:
    transport = httpx.ASGITransport(app=identity.platform.apps["identity"], client=(address, 5))
    async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
        answer = await client.post(
            "/login", json={"email": email, "password": PASSWORD}, headers={"user-agent": agent}
        )
    assert answer.status_code == 200 and "access_token" in answer.json(), answer.text


async def test_a_sign_in_from_a_new_browser_or_network_is_marked_for_its_owner__TOM_T2b(
    identity: Identity,
) -> None:
    """Issue 13.2: a sign-in from a new device is told to the user (the notifier mails it);
    identity tells one by the browser and the network, and keeps neither, only a digest."""
    admin = await identity.admin()  # the account's first device is no news
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
    await _sign_in(identity, admin.email, agent=firefox, address="192.0.2.10")
    await _sign_in(identity, admin.email, agent=firefox, address="192.0.2.10")  # known now
    await _sign_in(identity, admin.email, agent=firefox, address="2001:db8:5:6::1")
    await _sign_in(identity, admin.email, agent=firefox, address="2001:db8:5:6::99")  # its /64
    entries = await events_of(
        identity.platform, "dpa.identity.login.succeeded.v1", count=5, subject=admin.user_id
    )
    assert [entry.data["new_device"] for entry in entries] == [False, True, False, True, False]
    async with identity.platform.runtime("identity").sessions() as session:
        digests = (await session.scalars(select(col(KnownDevice.digest)))).all()
    assert len(digests) == 3
    assert_no_secret(await identity.platform.audit_entries(), "Firefox", "192.0.2.10")
    # Keyed (TOM-32a): the digest of a guessed browser and address matches none of them.
    guessed = device_digest(user_id=admin.user_id, agent=firefox, address="192.0.2.10")
    assert guessed not in digests


async def test_a_device_remembered_before_digests_were_keyed_is_still_known__TOM_T2b_TOM_32a(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36"
    unkeyed = device_digest(user_id=admin.user_id, agent=chrome, address="198.51.100.20")
    async with identity.platform.runtime("identity").sessions() as session, session.begin():
        (await session.scalars(select(KnownDevice))).one().digest = unkeyed  # as an old release
    await _sign_in(identity, admin.email, agent=chrome, address="198.51.100.20")
    entries = await events_of(
        identity.platform, "dpa.identity.login.succeeded.v1", count=2, subject=admin.user_id
    )
    assert entries[-1].data["new_device"] is False
    async with identity.platform.runtime("identity").sessions() as session:
        digests = (await session.scalars(select(col(KnownDevice.digest)))).all()
    assert len(digests) == 1 and unkeyed not in digests  # re-keyed as it was recognised
