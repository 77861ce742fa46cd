"""The customer reads its own log without the supplier: filters, a stable cursor, its processors'
entries on its agreements, nothing of anyone else's, and every read is itself logged."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import Role
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.platform import Platform, eventually


async def _page(audit: Platform, organisation: str, query: str = "") -> list[dict[str, object]]:
    response = await audit.clients["audit"].get(
        f"/audit/entries?{query}", headers=reader(audit, organisation)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def test_admins_and_auditors_filter_their_log__TOM_T3b(
    audit: Platform, producer: Producer
) -> None:
    organisation, supplier = str(uuid.uuid4()), str(uuid.uuid4())
    agreement = str(uuid.uuid4())
    long_ago = datetime.now(UTC) - timedelta(days=10)
    await producer.send(
        event(organisation, actor="alice", subject="record-1", when=long_ago),
        event(
            organisation,
            actor="bob",
            type="dpa.agreements.agreement.created.v1",
            data={"agreement_id": agreement},
            subject=agreement,
        ),
        event(organisation, actor="bob", outcome="denied"),
        event(organisation, actor="op", actor_type="operator", actor_organisation=supplier),
    )
    await entries_of(audit, organisation, 4)

    async def actors(query: str) -> list[str]:
        if "action=" not in query:  # leave out this test's own (audited) reads
            query += "&action=dpa.agreements."
        return sorted(str(item["actor_id"]) for item in await _page(audit, organisation, query))

    assert await actors("actor=bob") == ["bob", "bob"]
    assert await actors("action=dpa.agreements.agreement.created") == ["bob"]
    assert await actors("action=dpa.agreements.") == ["alice", "bob", "bob", "op"]
    assert await actors("resource=record-1") == ["alice"]
    assert await actors(f"agreement={agreement}") == ["bob"]
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert await actors(f"since={since}") == ["bob", "bob", "op"]
    assert await actors(f"until={since}") == ["alice"]
    assert await actors("supplier_only=true") == ["op"]
    assert await actors("outcome=denied") == ["bob"]
    assert await actors("actor=bob&outcome=succeeded") == ["bob"]


async def test_pages_are_stable_while_the_log_grows_in_both_orders__TOM_T3b(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(*(event(organisation) for _ in range(7)))
    await entries_of(audit, organisation, 7)
    for order in ("newest", "oldest"):
        seen: list[int] = []
        cursor = ""
        while True:
            response = await audit.clients["audit"].get(
                f"/audit/entries?limit=3&order={order}&action=dpa.agreements.{cursor}",
                headers=reader(audit, organisation),
            )
            body = response.json()
            seen += [item["position"] for item in body["items"]]
            await producer.send(event(organisation))  # the log grows between pages
            if body["next_cursor"] is None:
                break
            cursor = f"&cursor={body['next_cursor']}"
        assert len(seen) >= 7 and len(set(seen)) == len(seen)
        assert seen == sorted(seen, reverse=order == "newest")


async def test_another_organisations_entries_do_not_exist_for_the_reader__TOM_T3b(
    audit: Platform, producer: Producer
) -> None:
    ours, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    await producer.send(event(ours), event(theirs, actor="secret-actor"))
    await entries_of(audit, theirs, 1)
    await entries_of(audit, ours, 1)
    assert "secret-actor" not in str(await _page(audit, ours))
    assert await _page(audit, ours, "actor=secret-actor") == []


async def test_a_controller_sees_its_processors_events_on_its_agreements__TOM_T3c(
    audit: Platform, producer: Producer
) -> None:
    controller, processor, other = (str(uuid.uuid4()) for _ in range(3))
    agreement, unrelated = str(uuid.uuid4()), str(uuid.uuid4())
    await producer.send(
        event(
            controller,
            type="dpa.agreements.agreement.created.v1",
            data={
                "agreement_id": agreement,
                "controller_id": controller,
                "processor_id": processor,
            },
        ),
        event(processor, actor="p-staff", data={"agreement_id": agreement, "fields": ["annex"]}),
        event(processor, actor="p-other", data={"agreement_id": unrelated, "fields": ["annex"]}),
        event(other, actor="intruder", data={"agreement_id": agreement, "fields": ["annex"]}),
    )
    await entries_of(audit, processor, 2)
    await entries_of(audit, other, 1)
    items = await _page(audit, controller)
    assert sorted(str(item["actor_id"]) for item in items) == ["p-staff", "user-1"]
    [processors] = [item for item in items if item["actor_id"] == "p-staff"]
    assert processors["organisation_id"] == processor
    assert [item["actor_id"] for item in await _page(audit, processor)] == ["p-other", "p-staff"]


async def test_every_read_of_the_log_is_itself_logged__TOM_T3a(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(event(organisation))
    await entries_of(audit, organisation, 1)
    await _page(audit, organisation, "actor=user-1&limit=5")
    [read] = await eventually(
        lambda: audit.audit_entries(
            organisation_id=organisation, event_type="dpa.audit.log.viewed.v1"
        )
    )
    assert read.data["filters"] == {"actor": "user-1", "limit": "5", "order": "newest"}
    assert read.data["entries"] == 1
    assert "TOM-T3a" in read.requirements


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=501",
        "cursor=-1",
        "order=sideways",
        "since=yesterday",
        "since=2026-01-02T00:00:00",
        "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
        "action=DROP%20TABLE",
        "outcome=maybe",
        "supplier_only=perhaps",
        "actor=" + "x" * 201,
        "actor=%00",
        "resource=a%0Ab",
        "cursor=99999999999999999999",
        "before=0",
    ],
)
async def test_invalid_queries_get_a_clear_4xx_and_change_nothing(
    audit: Platform, query: str
) -> None:
    organisation = str(uuid.uuid4())
    response = await audit.clients["audit"].get(
        f"/audit/entries?{query}", headers=reader(audit, organisation)
    )
    assert response.status_code == 422
    assert response.json()["detail"]
    assert await audit.audit_entries(organisation_id=organisation) == []


async def test_members_and_anonymous_callers_cannot_read_the_log(audit: Platform) -> None:
    client = audit.clients["audit"]
    member = audit.auth(str(uuid.uuid4()), [Role.member])
    assert (await client.get("/audit/entries", headers=member)).status_code == 403
    assert (await client.get("/audit/entries")).status_code == 401
    assert (await client.get("/audit/export", headers=member)).status_code == 403
