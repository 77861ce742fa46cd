"""Supplier-access grants are walked to their end with the one cursor pagination (issue 16.3).
Before, ``GET /grants`` answered the newest 200 with no way to the 201st."""

import uuid
from datetime import UTC, datetime, timedelta

from services.identity.domain import GrantStatus
from services.identity.store import Grant
from tests.identity.conftest import Account, Identity
from tests.support.pages import FORGED_CURSORS, first_cursor, walk

MANY = 250
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def _grants(
    identity: Identity, operator: Account, customer: Account, count: int
) -> list[str]:
    """``count`` grants the operator asked of the customer, stored at once; their ids newest
    first (three to a moment, so the id must break the tie)."""
    rows = [
        Grant(
            organisation_id=uuid.UUID(customer.organisation_id),
            operator_id=uuid.UUID(operator.user_id),
            operator_organisation_id=uuid.UUID(operator.organisation_id),
            access="read",
            reason=f"Support ticket {n}",
            minutes=30,
            status=GrantStatus.requested,
            requested_at=START + timedelta(minutes=n // 3),
        )
        for n in range(count)
    ]
    async with identity.platform.runtime("identity").sessions() as session:
        session.add_all(rows)
        await session.commit()
    newest_first = sorted(rows, key=lambda row: (-row.requested_at.timestamp(), row.id))
    return [str(row.id) for row in newest_first]


async def test_250_grants_are_listed_page_by_page_newest_first_to_each_side__TOM_O3(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    customer, other = await identity.admin(), await identity.admin()
    ours = await _grants(identity, operator, customer, MANY)
    theirs = await _grants(identity, operator, other, 5)

    pages = await walk(identity.client, "/grants", customer.auth)
    assert [len(page) for page in pages] == [100, 100, 50]
    assert [grant["id"] for page in pages for grant in page] == ours

    asked = [
        g["id"] for page in await walk(identity.client, "/grants", operator.auth) for g in page
    ]
    assert sorted(asked) == sorted(ours + theirs)


async def test_a_grant_cursor_of_another_organisation_shows_none_of_its_grants(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    customer, other = await identity.admin(), await identity.admin()
    ours = await _grants(identity, operator, customer, 10)
    theirs = await _grants(identity, operator, other, 10)
    their_page = await identity.client.get("/grants", params={"limit": 3}, headers=other.auth)

    pages = await walk(identity.client, "/grants", customer.auth, cursor=first_cursor(their_page))

    shown = {grant["id"] for page in pages for grant in page}
    assert shown <= set(ours) and not shown & set(theirs)


async def test_a_forged_grant_cursor_is_refused_with_problem_details(identity: Identity) -> None:
    customer = await identity.admin()
    for cursor in (*FORGED_CURSORS, "x" * 600):
        answer = await identity.client.get(
            "/grants", params={"cursor": cursor}, headers=customer.auth
        )
        assert answer.status_code == 422, (cursor, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] in {"invalid_cursor", "validation_failed"}
