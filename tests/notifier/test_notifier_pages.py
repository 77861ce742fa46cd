"""The notifier's growing lists are walked to their end with the one cursor pagination (issue
16.3): the receipts, the delivery log, a person's inbox, the contacts and the webhook endpoints.
Before, the first three answered their newest 500 at most and the last two everything at once.
Rows are stored at once (250 events through NATS would only slow the suite) and read over HTTP,
100 at a time."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import SQLModel

from services.notifier.domain import Channel, DeliveryStatus
from services.notifier.ledger import Delivery, InboxItem
from services.notifier.store import Contact, Endpoint, Receipt
from tests.notifier.conftest import Notifier
from tests.support.pages import FORGED_CURSORS, first_cursor, walk

MANY = 250
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
USER = "user-sofie"


def _moment(number: int) -> datetime:
    """Three rows to a moment: the moment alone does not order them."""
    return START + timedelta(minutes=number // 3)


def _receipts(organisation: str, count: int) -> list[SQLModel]:
    return [
        Receipt(
            event_id=uuid.uuid4(),
            organisation_id=organisation,
            event_type="dpa.agreements.agreement.viewed.v1",
            occurred_at=_moment(n),
            received_at=_moment(n),
        )
        for n in range(count)
    ]


def _deliveries(organisation: str, count: int) -> list[SQLModel]:
    return [
        Delivery(
            organisation_id=organisation,
            cause=f"event:{uuid.uuid4()}",
            recipient=f"user:{USER}",
            channel=Channel.inbox,
            notice="breach_reported",
            topic="breach",
            status=DeliveryStatus.delivered,
            attempts=1,
            message={},
            created_at=_moment(n),
        )
        for n in range(count)
    ]


def _inbox(organisation: str, count: int) -> list[SQLModel]:
    return [
        InboxItem(
            organisation_id=organisation,
            user_id=USER,
            delivery_id=uuid.uuid4(),
            notice="breach_reported",
            subject=f"Notice {n}",
            text="A breach was reported.",
            link="https://pactum.test/breaches",
            event_id=str(uuid.uuid4()),
            created_at=_moment(n),
            read_at=_moment(n) if n % 2 else None,
        )
        for n in range(count)
    ]


def _contacts(organisation: str, count: int) -> list[SQLModel]:
    return [
        Contact(
            organisation_id=organisation,
            topics=["breach"],
            email=f"dpo-{n}@utopia.example",
            created_at=_moment(n),
        )
        for n in range(count)
    ]


def _endpoints(organisation: str, count: int) -> list[SQLModel]:
    return [
        Endpoint(
            organisation_id=organisation,
            url=f"https://hooks.utopia.example/{n}",
            topics=["breach"],
            secret=f"whsec_test{n}",
            created_at=_moment(n),
        )
        for n in range(count)
    ]


LISTS = {  # path: (rows, what tells its items apart, newest first)
    "/notifier/receipts": (_receipts, "event_id", True),
    "/notifier/deliveries": (_deliveries, "id", True),
    "/notifier/inbox": (_inbox, "id", True),
    "/notifier/contacts": (_contacts, "id", False),
    "/notifier/endpoints": (_endpoints, "id", False),
}


async def _stored(notifier: Notifier, rows: list[SQLModel]) -> None:
    async with notifier.platform.runtime("notifier").sessions() as session:
        session.add_all(rows)
        await session.commit()


def _in_order(rows: list[SQLModel], key: str, newest_first: bool = True) -> list[str]:
    """The keys of ``rows`` in the list's order: by moment (or position), then by id."""
    sign = -1 if newest_first else 1

    def order(row: SQLModel) -> tuple[float, str]:
        if isinstance(row, Receipt):
            return (sign * float(row.position or 0), "")
        moment: datetime = row.created_at  # type: ignore[attr-defined]
        return (sign * moment.timestamp(), str(row.id))  # type: ignore[attr-defined]

    return [str(getattr(row, key)) for row in sorted(rows, key=order)]


@pytest.mark.parametrize("path", list(LISTS))
async def test_250_items_of_a_notifier_list_are_listed_page_by_page_in_order(
    notifier: Notifier, path: str
) -> None:
    ours, other = str(uuid.uuid4()), str(uuid.uuid4())
    fill, key, newest_first = LISTS[path]
    rows = fill(ours, MANY)
    await _stored(notifier, rows + fill(other, 5))

    pages = await walk(notifier.client, path, notifier.auth(ours, user_id=USER))

    assert [len(page) for page in pages] == [100, 100, 50]
    assert [str(item[key]) for page in pages for item in page] == _in_order(rows, key, newest_first)


async def test_the_unread_part_of_an_inbox_pages_with_its_filter(notifier: Notifier) -> None:
    ours = str(uuid.uuid4())
    rows = _inbox(ours, MANY)
    await _stored(notifier, rows)
    unread = [row for row in rows if isinstance(row, InboxItem) and row.read_at is None]

    pages = await walk(
        notifier.client, "/notifier/inbox", notifier.auth(ours, USER), params={"unread": "true"}
    )

    assert [len(page) for page in pages] == [100, 25]
    assert [item["id"] for page in pages for item in page] == _in_order(list(unread), "id")


@pytest.mark.parametrize("path", list(LISTS))
async def test_a_cursor_of_another_organisations_list_shows_none_of_its_items(
    notifier: Notifier, path: str
) -> None:
    ours, other = str(uuid.uuid4()), str(uuid.uuid4())
    fill, key, _ = LISTS[path]
    mine, theirs = fill(ours, 10), fill(other, 10)
    await _stored(notifier, mine + theirs)
    their_page = await notifier.client.get(
        path, params={"limit": 3}, headers=notifier.auth(other, user_id=USER)
    )

    pages = await walk(
        notifier.client, path, notifier.auth(ours, user_id=USER), cursor=first_cursor(their_page)
    )

    shown = {str(item[key]) for page in pages for item in page}
    assert shown <= {str(getattr(row, key)) for row in mine}
    assert not shown & {str(getattr(row, key)) for row in theirs}


@pytest.mark.parametrize("path", list(LISTS))
async def test_a_forged_notifier_cursor_is_refused_with_problem_details(
    notifier: Notifier, path: str
) -> None:
    headers = notifier.auth(str(uuid.uuid4()), user_id=USER)
    for cursor in (*FORGED_CURSORS, "WyJub3QtYS1udW1iZXIiXQ", "x" * 600):
        answer = await notifier.client.get(path, params={"cursor": cursor}, headers=headers)
        assert answer.status_code == 422, (cursor, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] in {"invalid_cursor", "validation_failed"}
