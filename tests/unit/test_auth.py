"""Token verification against a JWKS (ASVS 6, 7): keys, claims, algorithms, rotation."""

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest

from shared.auth import InvalidToken, Role, TokenSigner, TokenVerifier
from shared.events import new_event
from shared.events.contracts.agreements import AgreementsListed

ORG = "5b0f7c6e-3f7e-4c59-9d55-3c1f1b7a2c11"


def _verifier(*signers: TokenSigner, fetches: list[int] | None = None) -> TokenVerifier:
    async def jwks() -> dict[str, Any]:
        if fetches is not None:
            fetches.append(1)
        return {"keys": [signer.public_jwk for signer in signers]}

    return TokenVerifier(jwks=jwks, issuer="iss", audience="aud", min_refetch_seconds=0)


async def test_valid_token_yields_the_principal() -> None:
    signer = TokenSigner.generate(issuer="iss", audience="aud")
    token = signer.issue(user_id="u-1", organisation_id=ORG, roles=[Role.admin], session_id="s-1")
    principal = await _verifier(signer).verify(token)
    assert (principal.user_id, principal.organisation_id, principal.session_id) == (
        "u-1",
        ORG,
        "s-1",
    )
    assert principal.roles == {Role.admin}
    assert principal.actor.organisation_id == ORG


@pytest.mark.parametrize(
    "change",
    [
        {"ttl": timedelta(seconds=-120)},
        {"roles": ["superuser"]},
        {"organisation_id": "not-an-organisation"},
        {"organisation_kind": "root"},
    ],
)
async def test_tokens_with_bad_claims_are_refused(change: dict[str, Any]) -> None:
    signer = TokenSigner.generate(issuer="iss", audience="aud")
    claims: dict[str, Any] = {"user_id": "u", "organisation_id": ORG, "roles": ["admin"]} | change
    with pytest.raises(InvalidToken):
        await _verifier(signer).verify(signer.issue(**claims))


async def test_the_name_claim_names_the_actor_of_the_events_a_person_causes() -> None:
    signer = TokenSigner.generate(issuer="iss", audience="aud")
    token = signer.issue(user_id="u", organisation_id=ORG, roles=["admin"], name="Jan Peeters")
    principal = await _verifier(signer).verify(token)
    assert principal.display_name == "Jan Peeters"
    envelope = new_event(
        source="/dpa/agreements",
        type="dpa.agreements.agreement.listed.v1",
        tenant=ORG,
        actor=principal.actor,
        data=AgreementsListed(agreement_ids=[]),
    )
    assert envelope.actorname == "Jan Peeters" and envelope.actor.name == "Jan Peeters"
    unnamed = await _verifier(signer).verify(
        signer.issue(user_id="u", organisation_id=ORG, roles=["admin"])
    )
    assert unnamed.display_name is None and unnamed.actor.name is None


@pytest.mark.parametrize(
    ("claims", "operator_admin"),
    [
        ({"organisation_kind": "operator"}, True),
        ({"organisation_kind": "operator", "roles": ["member"]}, False),
        ({"organisation_kind": "operator", "grant_id": "g-1"}, False),
        ({"organisation_kind": "controller"}, False),
        ({}, False),  # a token from before identity carried the kind
    ],
)
async def test_the_organisation_kind_claim_tells_the_operators_admins(
    claims: dict[str, Any], operator_admin: bool
) -> None:
    signer = TokenSigner.generate(issuer="iss", audience="aud")
    token = signer.issue(**({"user_id": "u", "organisation_id": ORG, "roles": ["admin"]} | claims))
    principal = await _verifier(signer).verify(token)
    assert principal.organisation_kind == claims.get("organisation_kind")
    assert principal.is_operator_admin is operator_admin


async def test_token_of_another_issuer_is_refused() -> None:
    signer = TokenSigner.generate(issuer="someone-else", audience="aud")
    with pytest.raises(InvalidToken, match="Issuer"):
        await _verifier(signer).verify(signer.issue(user_id="u", organisation_id=ORG, roles=[]))


async def test_rotated_key_is_fetched_once_on_an_unknown_key_id() -> None:
    old, new = (TokenSigner.generate(issuer="iss", audience="aud") for _ in range(2))
    fetches: list[int] = []
    keys = [old]

    async def jwks() -> dict[str, Any]:
        fetches.append(1)
        return {"keys": [signer.public_jwk for signer in keys]}

    verifier = TokenVerifier(jwks=jwks, issuer="iss", audience="aud", min_refetch_seconds=0)
    await verifier.verify(old.issue(user_id="u", organisation_id=ORG, roles=[]))
    keys.append(new)
    await verifier.verify(new.issue(user_id="u", organisation_id=ORG, roles=[]))
    await verifier.verify(new.issue(user_id="u", organisation_id=ORG, roles=[]))
    assert len(fetches) == 2


async def test_unreachable_jwks_refuses_tokens_rather_than_failing_open() -> None:
    async def down() -> dict[str, Any]:
        raise ConnectionError("identity is down")

    signer = TokenSigner.generate(issuer="iss", audience="aud")
    verifier = TokenVerifier(jwks=down, issuer="iss", audience="aud")
    with pytest.raises(InvalidToken):
        await verifier.verify(signer.issue(user_id="u", organisation_id=ORG, roles=[]))


def test_signing_key_round_trips_through_pem() -> None:
    signer = TokenSigner.generate(issuer="iss", audience="aud")
    again = TokenSigner.from_pem(signer.to_pem(), issuer="iss", audience="aud")
    assert again.public_jwk == signer.public_jwk


class _Revoked:
    def __init__(self) -> None:
        self.sessions: set[str] = set()

    def is_revoked(self, *, session_id: str, grant_id: str | None) -> bool:
        return session_id in self.sessions


async def test_a_remembered_token_is_refused_once_its_session_is_revoked() -> None:
    signer = TokenSigner.generate(issuer="iss", audience="aud")
    revoked = _Revoked()
    verifier = _verifier(signer)
    verifier.revocations = revoked
    token = signer.issue(user_id="u", organisation_id=ORG, roles=[], session_id="s-1")
    assert (await verifier.verify(token)).session_id == "s-1"
    revoked.sessions.add("s-1")
    with pytest.raises(InvalidToken, match="revoked"):
        await verifier.verify(token)


async def test_a_remembered_token_is_refused_once_it_expired() -> None:
    signer = TokenSigner.generate(issuer="iss", audience="aud")
    verifier = _verifier(signer)
    token = signer.issue(user_id="u", organisation_id=ORG, roles=[], ttl=timedelta(minutes=10))
    await verifier.verify(token)
    verifier.leeway_seconds = -3600  # the clock as if an hour had passed: the token expired
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_a_remembered_token_is_verified_again_when_its_key_leaves_the_jwks() -> None:
    old, new = (TokenSigner.generate(issuer="iss", audience="aud") for _ in range(2))
    keys = [old]

    async def jwks() -> dict[str, Any]:
        return {"keys": [signer.public_jwk for signer in keys]}

    verifier = TokenVerifier(jwks=jwks, issuer="iss", audience="aud", cache_seconds=0)
    token = old.issue(user_id="u", organisation_id=ORG, roles=[])
    await verifier.verify(token)
    keys[:] = [new]  # the old key was retired; the keys are stale at once (cache_seconds=0)
    with pytest.raises(InvalidToken, match="unknown key id"):
        await verifier.verify(token)


async def test_a_failing_jwks_is_backed_off_and_the_keys_at_hand_serve__ASVS_13() -> None:
    """Issue 13: ten requests against a failing JWKS took 5 s and 11 fetches, each request
    waiting for a fetch of its own. Now one fetch fails, and the keys at hand answer the rest
    while the verifier backs off; a key id it does not know is refused without a fetch."""
    signer = TokenSigner.generate(issuer="iss", audience="aud")
    fetches: list[float] = []
    up = True

    async def jwks() -> dict[str, Any]:
        fetches.append(time.monotonic())
        if not up:
            await asyncio.sleep(0.2)  # a slow failure, like a timeout
            raise ConnectionError("identity is down")
        return {"keys": [signer.public_jwk]}

    verifier = TokenVerifier(jwks=jwks, issuer="iss", audience="aud", cache_seconds=0)
    await verifier.verify(signer.issue(user_id="u", organisation_id=ORG, roles=[]))
    up = False
    started = time.monotonic()
    tokens = [signer.issue(user_id=f"u-{n}", organisation_id=ORG, roles=[]) for n in range(10)]
    for token in tokens[:5]:
        await verifier.verify(token)
    await asyncio.gather(*(verifier.verify(token) for token in tokens[5:]))
    assert time.monotonic() - started < 1.0
    assert len(fetches) == 2  # the first, and one failure; then backing off
    stranger = TokenSigner.generate(issuer="iss", audience="aud")
    with pytest.raises(InvalidToken, match="unknown key id"):
        await verifier.verify(stranger.issue(user_id="u", organisation_id=ORG, roles=[]))
    assert len(fetches) == 2

    up = True
    await asyncio.sleep(verifier.retry_seconds + 0.05)
    await verifier.verify(signer.issue(user_id="again", organisation_id=ORG, roles=[]))
    assert len(fetches) == 3  # the backoff ended: fetched again, and it worked


async def test_keys_too_long_past_their_time_are_not_trusted_while_the_jwks_fails() -> None:
    signer = TokenSigner.generate(issuer="iss", audience="aud")
    up = True

    async def jwks() -> dict[str, Any]:
        if not up:
            raise ConnectionError("identity is down")
        return {"keys": [signer.public_jwk]}

    verifier = TokenVerifier(
        jwks=jwks, issuer="iss", audience="aud", cache_seconds=0, stale_grace_seconds=0
    )
    await verifier.verify(signer.issue(user_id="u", organisation_id=ORG, roles=[]))
    up = False
    with pytest.raises(InvalidToken, match="too old"):
        await verifier.verify(signer.issue(user_id="v", organisation_id=ORG, roles=[]))


async def test_a_dropped_key_is_refused_at_once_even_while_the_jwks_still_lists_it() -> None:
    """An emergency key revocation reaches a service before its JWKS cache expires (the default
    refetch limit of 10 s on unknown key ids applies): the remembered token of the dropped key is
    refused, a refetch that still lists the key does not bring it back, and the new key that
    replaced it is fetched at once."""
    old, new = (TokenSigner.generate(issuer="iss", audience="aud") for _ in range(2))
    fetches: list[int] = []
    keys = [old]

    async def jwks() -> dict[str, Any]:
        fetches.append(1)
        return {"keys": [signer.public_jwk for signer in keys]}

    verifier = TokenVerifier(jwks=jwks, issuer="iss", audience="aud")
    token = old.issue(user_id="u", organisation_id=ORG, roles=[])
    await verifier.verify(token)
    keys.append(new)  # identity has not taken the old key out yet
    verifier.drop_key(old.public_jwk["kid"])
    with pytest.raises(InvalidToken, match="unknown key id"):
        await verifier.verify(token)
    principal = await verifier.verify(new.issue(user_id="u2", organisation_id=ORG, roles=[]))
    assert principal.user_id == "u2"
    with pytest.raises(InvalidToken, match="unknown key id"):
        await verifier.verify(token)
    assert len(fetches) == 2  # the first, and the refetch for the new key: no storm
