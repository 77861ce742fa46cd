"""An organisation's users are walked to the end with a cursor, not offsets (issue 16.3)."""

from tests.identity.conftest import Identity

MANY = 250


async def test_250_users_are_listed_page_by_page_by_address(identity: Identity) -> None:
    admin = await identity.admin()
    invited = []
    for number in range(MANY):
        answer = await identity.client.post(
            "/users",
            json={"email": f"user-{number:03d}@utopia.example", "role": "member"},
            headers=admin.auth,
        )
        assert answer.status_code == 201, answer.text
        invited.append(answer.json()["id"])

    seen: list[dict[str, str]] = []
    pages = []
    cursor = None
    while True:
        params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        answer = await identity.client.get("/users", params=params, headers=admin.auth)
        assert answer.status_code == 200, answer.text
        pages.append(len(answer.json()["items"]))
        seen += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            break

    assert pages == [100, 100, 51]  # the admin and the 250 invited
    assert {user["id"] for user in seen} >= set(invited)
    emails = [user["email"] for user in seen]
    assert emails == sorted(emails) and len(set(emails)) == len(emails)


async def test_a_forged_user_cursor_is_refused_with_422(identity: Identity) -> None:
    admin = await identity.admin()
    for cursor in ("garbage", "WyJhQGIuZXhhbXBsZSIsIm5vdC1hLXV1aWQiXQ"):
        answer = await identity.client.get("/users", params={"cursor": cursor}, headers=admin.auth)
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid_cursor"
