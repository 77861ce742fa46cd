"""The audit log: append-only in the database, read by the organisation itself, reads audited."""

import uuid

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from services.audit.store import AuditEntry
from shared.auth import Role
from shared.events.contracts.agreements import AgreementStatusChanged
from tests.agreements.organisations import new_organisation
from tests.support.events import emit
from tests.support.platform import Platform, eventually

ACTIVATED = "dpa.agreements.agreement.activated.v1"


async def _one_entry(platform: Platform, organisation: str) -> AuditEntry:
    response = await platform.clients["agreements"].post(
        "/agreements", json={"title": "Logged"}, headers=platform.auth(organisation)
    )
    assert response.status_code == 201
    [entry] = await eventually(lambda: platform.audit_entries(organisation_id=organisation))
    return entry


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEntry).values(actor_id="someone-else"),
        delete(AuditEntry),
        text("DELETE FROM audit_entry"),
    ],
    ids=["update", "delete", "raw-delete"],
)
async def test_database_refuses_to_change_or_delete_audit_entries__ASVS_16_4_2(
    platform: Platform, statement: object
) -> None:
    organisation = await new_organisation(platform, by_event=False)
    entry = await _one_entry(platform, organisation)
    # The service's own role: on PostgreSQL it holds no UPDATE or DELETE on the log (refused
    # before the triggers are reached); SQLite has no roles, its triggers refuse.
    with pytest.raises(DBAPIError, match=r"append-only|permission denied"):
        async with platform.runtime("audit").sessions() as session, session.begin():
            await session.execute(statement)  # type: ignore[call-overload]
    [again] = await platform.audit_entries(organisation_id=organisation)
    assert again.actor_id == entry.actor_id


async def test_organisation_reads_its_own_log_and_the_read_is_audited__TOM_T3b(
    platform: Platform,
) -> None:
    ours, theirs = [await new_organisation(platform, by_event=False) for _ in range(2)]
    created = await _one_entry(platform, ours)
    await _one_entry(platform, theirs)
    audit = platform.clients["audit"]

    page = await audit.get("/audit/entries", headers=platform.auth(ours, [Role.auditor]))
    assert page.status_code == 200
    items = page.json()["items"]
    assert [item["event_id"] for item in items] == [str(created.event_id)]
    assert items[0]["requirements"] == ["DPA-1", "TOM-T3a"]

    reads = await eventually(
        lambda: platform.audit_entries(organisation_id=ours, event_type="dpa.audit.log.viewed.v1")
    )
    assert reads[0].data["entries"] == 1
    assert not await platform.audit_entries(
        organisation_id=theirs, event_type="dpa.audit.log.viewed.v1"
    )


async def test_members_cannot_read_the_audit_log(platform: Platform) -> None:
    response = await platform.clients["audit"].get(
        "/audit/entries", headers=platform.auth(str(uuid.uuid4()), [Role.member])
    )
    assert response.status_code == 403


async def test_audit_log_pages_with_a_stable_cursor(platform: Platform) -> None:
    organisation = await new_organisation(platform, by_event=False)
    for _ in range(3):
        await platform.clients["agreements"].post(
            "/agreements", json={"title": "Paged"}, headers=platform.auth(organisation)
        )

    async def three() -> bool:
        return len(await platform.audit_entries(organisation_id=organisation)) >= 3

    await eventually(three)
    headers = platform.auth(organisation, [Role.admin])
    first = (await platform.clients["audit"].get("/audit/entries?limit=2", headers=headers)).json()
    second = (
        await platform.clients["audit"].get(
            f"/audit/entries?limit=2&before={first['next_before']}", headers=headers
        )
    ).json()
    positions = [item["position"] for item in first["items"] + second["items"]]
    assert positions == sorted(positions, reverse=True)
    assert len(set(positions)) == len(positions) >= 3
    bad = await platform.clients["audit"].get("/audit/entries?limit=0", headers=headers)
    assert bad.status_code == 422


async def test_notifier_receipts_are_scoped_to_the_organisation(platform: Platform) -> None:
    ours, theirs = [await new_organisation(platform, by_event=False) for _ in range(2)]
    for organisation in (ours, theirs):  # an event the notifier plans a notice for
        await emit(
            platform,
            "agreements",
            type=ACTIVATED,
            tenant=organisation,
            data=AgreementStatusChanged(agreement_id=uuid.uuid4(), status="active", version=1),
        )
    await eventually(lambda: platform.receipts(organisation_id=ours))
    await eventually(lambda: platform.receipts(organisation_id=theirs))
    response = await platform.clients["notifier"].get(
        "/notifier/receipts", headers=platform.auth(ours)
    )
    assert response.status_code == 200
    assert [item["event_type"] for item in response.json()["items"]] == [ACTIVATED]
