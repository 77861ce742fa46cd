"""An agreement's own records are walked to their end with the one cursor pagination (issue
16.3): its versions, subprocessor notices, instructions, staff with access and disclosure
demands. Each list is filled with 250 rows through the store (250 requests would only slow the
suite) and read over HTTP, 100 at a time: every row once, none missing, in the list's order.

Some rows share their sort moment, so the id must break the tie for the pages to hold.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import SQLModel, select

from services.agreements.commitments.store import Disclosure, Instruction, StaffMember
from services.agreements.domain import Authorisation, Party, VersionStatus
from services.agreements.lifecycle.store import Agreement, AgreementVersion
from services.agreements.subprocessors.store import SubprocessorChange, SubprocessorNotice
from tests.agreements.contract import Parties
from tests.support.pages import FORGED_CURSORS, first_cursor, walk
from tests.support.platform import Platform

MANY = 250
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _moment(number: int) -> datetime:
    """Three rows to a moment: the sort key alone does not order them."""
    return START + timedelta(minutes=number // 3)


def _instructions(agreement: uuid.UUID, parties: Parties) -> list[SQLModel]:
    return [
        Instruction(
            agreement_id=agreement,
            number=n + 1,
            text=f"Instruction {n + 1}",
            issued_by="controller-admin",
            issued_at=_moment(n),
        )
        for n in range(MANY)
    ]


def _staff(agreement: uuid.UUID, parties: Parties) -> list[SQLModel]:
    return [
        StaffMember(
            agreement_id=agreement,
            name=f"Support desk {n}",
            function="support",
            confidentiality_signed_on=date(2026, 1, 1),
            added_by="processor-admin",
            added_at=_moment(n),
        )
        for n in range(MANY)
    ]


def _disclosures(agreement: uuid.UUID, parties: Parties) -> list[SQLModel]:
    return [
        Disclosure(
            agreement_id=agreement,
            authority="Federal police",
            legal_basis="Code of criminal procedure, art. 46bis",
            scope="Booking records of one citizen",
            prohibited_by_law=False,
            recorded_by="processor-admin",
            recorded_at=_moment(n),
        )
        for n in range(MANY)
    ]


def _versions(agreement: uuid.UUID, parties: Parties) -> list[SQLModel]:
    return [
        AgreementVersion(
            agreement_id=agreement,
            number=n + 2,  # version 1 is the signed one
            status=VersionStatus.withdrawn,
            annex1={},
            terms={},
            proposed_by="controller-admin",
            proposed_by_party=Party.controller,
            created_at=_moment(n),
        )
        for n in range(MANY)
    ]


def _notices(agreement: uuid.UUID, parties: Parties) -> list[SQLModel]:
    rows: list[SQLModel] = []
    for n in range(MANY):
        change = SubprocessorChange(
            processor_id=uuid.UUID(parties.processor),
            kind="add",
            name=f"Hosting {n}",
            service="Hosting",
            location="Belgium",
            transfer_mechanism="none (EEA)",
            data_categories=["contact data"],
            effective_date=date(2026, 3, 1),
            proposed_by="processor-admin",
            proposed_at=_moment(n),
        )
        rows += [
            change,
            SubprocessorNotice(
                change_id=change.id,
                agreement_id=agreement,
                controller_id=uuid.UUID(parties.controller),
                authorisation=Authorisation.general,
                silence_is_acceptance=True,
                notified_at=_moment(n),
            ),
        ]
    return rows


Filler = Callable[[uuid.UUID, Parties], list[SQLModel]]
LISTS: dict[str, tuple[Filler, str, str]] = {
    # list: (its rows, what the list's items are told apart by, what the list is sorted by)
    "versions": (_versions, "number", "number"),
    "subprocessor-notices": (_notices, "id", "notified_at"),
    "instructions": (_instructions, "id", "number"),
    "staff": (_staff, "id", "added_at"),
    "disclosures": (_disclosures, "id", "recorded_at"),
}


async def _filled(parties: Parties, listing: str) -> tuple[str, list[Any]]:
    """An active agreement with 250 rows in ``listing``; their keys, in the list's order."""
    agreement = await parties.active()
    fill, key, sort = LISTS[listing]
    rows = fill(uuid.UUID(agreement), parties)
    async with parties.platform.runtime("agreements").sessions() as session:
        session.add_all(rows)
        await session.commit()
        if listing == "versions":
            first = await session.scalar(
                select(AgreementVersion.number).where(
                    AgreementVersion.agreement_id == uuid.UUID(agreement),
                    AgreementVersion.number == 1,
                )
            )
            assert first == 1
    listed = sorted(
        (row for row in rows if not isinstance(row, SubprocessorChange)),
        key=lambda row: (getattr(row, sort), row.id),  # type: ignore[attr-defined]
    )
    added = [_shown(getattr(row, key)) for row in listed]
    return agreement, ([1] if listing == "versions" else []) + added


def _shown(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


@pytest.mark.parametrize("listing", list(LISTS))
async def test_250_records_of_an_agreement_are_listed_page_by_page_in_order(
    parties: Parties, running: Platform, listing: str
) -> None:
    agreement, expected = await _filled(parties, listing)
    key = LISTS[listing][1]

    for headers in (parties.controller_admin(), parties.processor_admin()):
        pages = await walk(parties.client, f"/agreements/{agreement}/{listing}", headers)
        assert [len(page) for page in pages] == [100, 100, len(expected) - 200]
        listed = [item[key] for page in pages for item in page]
        assert listed == expected  # each once, none missing, oldest first


@pytest.mark.parametrize("listing", list(LISTS))
async def test_a_cursor_of_another_organisations_list_never_shows_its_rows(
    parties: Parties, running: Platform, listing: str
) -> None:
    ours, expected = await _filled(parties, listing)
    others = Parties(running)
    theirs, their_keys = await _filled(others, listing)
    key = LISTS[listing][1]
    their_page = await others.client.get(
        f"/agreements/{theirs}/{listing}", params={"limit": 5}, headers=others.controller_admin()
    )
    cursor = first_cursor(their_page)

    # On our list it is no more than a place in our own rows ...
    answer = await parties.client.get(
        f"/agreements/{ours}/{listing}",
        params={"cursor": cursor},
        headers=parties.controller_admin(),
    )
    assert answer.status_code in (200, 422), answer.text
    if answer.status_code == 200:
        shown = [item[key] for item in answer.json()["items"]]
        assert set(shown) <= set(expected)
        if key == "id":
            assert not set(shown) & set(their_keys)
    # ... and their list stays theirs, cursor or not.
    for params in ({}, {"cursor": cursor}):
        stranger = await parties.client.get(
            f"/agreements/{theirs}/{listing}", params=params, headers=parties.controller_admin()
        )
        assert stranger.status_code == 404, stranger.text


@pytest.mark.parametrize("listing", list(LISTS))
async def test_a_cursor_the_list_did_not_give_is_refused_with_problem_details(
    parties: Parties, running: Platform, listing: str
) -> None:
    agreement = await parties.active()
    path = f"/agreements/{agreement}/{listing}"
    for cursor in (*FORGED_CURSORS, "x" * 600):
        answer = await parties.client.get(
            path, params={"cursor": cursor}, headers=parties.controller_admin()
        )
        assert answer.status_code == 422, (cursor, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] in {"invalid_cursor", "validation_failed"}
    for limit in (0, 501):
        answer = await parties.client.get(
            path, params={"limit": limit}, headers=parties.controller_admin()
        )
        assert answer.status_code == 422, (limit, answer.text)


async def test_a_processors_register_is_shown_to_a_controller_with_over_1000_agreements__DPA_5(
    parties: Parties, running: Platform
) -> None:
    """The controller's agreement with this processor used to be looked for among its 1000
    newest agreements only: behind 1000 newer ones, the register answered 404."""
    await parties.active()
    newer = [
        Agreement(
            organisation_id=uuid.UUID(parties.controller),
            counterparty_id=uuid.uuid4(),
            controller_id=uuid.UUID(parties.controller),
            processor_id=uuid.uuid4(),
            title=f"Elsewhere {n}",
            created_by="controller-admin",
            created_at=datetime.now(UTC) + timedelta(minutes=n + 1),
        )
        for n in range(1001)
    ]
    async with parties.platform.runtime("agreements").sessions() as session:
        session.add_all(newer)
        await session.commit()

    answer = await parties.client.get(
        f"/processors/{parties.processor}/subprocessors", headers=parties.controller_admin()
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["processor_id"] == parties.processor


async def test_250_changes_of_a_processors_register_are_listed_page_by_page__DPA_5(
    parties: Parties, running: Platform
) -> None:
    agreement = await parties.active()
    rows = _notices(uuid.UUID(agreement), parties)
    async with parties.platform.runtime("agreements").sessions() as session:
        session.add_all(rows)
        await session.commit()
    changes = sorted(
        (row for row in rows if isinstance(row, SubprocessorChange)),
        key=lambda change: (change.proposed_at, change.id),
    )
    path = f"/processors/{parties.processor}/subprocessors"

    for headers in (parties.processor_admin(), parties.controller_admin()):
        pages = await walk(parties.client, path, headers, items="history")
        assert [len(page) for page in pages] == [100, 100, 50]
        assert [item["id"] for page in pages for item in page] == [str(c.id) for c in changes]

    for cursor in (*FORGED_CURSORS, "x" * 600):
        answer = await parties.client.get(
            path, params={"cursor": cursor}, headers=parties.controller_admin()
        )
        assert answer.status_code == 422, (cursor, answer.text)
