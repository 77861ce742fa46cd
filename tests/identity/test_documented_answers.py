"""What API fuzzing (tests/security/test_fuzzing.py) found in identity, kept fixed."""

import uuid

from tests.identity.conftest import Identity
from tests.support.documents import openapi
from tests.support.platform import Platform


async def test_a_token_of_an_organisation_identity_does_not_know_gets_401_not_500__ASVS_8_4_1(
    identity_platform: Platform,
) -> None:
    client = identity_platform.clients["identity"]
    headers = identity_platform.auth(str(uuid.uuid4()))
    assert (await client.get("/policy", headers=headers)).status_code == 401
    changed = await client.patch("/policy", json={"min_length": 14}, headers=headers)
    assert changed.status_code == 401


async def test_internal_routes_refuse_and_document_a_missing_delivery_key(
    identity_platform: Platform,
) -> None:
    client = identity_platform.clients["identity"]
    response = await client.get(f"/internal/organisations/{uuid.uuid4()}/admins")
    assert response.status_code == 401
    paths = openapi("identity")["paths"]
    for path, operations in paths.items():
        if path.startswith("/internal/"):
            for operation in operations.values():
                assert "401" in operation["responses"], path


async def test_a_policy_field_set_to_null_is_refused_not_a_server_error__ASVS_8_4_1(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    for field in ("min_length", "password_history", "mfa", "lock_threshold", "lock_minutes"):
        response = await identity.client.patch("/policy", json={field: None}, headers=admin.auth)
        assert response.status_code == 422, (field, response.text)
        assert "cannot be null" in response.text
    never = await identity.client.patch(
        "/policy", json={"permanent_after": None}, headers=admin.auth
    )
    assert never.status_code == 200, never.text
