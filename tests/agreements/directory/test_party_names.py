"""An answer about an agreement names its parties as identity names them now.

The names come from the agreements directory (directory/store.py), which follows identity's
organisation events; they are read with the agreement, so a rename shows on existing agreements
while the signed versions stay as they were signed. Events are published on the real nats-server
as identity's relay would (test_directory_events.py), to the agreements service in-process.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from shared.auth import Role
from tests.agreements.contract import Parties
from tests.agreements.directory.test_directory_events import T0, created, renamed, taken_in
from tests.support.platform import Platform


async def named_parties(platform: Platform, controller: str, processor: str) -> Parties:
    """A controller and a processor, known with these names from identity's created events."""
    parties = Parties(platform, known=True)
    await taken_in(
        platform,
        created(parties.controller, "controller", controller, at=T0),
        created(parties.processor, "processor", processor, at=T0),
    )
    return parties


async def answer(parties: Parties, path: str, headers: dict[str, str]) -> Any:
    response = await parties.client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def names(agreement: dict[str, Any]) -> tuple[str | None, str | None]:
    return agreement["controller_name"], agreement["processor_name"]


@contextmanager
def statements_on(platform: Platform, *tables: str) -> Iterator[list[str]]:
    """The SQL statements the agreements service sends that name one of these tables."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = args[2]
        if any(table in statement for table in tables):
            seen.append(statement)

    engine = platform.runtime("agreements").engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_both_parties_see_each_other_by_name_on_create_read_and_list__DPA_1(
    running: Platform,
) -> None:
    parties = await named_parties(running, "Gemeente Utopia", "iBeauty BVBA")
    draft = await parties.draft()
    assert names(draft) == ("Gemeente Utopia", "iBeauty BVBA")

    readers = {
        "controller admin": parties.controller_admin(),
        "processor admin": parties.processor_admin(),
        "controller auditor": parties.as_(parties.controller, Role.auditor),
        "processor member": parties.as_(parties.processor, Role.member),
    }
    for reader, headers in readers.items():
        read = await answer(parties, f"/agreements/{draft['id']}", headers)
        [listed] = (await answer(parties, "/agreements", headers))["items"]
        assert names(read) == names(listed) == ("Gemeente Utopia", "iBeauty BVBA"), reader
        assert (read["controller_id"], read["processor_id"]) == (
            parties.controller,
            parties.processor,
        )


async def test_a_rename_in_identity_shows_on_an_existing_agreement_and_nothing_signed_changes(
    running: Platform,
) -> None:
    parties = await named_parties(running, "Gemeente Utopia", "iBeauty")
    agreement_id = await parties.active()
    versions_before = await answer(
        parties, f"/agreements/{agreement_id}/versions", parties.controller_admin()
    )

    await taken_in(running, renamed(parties.processor, "iBeauty BVBA", at=T0 + timedelta(days=1)))

    read = await answer(parties, f"/agreements/{agreement_id}", parties.controller_admin())
    [listed] = (await answer(parties, "/agreements", parties.processor_admin()))["items"]
    assert names(read) == names(listed) == ("Gemeente Utopia", "iBeauty BVBA")
    versions_after = await answer(
        parties, f"/agreements/{agreement_id}/versions", parties.controller_admin()
    )
    assert versions_after == versions_before

    # An answer after a change (here: an amendment proposed) names the parties as they are now.
    amended = await parties.client.post(
        f"/agreements/{agreement_id}/amendments",
        json={"reason": "New breach notice period", "terms": {"breach_notice_hours": 24}},
        headers=parties.controller_admin(),
    )
    assert amended.status_code == 201, amended.text
    assert names(amended.json()) == ("Gemeente Utopia", "iBeauty BVBA")


async def test_an_organisation_without_a_name_is_shown_as_none(parties: Parties) -> None:
    """The parties fixture makes both known by created events without a name (older events)."""
    draft = await parties.draft()
    assert names(draft) == (None, None)
    read = await answer(parties, f"/agreements/{draft['id']}", parties.processor_admin())
    assert names(read) == (None, None)

    no_counterparty = await parties.client.post(
        "/agreements", json={"title": "Nog zonder verwerker"}, headers=parties.controller_admin()
    )
    assert no_counterparty.status_code == 201, no_counterparty.text
    assert no_counterparty.json()["processor_id"] is None
    assert names(no_counterparty.json()) == (None, None)


async def test_a_party_sees_only_its_own_agreements_and_their_counterparties_names__USE_1(
    running: Platform,
) -> None:
    parties = await named_parties(running, "Gemeente Utopia", "iBeauty BVBA")
    await parties.draft()
    rival = str(uuid.uuid4())
    await taken_in(running, created(rival, "processor", "Rival NV", at=T0))
    with_rival = await parties.client.post(
        "/agreements",
        json={"title": "Verwerkersovereenkomst Rival", "counterparty_id": rival},
        headers=parties.controller_admin(),
    )
    assert with_rival.status_code == 201, with_rival.text

    seen_by_processor = await parties.client.get("/agreements", headers=parties.processor_admin())
    assert [names(a) for a in seen_by_processor.json()["items"]] == [
        ("Gemeente Utopia", "iBeauty BVBA")
    ]
    assert "Rival NV" not in seen_by_processor.text
    refused = await parties.client.get(
        f"/agreements/{with_rival.json()['id']}", headers=parties.processor_admin()
    )
    assert refused.status_code == 404
    assert "Rival NV" not in refused.text

    seen_by_controller = await answer(parties, "/agreements", parties.controller_admin())
    assert [names(a) for a in seen_by_controller["items"]] == [
        ("Gemeente Utopia", "Rival NV"),
        ("Gemeente Utopia", "iBeauty BVBA"),
    ]


async def test_a_page_of_agreements_reads_all_parties_names_in_one_query(
    running: Platform,
) -> None:
    """However many agreements (and counterparties) a page holds, their names take one query and
    the versions shown one more: no query per agreement."""
    parties = await named_parties(running, "Gemeente Utopia", "iBeauty BVBA")
    await parties.draft()
    with statements_on(running, "known_organisation", "agreement_version") as one_agreement:
        await answer(parties, "/agreements", parties.controller_admin())

    for number in range(3):
        processor = str(uuid.uuid4())
        await taken_in(running, created(processor, "processor", f"Verwerker {number}", at=T0))
        more = await parties.client.post(
            "/agreements",
            json={"title": f"Verwerkersovereenkomst {number}", "counterparty_id": processor},
            headers=parties.controller_admin(),
        )
        assert more.status_code == 201, more.text
    with statements_on(running, "known_organisation", "agreement_version") as four_agreements:
        page = await answer(parties, "/agreements", parties.controller_admin())

    assert {names(a)[1] for a in page["items"]} == {
        "iBeauty BVBA",
        "Verwerker 0",
        "Verwerker 1",
        "Verwerker 2",
    }
    assert len(four_agreements) == len(one_agreement)
    assert sum("known_organisation" in s for s in four_agreements) == 1
