"""HTTP routes on what was sent: delivery log and replay, in-app inbox, acknowledgements, sink."""

import re
import uuid
from email import message_from_bytes, policy
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from services.notifier import evidence, service
from services.notifier.api import NOT_FOUND, Admin, Reader
from services.notifier.domain import DeliveryStatus
from services.notifier.schemas import (
    AcknowledgementPublic,
    AttemptList,
    AttemptPublic,
    DeliveryList,
    DeliveryPublic,
    InboxItemPublic,
    InboxList,
    SinkList,
    SinkMessage,
)
from shared.auth import Principal, Role, require_roles
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/notifier", tags=["notifier"])
# Routes of `make run`'s development platform only (main.py mounts them in development).
sink_router = APIRouter(prefix="/notifier", tags=["notifier"])

# An invitation or reset link's secret, as the mails carry it (identity's links.py).
ONE_TIME_SECRET = re.compile(r"#token=[^\s]+")
HIDDEN = "#token=(hidden: only in the recipient's own mailbox)"


def hide_links(text: str) -> str:
    """A mail's text with every one-time link's secret left out."""
    return ONE_TIME_SECRET.sub(HIDDEN, text)


User = Annotated[Principal, Depends(require_roles(Role.admin, Role.member, Role.auditor))]
Party = Annotated[Principal, Depends(require_roles(Role.admin, Role.member))]


@router.get("/deliveries", response_model=DeliveryList)
async def list_deliveries(
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    thread_id: Annotated[str | None, Query(max_length=120)] = None,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> DeliveryList:
    """The delivery log: every notice per recipient and channel, with its state, newest first,
    a page at a time (``next_cursor``; pass the same filters with it)."""
    rows, next_cursor = await evidence.list_deliveries(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        limit=limit,
        thread_id=thread_id,
        status=status_,
        cursor=cursor,
    )
    return DeliveryList(
        items=[DeliveryPublic.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/deliveries/{delivery_id}/attempts", response_model=AttemptList, responses=NOT_FOUND)
async def list_attempts(
    delivery_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> AttemptList:
    """Every attempt of one delivery: when, and the SMTP or HTTP answer."""
    rows = await evidence.list_attempts(
        session=session, outbox=runtime.outbox, principal=principal, delivery_id=delivery_id
    )
    return AttemptList(items=[AttemptPublic.model_validate(r) for r in rows])


@router.post(
    "/deliveries/{delivery_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryPublic,
    responses={**NOT_FOUND, 409: {"description": "Still being attempted, or endpoint disabled."}},
)
async def replay(
    delivery_id: uuid.UUID,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
) -> DeliveryPublic:
    """Send a finished delivery again (same webhook-id / Message-ID, so receivers can dedup)."""
    row = await evidence.replay(
        session=session, outbox=runtime.outbox, principal=principal, delivery_id=delivery_id
    )
    request.app.state.dispatcher.wake()
    return DeliveryPublic.model_validate(row)


@router.get("/inbox", response_model=InboxList)
async def my_inbox(
    principal: User,
    session: SessionDep,
    runtime: RuntimeDep,
    unread: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> InboxList:
    """The caller's in-app notices, newest first, a page at a time (``next_cursor``; pass the
    same ``unread`` with it)."""
    rows, next_cursor = await evidence.my_inbox(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        unread=unread,
        limit=limit,
        cursor=cursor,
    )
    return InboxList(
        items=[InboxItemPublic.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post("/inbox/{item_id}/read", response_model=InboxItemPublic, responses=NOT_FOUND)
async def mark_read(
    item_id: uuid.UUID, principal: User, session: SessionDep, runtime: RuntimeDep
) -> InboxItemPublic:
    """Mark one of the caller's notices as read."""
    item = await evidence.mark_read(
        session=session, outbox=runtime.outbox, principal=principal, item_id=item_id
    )
    return InboxItemPublic.model_validate(item)


@router.post(
    "/threads/{thread_id}/acknowledge", response_model=AcknowledgementPublic, responses=NOT_FOUND
)
async def acknowledge(
    thread_id: str, principal: Party, session: SessionDep, runtime: RuntimeDep
) -> AcknowledgementPublic:
    """Acknowledge receipt of a notice thread (a breach notice, a change alert); idempotent."""
    if len(thread_id) > 120:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such notice")
    ack = await evidence.acknowledge(
        session=session, outbox=runtime.outbox, principal=principal, thread_id=thread_id
    )
    return AcknowledgementPublic.model_validate(ack)


@sink_router.get("/mail", response_model=SinkList)
async def sink_mail(
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SinkList:
    """Development only: the messages the local mail sink received for the caller's
    organisation, each one-time link hidden (it belongs in its recipient's mailbox alone)."""
    settings: Any = runtime.settings
    items: list[SinkMessage] = []
    files = (
        sorted(settings.mail_dir.glob("*.eml"), reverse=True) if settings.mail_dir.exists() else []
    )
    for path in files:
        message: Any = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["X-Pactum-Organisation"] != principal.organisation_id:
            continue
        body = message.get_body(preferencelist=("plain",))
        items.append(
            SinkMessage(
                name=path.name,
                to=str(message["To"]),
                subject=str(message["Subject"]),
                event_id=message["X-Pactum-Event-Id"],
                text=hide_links(body.get_content()) if body is not None else "",
            )
        )
        if len(items) >= limit:
            break
    async with session.begin():
        service.listed(runtime.outbox, session, principal, "mail", len(items))
    return SinkList(items=items)
