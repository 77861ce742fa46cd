"""The notices inbox: what pactum told this person, read and unread, and acknowledging a thread.

Every notice the notifier sends (mail, webhook, inbox) links to the item's own page in the
console; the inbox is where a person finds them all again.
"""

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.apis import ApiRefused
from services.console.render import render
from services.console.web import NotYours, SignedIn, apis_of, go, visitor

router = APIRouter(dependencies=[Depends(visitor)])

INBOX_LIMIT = 500


async def inbox_items(request: Request, person: SignedIn, *, unread: bool = False) -> list[Any]:
    return await apis_of(request).every(
        "notifier",
        "/notifier/inbox",
        token=person.access_token,
        params={"unread": "true" if unread else None},
        page_size=INBOX_LIMIT,
    )


def threads(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per thread (a breach, a change), newest first, with its unread count."""
    grouped: dict[str, dict[str, Any]] = {}
    for item in items:
        key = item.get("thread_id") or item["id"]
        thread = grouped.setdefault(
            key, {"key": key, "latest": item, "count": 0, "unread": 0, "acknowledged": False}
        )
        thread["count"] += 1
        thread["unread"] += item.get("read_at") is None
        thread["acknowledged"] = thread["acknowledged"] or bool(item.get("acknowledged_at"))
    return list(grouped.values())


@router.get("/inbox")
async def inbox_page(request: Request, person: SignedIn, show: str = "all") -> Response:
    items = await inbox_items(request, person, unread=show == "unread")
    return render(request, "inbox/inbox.html", {"threads": threads(items), "show": show})


@router.get("/inbox/{key}")
async def thread_page(request: Request, person: SignedIn, key: str) -> Response:
    """One thread's notices, oldest first; opening it marks them read."""
    items = [
        item
        for item in await inbox_items(request, person)
        if (item.get("thread_id") or item["id"]) == key
    ]
    if not items:
        raise NotYours
    for item in items:
        if item.get("read_at") is None:
            await apis_of(request).call(
                "notifier", "POST", f"/notifier/inbox/{item['id']}/read", token=person.access_token
            )
    items.sort(key=lambda item: item["created_at"])
    thread_id = items[0].get("thread_id")
    acknowledged = any(item.get("acknowledged_at") for item in items)
    context = {"items": items, "key": key, "thread_id": thread_id, "acknowledged": acknowledged}
    return render(request, "inbox/thread.html", context)


@router.post("/inbox/{key}/acknowledge")
async def acknowledge(request: Request, person: SignedIn, key: str) -> Response:
    """Acknowledge receipt of a notice thread: the sender sees who did, and when."""
    try:
        await apis_of(request).call(
            "notifier", "POST", f"/notifier/threads/{key}/acknowledge", token=person.access_token
        )
    except ApiRefused as refused:
        if refused.status in (403, 404):
            raise NotYours from None
        raise
    return go(f"/inbox/{key}?done=acknowledged")
