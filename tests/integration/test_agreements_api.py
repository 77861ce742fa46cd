"""The agreements API refuses bad input and foreign callers, and changes nothing when it does."""

import uuid
from datetime import timedelta

import jwt
import pytest

from services.agreements.lifecycle.store import Agreement
from shared.auth import Role, TokenSigner
from shared.outbox import OutboxMessage
from tests.agreements.organisations import introduce, new_organisation
from tests.support.platform import AUDIENCE, ISSUER, Platform


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Field required"),
        ({"title": ""}, "at least 1 character"),
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"title": "   "}, "title must contain visible characters"),
        ({"title": "ok", "counterparty_id": "not-a-uuid"}, "valid UUID"),
        ({"title": "ok", "owner": "someone"}, "Extra inputs are not permitted"),
        ([1, 2], "valid dictionary"),
    ],
)
async def test_invalid_agreement_gets_422_with_a_clear_message_and_changes_nothing(
    platform: Platform, body: object, message: str
) -> None:
    response = await platform.clients["agreements"].post(
        "/agreements", json=body, headers=platform.auth(str(uuid.uuid4()))
    )
    assert response.status_code == 422
    assert message in response.text
    assert await platform.count("agreements", Agreement) == 0
    assert await platform.count("agreements", OutboxMessage) == 0


async def test_agreement_with_own_organisation_as_counterparty_is_refused(
    platform: Platform,
) -> None:
    organisation = str(uuid.uuid4())
    response = await platform.clients["agreements"].post(
        "/agreements",
        json={"title": "Self", "counterparty_id": organisation},
        headers=platform.auth(organisation),
    )
    assert response.status_code == 422
    assert "another organisation" in response.json()["detail"]
    assert await platform.count("agreements", OutboxMessage) == 0


async def test_undecodable_body_gets_a_clear_4xx(platform: Platform) -> None:
    response = await platform.clients["agreements"].post(
        "/agreements",
        content=b"\x00\xff not json",
        headers=platform.auth(str(uuid.uuid4())) | {"content-type": "application/json"},
    )
    assert response.status_code == 400  # as the OpenAPI document says (FastAPI's own: 422)
    assert response.json()["code"] == "invalid_json"
    assert await platform.count("agreements", OutboxMessage) == 0


def _forged_tokens(platform: Platform) -> dict[str, str]:
    organisation = str(uuid.uuid4())
    stranger = TokenSigner.generate(issuer=ISSUER, audience=AUDIENCE)
    good = platform.token(organisation)
    claims = jwt.decode(good, options={"verify_signature": False})
    return {
        "no token": "",
        "not a JWT": "Bearer definitely-not-a-jwt",
        "other key": "Bearer "
        + stranger.issue(user_id="u", organisation_id=organisation, roles=["admin"]),
        "expired": "Bearer "
        + platform.signer.issue(
            user_id="u", organisation_id=organisation, roles=["admin"], ttl=timedelta(minutes=-5)
        ),
        "alg none": "Bearer " + jwt.encode(claims, key="", algorithm="none"),
        "HS256 with the public key": "Bearer "
        + jwt.encode(claims, platform.signer.public_jwk["x"], algorithm="HS256"),
        "wrong audience": "Bearer "
        + TokenSigner(platform.signer.private_key, ISSUER, "elsewhere").issue(
            user_id="u", organisation_id=organisation, roles=["admin"]
        ),
        "tampered": "Bearer " + good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "basic scheme": "Basic dXNlcjpwYXNz",
    }


async def test_requests_without_a_valid_token_get_a_generic_401(platform: Platform) -> None:
    client = platform.clients["agreements"]
    for name, authorization in _forged_tokens(platform).items():
        headers = {"Authorization": authorization} if authorization else {}
        for response in (
            await client.post("/agreements", json={"title": "x"}, headers=headers),
            await client.get("/agreements", headers=headers),
        ):
            assert response.status_code == 401, name
            assert response.json()["detail"] == "Not authenticated", name
            assert response.json()["code"] == "unauthenticated", name
            assert response.headers["www-authenticate"] == "Bearer"
    assert await platform.count("agreements", OutboxMessage) == 0


async def test_another_organisations_agreement_is_not_found__ASVS_8_4_1(platform: Platform) -> None:
    owner, stranger = await new_organisation(platform), str(uuid.uuid4())
    client = platform.clients["agreements"]
    created = await client.post("/agreements", json={"title": "Ours"}, headers=platform.auth(owner))
    agreement_id = created.json()["id"]

    foreign = await client.get(f"/agreements/{agreement_id}", headers=platform.auth(stranger))
    missing = await client.get(f"/agreements/{uuid.uuid4()}", headers=platform.auth(stranger))
    listed = await client.get("/agreements", headers=platform.auth(stranger))

    assert foreign.status_code == missing.status_code == 404
    # Existence does not leak: the same problem, but for the path each request named.
    assert {**foreign.json(), "instance": ""} == {**missing.json(), "instance": ""}
    assert listed.json() == {"items": [], "next_cursor": None}
    assert (
        await client.get(f"/agreements/{agreement_id}", headers=platform.auth(owner))
    ).status_code == 200


async def test_counterparty_reads_the_agreement_it_is_party_to(platform: Platform) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await introduce(platform, {controller: "controller", processor: "processor"})
    client = platform.clients["agreements"]
    created = await client.post(
        "/agreements",
        json={"title": "Ours", "counterparty_id": processor},
        headers=platform.auth(controller),
    )
    read = await client.get(
        f"/agreements/{created.json()['id']}", headers=platform.auth(processor, [Role.member])
    )
    assert read.status_code == 200


async def test_only_admins_create_agreements__TOM_T2e(platform: Platform) -> None:
    organisation = str(uuid.uuid4())
    for role in (Role.member, Role.auditor):
        response = await platform.clients["agreements"].post(
            "/agreements", json={"title": "x"}, headers=platform.auth(organisation, [role])
        )
        assert response.status_code == 403
    assert await platform.count("agreements", OutboxMessage) == 0


async def test_malformed_agreement_id_gets_422(platform: Platform) -> None:
    response = await platform.clients["agreements"].get(
        "/agreements/../../etc", headers=platform.auth(str(uuid.uuid4()))
    )
    assert response.status_code in {404, 422}
    response = await platform.clients["agreements"].get(
        "/agreements/123", headers=platform.auth(str(uuid.uuid4()))
    )
    assert response.status_code == 422
    assert await platform.count("agreements", OutboxMessage) == 0
