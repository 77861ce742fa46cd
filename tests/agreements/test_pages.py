"""Lists of any length are walked to their end with one cursor pagination (issue 16.3).

Before, ``GET /agreements`` and ``GET /breaches`` answered at most 100 items with no way to the
101st.
"""

from typing import Any

from tests.agreements.breaches.test_breaches import breach
from tests.agreements.contract import Parties
from tests.support.platform import Platform

MANY = 250


async def _walk(parties: Parties, path: str, headers: dict[str, str]) -> list[list[str]]:
    """The ids of each page, following ``next_cursor`` to the end."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        answer = await parties.client.get(path, params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_250_agreements_are_listed_page_by_page_newest_first(
    parties: Parties, running: Platform
) -> None:
    created = [(await parties.draft())["id"] for _ in range(MANY)]

    pages = await _walk(parties, "/agreements", parties.controller_admin())

    assert [len(page) for page in pages] == [100, 100, 50]
    listed = [identifier for page in pages for identifier in page]
    assert sorted(listed) == sorted(created)  # each once, none missing
    assert listed[0] == created[-1]  # newest first


async def test_250_breaches_are_listed_page_by_page(parties: Parties, running: Platform) -> None:
    await parties.active()
    reported = []
    for _ in range(MANY):
        answer = await parties.client.post(
            "/breaches", json=breach(), headers=parties.processor_admin()
        )
        assert answer.status_code == 201, answer.text
        reported.append(answer.json()["id"])

    for headers in (parties.processor_admin(), parties.controller_admin()):
        pages = await _walk(parties, "/breaches", headers)
        assert [len(page) for page in pages] == [100, 100, 50]
        assert sorted(i for page in pages for i in page) == sorted(reported)


async def test_an_agreement_added_while_paging_neither_repeats_nor_hides_another(
    parties: Parties, running: Platform
) -> None:
    created = [(await parties.draft())["id"] for _ in range(5)]
    first = await parties.client.get(
        "/agreements", params={"limit": 2}, headers=parties.controller_admin()
    )
    newer = (await parties.draft())["id"]
    rest = await _walk_from(parties, first.json()["next_cursor"])

    seen = [item["id"] for item in first.json()["items"]] + rest
    assert sorted(seen) == sorted(created)
    assert newer not in seen


async def _walk_from(parties: Parties, cursor: str) -> list[str]:
    seen: list[str] = []
    while cursor:
        answer = await parties.client.get(
            "/agreements", params={"limit": 2, "cursor": cursor}, headers=parties.controller_admin()
        )
        seen += [item["id"] for item in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
    return seen


async def test_a_cursor_the_list_did_not_give_is_refused_with_422(
    parties: Parties, running: Platform
) -> None:
    await parties.draft()
    for path in ("/agreements", "/breaches"):
        for cursor in ("not-a-cursor", "WyJ4Il0", "WyJub3QtYS1kYXRlIiwieCJd", "x" * 600):
            answer = await parties.client.get(
                path, params={"cursor": cursor}, headers=parties.controller_admin()
            )
            assert answer.status_code == 422, (path, cursor, answer.text)
            assert answer.json()["code"] in {"invalid_cursor", "validation_failed"}
