"""Walking a paged list to its end, as a client does: follow ``next_cursor`` until it is null."""

from typing import Any

import httpx

FORGED_CURSORS = (
    "not-a-cursor",  # not base64 JSON at all
    "WyJ4Il0",  # ["x"]: one value where the list keeps two
    "WyJub3QtYS1kYXRlIiwieCJd",  # ["not-a-date","x"]
    "WyIxIiwibm90LWEtdXVpZCJd",  # ["1","not-a-uuid"]
)


async def walk(
    client: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    *,
    limit: int = 100,
    params: dict[str, Any] | None = None,
    cursor: str | None = None,
    items: str = "items",
) -> list[list[dict[str, Any]]]:
    """Each page's ``items``, from ``cursor`` (or the first page) to the last."""
    pages: list[list[dict[str, Any]]] = []
    while True:
        sent = (params or {}) | {"limit": limit} | ({"cursor": cursor} if cursor else {})
        answer = await client.get(path, params=sent, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append(body[items])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def first_cursor(answer: httpx.Response) -> str:
    cursor = answer.json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor
