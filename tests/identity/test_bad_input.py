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
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_json"
    oversized = await identity.client.post(
        "/login", json={"email": "a@example.org", "password": "x" * 10_000}
    )
    assert oversized.status_code == 422


HOSTILE_NAMES = ["a\x00b", "tab\there", "two\nlines", "bell\x07", "sep\u2028arator", "c1\x85"]
BAD_ADDRESSES = [
    "a\x00b@utopia.example",
    "a@b@utopia.example",
    "a..b@utopia.example",
    ".a@utopia.example",
    "a@-utopia.example",
    "a@utopia..example",
    "a@utopia",
    "a@123.456",
    "a b@utopia.example",
    "a@utopia.example\n",
    '"quoted"@utopia.example',
    "a@[127.0.0.1]",
    "x" * 65 + "@utopia.example",
]


async def test_names_and_addresses_with_controls_or_invalid_are_refused_unechoed(
    identity: Identity,
) -> None:
    """A display name is one line with no control character; an address is a real mailbox,
    checked by one validator (shared/input_rules.py). The 422 never repeats what was sent."""
    from sqlalchemy import func, select

    from services.identity.store import UserAccount

    admin = await identity.admin()

    async def users() -> int:
        async with identity.platform.runtime("identity").sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(UserAccount)) or 0)

    before = await users()
    for name in HOSTILE_NAMES:
        body = {"email": "fresh@utopia.example", "display_name": name}
        response = await identity.client.post("/users", json=body, headers=admin.auth)
        assert response.status_code in {400, 422}, name
        assert name not in response.text and '"input"' not in response.text
    for address in BAD_ADDRESSES:
        response = await identity.client.post("/users", json={"email": address}, headers=admin.auth)
        assert response.status_code in {400, 422}, address
        assert address.strip() not in response.text
    assert await users() == before
    good = {"email": "O'Brien+dpa@Sub.Utopia.example", "display_name": "Seán Ó Briain"}
    response = await identity.client.post("/users", json=good, headers=admin.auth)
    assert response.status_code == 201, response.text
    assert response.json()["email"] == "o'brien+dpa@sub.utopia.example"


async def test_non_finite_numbers_and_surrogates_are_refused_on_public_routes(
    identity: Identity,
) -> None:
    """Unpaired surrogates and NaN/Infinity got a 500 (the validation answer could not even be
    written); now a 400 that does not repeat them."""
    for raw in (
        b'{"email": "a@utopia.example", "password": "\\ud800"}',
        b'{"email": "\\udfff@utopia.example", "password": "x"}',
        b'{"email": "a@utopia.example", "password": NaN}',
        b'{"email": "a@utopia.example", "password": -Infinity}',
        b'{"email": "a@utopia.example", "password": 1e400}',
        b'{"email": "a\\u0000@utopia.example", "password": "x"}',
    ):
        for path in ("/login", "/password-reset", "/invitations/accept"):
            response = await identity.client.post(
                path, content=raw, headers={"content-type": "application/json"}
            )
            assert response.status_code == 400, (path, raw)
            assert "ud800" not in response.text and "NaN" not in response.text
