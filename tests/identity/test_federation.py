"""An organisation's own identity provider (OpenID Connect federation, issue 13.4, TOM-T2b):
connected by its admin, then signed in at, against a real OpenID Provider (panva's certified
oidc-provider, tests/support/openid_provider.py), on a real nats-server and database.

Every refused sign-in answers the same 401 and opens no session.
"""

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import jwt
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from services.identity.settings import IdentitySettings
from services.identity.store import IdentityProvider, LoginSession, UserAccount
from tests.identity.conftest import (
    PASSWORD,
    Account,
    Identity,
    age_session,
    assert_no_secret,
    events_of,
)
from tests.support.openid_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    OpenIdProvider,
    Returned,
    running,
)

REDIRECT_URI = IdentitySettings.model_fields["federation_redirect_uri"].default
EID_HIGH = "urn:be:fedict:iam:fas:Level500"
GENERIC = "Sign-in with your organisation failed; start again from the sign-in page."


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIdProvider]:
    with running(REDIRECT_URI) as started:
        yield started


def settings(provider: OpenIdProvider, **changes: Any) -> dict[str, Any]:
    return {
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "allowed_domains": ["example.org"],
        "just_in_time": False,
        "mfa_acr": [EID_HIGH],
        "mfa_amr": ["mfa"],
    } | changes


async def connect(
    identity: Identity, admin: Account, provider: OpenIdProvider, **changes: Any
) -> dict[str, Any]:
    response = await identity.client.put(
        "/organisation/identity-provider", json=settings(provider, **changes), headers=admin.auth
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def start(identity: Identity, **by: str) -> dict[str, Any]:
    response = await identity.client.post("/login/organisation", json=by)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def organisation_with_member(
    identity: Identity, provider: OpenIdProvider, **changes: Any
) -> tuple[Account, Account]:
    """An admin who connected the provider (with ``changes``), and a member of theirs."""
    admin = await identity.admin()
    member = await identity.member(admin)
    await connect(identity, admin, provider, **changes)
    return admin, member


async def at_provider(
    identity: Identity, provider: OpenIdProvider, who: str, **claims: str
) -> tuple[dict[str, Any], Returned]:
    """A sign-in started by address, and the provider's answer after ``who`` signed in."""
    started = await start(identity, email=who)
    return started, await provider.sign_in(started["authorization_url"], who, **claims)


async def come_back(identity: Identity, returned: Returned, state: str | None = None) -> Any:
    return await identity.client.post(
        "/login/organisation/callback",
        json={"state": state or returned.state, "code": returned.code},
    )


async def sessions_of(identity: Identity, organisation_id: str) -> int:
    async with identity.platform.runtime("identity").sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(LoginSession)
            .where(col(LoginSession.organisation_id) == uuid.UUID(organisation_id))
        )
        return int(found or 0)


def amr(body: dict[str, Any]) -> list[str]:
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    return list(claims["amr"])


def refused(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["detail"] == GENERIC


async def test_an_admin_connects_the_provider_and_its_secret_is_kept_sealed__TOM_T2b(
    identity: Identity, provider: OpenIdProvider
) -> None:
    admin = await identity.admin()
    connected = await connect(identity, admin, provider)
    assert connected["issuer"] == provider.issuer
    assert connected["redirect_uri"] == REDIRECT_URI
    assert "client_secret" not in connected
    read = await identity.client.get("/organisation/identity-provider", headers=admin.auth)
    assert read.status_code == 200 and CLIENT_SECRET not in read.text
    async with identity.platform.runtime("identity").sessions() as session:
        stored = (await session.scalars(select(IdentityProvider))).one()
        assert CLIENT_SECRET not in stored.client_secret_sealed
    entries = await events_of(identity.platform, "dpa.identity.idp.connected.v1")
    assert entries[0].data["allowed_domains"] == ["example.org"]
    assert entries[0].data["secret_changed"] is True
    assert_no_secret(entries, CLIENT_SECRET)
    # A change without the secret keeps it: signing in still works with the stored one.
    await connect(identity, admin, provider, client_secret=None, just_in_time=True)
    started = await start(identity, organisation_id=admin.organisation_id)
    returned = await provider.sign_in(started["authorization_url"], admin.email, acr=EID_HIGH)
    assert (await come_back(identity, returned)).status_code == 200


async def test_connecting_or_disconnecting_the_provider_needs_a_recent_sign_in__TOM_T2b(
    identity: Identity, provider: OpenIdProvider
) -> None:
    """Whoever controls the provider controls who signs in: a session left open for an hour does
    not let whoever finds it connect their own provider, or disconnect the organisation's."""
    admin = await identity.admin()
    await age_session(identity, admin)
    path = "/organisation/identity-provider"
    stale = await identity.client.put(path, json=settings(provider), headers=admin.auth)
    assert stale.status_code == 403, stale.text
    assert "insufficient_user_authentication" in stale.headers["www-authenticate"]
    async with identity.platform.runtime("identity").sessions() as session:
        assert (await session.scalars(select(IdentityProvider))).all() == []

    stepped = await identity.client.post(
        "/me/step-up", json={"password": PASSWORD}, headers=admin.auth
    )
    assert stepped.status_code == 200, stepped.text
    await connect(identity, admin, provider)
    connected = await events_of(identity.platform, "dpa.identity.idp.connected.v1")
    assert len(connected) == 1  # the refused attempt emitted nothing
    await age_session(identity, admin)
    kept = await identity.client.delete(path, headers=admin.auth)
    assert kept.status_code == 403, kept.text
    assert (await identity.client.get(path, headers=admin.auth)).status_code == 200


async def test_only_an_admin_connects_and_bad_settings_change_nothing__TOM_T2a(
    identity: Identity, provider: OpenIdProvider
) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    answer = await identity.client.put(
        "/organisation/identity-provider", json=settings(provider), headers=member.auth
    )
    assert answer.status_code == 403
    for bad, field in (
        ({"allowed_domains": ["not a domain"]}, "allowed_domains"),
        ({"client_secret": None}, "client_secret"),
        ({"issuer": provider.issuer + "/?x=1"}, "issuer"),
        ({"email_claim": "e mail"}, "email_claim"),
    ):
        response = await identity.client.put(
            "/organisation/identity-provider",
            json=settings(provider, **bad),
            headers=admin.auth,
        )
        assert response.status_code == 422, response.text
        assert field in response.text
    missing = await identity.client.get("/organisation/identity-provider", headers=admin.auth)
    assert missing.status_code == 404
    gone = await identity.client.delete("/organisation/identity-provider", headers=admin.auth)
    assert gone.status_code == 404


async def test_a_provider_whose_discovery_names_another_issuer_is_refused(
    identity: Identity, provider: OpenIdProvider
) -> None:
    """The same provider reached as localhost: its document says 127.0.0.1 (a mix-up)."""
    admin = await identity.admin()
    other = f"http://localhost:{provider.port}"
    response = await identity.client.put(
        "/organisation/identity-provider",
        json=settings(provider, issuer=other),
        headers=admin.auth,
    )
    assert response.status_code == 422
    assert "another issuer" in response.json()["detail"]
    missing = await identity.client.get("/organisation/identity-provider", headers=admin.auth)
    assert missing.status_code == 404


async def test_a_member_signs_in_at_the_organisations_provider__TOM_T2b(
    identity: Identity, provider: OpenIdProvider
) -> None:
    _, member = await organisation_with_member(identity, provider)
    started = await start(identity, email=member.email)
    query = parse_qs(urlsplit(started["authorization_url"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert "code_verifier" not in query
    returned = await provider.sign_in(started["authorization_url"], member.email)
    assert returned.state == started["state"]
    response = await come_back(identity, returned)
    assert response.status_code == 200, response.text
    body = response.json()
    assert amr(body) == ["fed"]  # the provider reported a password only: not multi-factor
    me = await identity.client.get(
        "/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200 and me.json()["email"] == member.email
    entries = await events_of(identity.platform, "dpa.identity.federated_login.succeeded.v1")
    assert entries[0].data["user_id"] == member.user_id
    assert entries[0].data["provisioned"] is False
    assert entries[0].data["counted_as_mfa"] is False
    assert_no_secret(entries, returned.code, started["state"], CLIENT_SECRET)


async def test_the_providers_eid_level_counts_as_a_second_factor__TOM_T2b(
    identity: Identity, provider: OpenIdProvider
) -> None:
    _, member = await organisation_with_member(identity, provider)
    started = await start(identity, organisation_id=member.organisation_id)
    returned = await provider.sign_in(started["authorization_url"], member.email, acr=EID_HIGH)
    response = await come_back(identity, returned)
    assert response.status_code == 200, response.text
    assert amr(response.json()) == ["fed", "mfa"]
    entries = await events_of(identity.platform, "dpa.identity.federated_login.succeeded.v1")
    assert entries[0].data["counted_as_mfa"] is True
    assert entries[0].data["acr"] == EID_HIGH


async def test_a_person_without_an_account_is_provisioned_only_where_allowed(
    identity: Identity, provider: OpenIdProvider
) -> None:
    admin = await identity.admin()
    await connect(identity, admin, provider, just_in_time=False)
    newcomer = f"new-{uuid.uuid4().hex[:8]}@example.org"
    started = await start(identity, email=newcomer)
    refused(
        await come_back(identity, await provider.sign_in(started["authorization_url"], newcomer))
    )
    async with identity.platform.runtime("identity").sessions() as session:
        assert (
            await session.scalar(select(UserAccount).where(col(UserAccount.email) == newcomer))
            is None
        )

    await connect(identity, admin, provider, just_in_time=True, client_secret=None)
    started = await start(identity, email=newcomer)
    returned = await provider.sign_in(started["authorization_url"], newcomer)
    response = await come_back(identity, returned)
    assert response.status_code == 200, response.text
    async with identity.platform.runtime("identity").sessions() as session:
        user = await session.scalar(select(UserAccount).where(col(UserAccount.email) == newcomer))
        assert user is not None and user.role == "member" and user.password_hash is None
        assert str(user.organisation_id) == admin.organisation_id
    entries = await events_of(identity.platform, "dpa.identity.federated_login.succeeded.v1")
    assert entries[-1].data["provisioned"] is True


@pytest.mark.parametrize(
    "who",
    ["someone@elsewhere.example", "unverified.someone@example.org"],
    ids=["address outside the allowed domains", "address the provider did not verify"],
)
async def test_an_address_the_organisation_does_not_vouch_for_is_refused(
    identity: Identity, provider: OpenIdProvider, who: str
) -> None:
    admin = await identity.admin()
    await connect(identity, admin, provider, just_in_time=True)
    before = await sessions_of(identity, admin.organisation_id)
    started = await start(identity, organisation_id=admin.organisation_id)
    refused(await come_back(identity, await provider.sign_in(started["authorization_url"], who)))
    assert await sessions_of(identity, admin.organisation_id) == before
    failed = await events_of(identity.platform, "dpa.identity.login.failed.v1")
    assert any(entry.data["reason"] == "federation" for entry in failed)


async def test_a_code_brought_back_twice_is_refused_the_second_time(
    identity: Identity, provider: OpenIdProvider
) -> None:
    admin, member = await organisation_with_member(identity, provider)
    _started, returned = await at_provider(identity, provider, member.email)
    assert (await come_back(identity, returned)).status_code == 200
    before = await sessions_of(identity, admin.organisation_id)
    refused(await come_back(identity, returned))
    assert await sessions_of(identity, admin.organisation_id) == before


async def test_a_state_this_sign_in_did_not_send_is_refused(
    identity: Identity, provider: OpenIdProvider
) -> None:
    admin, member = await organisation_with_member(identity, provider)
    _started, returned = await at_provider(identity, provider, member.email)
    before = await sessions_of(identity, admin.organisation_id)
    refused(await come_back(identity, returned, state="an-attackers-own-state-0000000000"))
    assert await sessions_of(identity, admin.organisation_id) == before
    # The browser's own state still finishes: the wrong one used nothing up.
    assert (await come_back(identity, returned)).status_code == 200


async def test_an_id_token_for_another_nonce_is_refused(
    identity: Identity, provider: OpenIdProvider
) -> None:
    """The browser is sent to the provider with another nonce than identity chose (an injected
    authorization request): the provider signs that nonce, identity refuses it."""
    admin, member = await organisation_with_member(identity, provider)
    started = await start(identity, email=member.email)
    parts = urlsplit(started["authorization_url"])
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query["nonce"] = "a-nonce-identity-never-chose-000000000000"
    tampered = urlunsplit(parts._replace(query=urlencode(query)))
    before = await sessions_of(identity, admin.organisation_id)
    refused(await come_back(identity, await provider.sign_in(tampered, member.email)))
    assert await sessions_of(identity, admin.organisation_id) == before


async def test_a_disconnected_provider_signs_nobody_in(
    identity: Identity, provider: OpenIdProvider
) -> None:
    admin, member = await organisation_with_member(identity, provider)
    _started, returned = await at_provider(identity, provider, member.email)
    gone = await identity.client.delete("/organisation/identity-provider", headers=admin.auth)
    assert gone.status_code == 204
    refused(await come_back(identity, returned))
    nothing = await identity.client.post("/login/organisation", json={"email": member.email})
    refused(nothing)
    entries = await events_of(identity.platform, "dpa.identity.idp.disconnected.v1")
    assert entries[0].data["issuer"] == provider.issuer


async def test_where_everyone_needs_a_second_step_the_providers_password_alone_is_not_enough__TOM_T2b(  # noqa: E501
    identity: Identity, provider: OpenIdProvider
) -> None:
    admin, member = await organisation_with_member(identity, provider)
    policy = await identity.client.patch("/policy", json={"mfa": "everyone"}, headers=admin.auth)
    assert policy.status_code == 200, policy.text
    _, returned = await at_provider(identity, provider, member.email)
    response = await come_back(identity, returned)
    assert response.status_code == 200, response.text
    step = response.json()
    assert "access_token" not in step
    assert step["next"] in ("second_factor", "enrol_second_factor")
    assert step["methods"] == ["fed"]
    # The provider's eID level is the second step: signed in at once.
    _, returned = await at_provider(identity, provider, member.email, acr=EID_HIGH)
    response = await come_back(identity, returned)
    assert response.status_code == 200, response.text
    assert amr(response.json()) == ["fed", "mfa"]
