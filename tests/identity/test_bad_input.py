"""Nothing a caller sends yields a 500: every identity route, with and without a token, with
garbage bodies and paths."""

import uuid

from tests.identity.conftest import Identity

GARBAGE: list[object] = [None, [], "text", {"unexpected": True}, {"email": 5, "password": None}]


async def test_no_route_answers_500_to_garbage(identity: Identity) -> None:
    admin = await identity.admin()
    paths: dict[str, dict[str, object]] = identity.platform.apps["identity"].openapi()["paths"]
    routes = [(path, method.upper()) for path, item in paths.items() for method in item]
    assert len(routes) > 25
    for template, method in routes:  # first, while the admin's session lives
        bad_id = template.replace("{user_id}", "not-a-uuid").replace("{grant_id}", "not-a-uuid")
        if "not-a-uuid" in bad_id and not bad_id.startswith("/internal"):
            response = await identity.client.request(method, bad_id, headers=admin.auth)
            assert response.status_code in {403, 404, 422}, (method, bad_id)
    for template, method in routes:  # logout among them ends the admin's session: last
        path = template
        for name in ("user_id", "grant_id", "link_id", "organisation_id"):
            path = path.replace("{" + name + "}", str(uuid.uuid4()))
        for headers in ({}, admin.auth, {"Authorization": "Bearer garbage"}):
            for body in GARBAGE:
                response = await identity.client.request(method, path, json=body, headers=headers)
                assert response.status_code < 500, (method, path, body)


async def test_undecodable_login_body_gets_a_clear_4xx(identity: Identity) -> None:
    response = await identity.client.post(
        "/login", content=b"\x00\xff not json", headers={"content-type": "application/json"}
    )
    assert response.status_code in {400, 422}
    assert "parsing the body" in response.text
    oversized = await identity.client.post(
        "/login", json={"email": "a@example.org", "password": "x" * 10_000}
    )
    assert oversized.status_code == 422
