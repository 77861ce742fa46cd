"""The end that means it (DPA-13, DPA-4b): a named, authorised person of the processor attests,
in their own session, what the processor destroyed or returned on its own systems and backups;
pactum adds its own part and signs the whole; the controller sees it. Bad input changes nothing.
Over HTTP on a real nats-server and database."""

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from services.agreements.closure.certificates import verify
from services.agreements.closure.store import Attestation
from shared.auth import Role
from shared.outbox import OutboxMessage
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually


def _person(
    parties: Parties, organisation: str, *, name: str | None, roles: list[Role]
) -> dict[str, str]:
    token = parties.platform.signer.issue(
        user_id=f"user-{uuid.uuid4().hex[:8]}",
        organisation_id=organisation,
        roles=roles,
        name=name,
    )
    return {"Authorization": f"Bearer {token}"}


def _els(parties: Parties) -> dict[str, str]:
    """Els Maes, admin of the processor, signed in."""
    return _person(parties, parties.processor, name="Els Maes", roles=[Role.admin])


def _items() -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "what": "appointment records of the municipality",
            "system": "crm-db (Brussels data centre)",
            "action": "destroyed",
            "done_at": now.isoformat(),
            "method": "DROP of the tenant schema, then VACUUM FULL",
        },
        {
            "what": "nightly backups holding those records",
            "system": "backup vault (Antwerp)",
            "action": "destroyed",
            "done_at": now.isoformat(),
            "method": "excluded from restores; overwritten by rotation",
            "backup": True,
            "backup_expires_at": (now + timedelta(days=35)).isoformat(),
        },
    ]


async def _terminated(parties: Parties) -> str:
    agreement_id = await parties.active()
    response = await parties.client.post(
        f"/agreements/{agreement_id}/termination",
        json={"reason": "end of contract"},
        headers=parties.controller_admin(),
    )
    assert response.status_code == 200, response.text
    return agreement_id


async def test_dpa_13_the_processors_named_admin_attests_and_pactum_signs_the_whole(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await _terminated(parties)
    url = f"/agreements/{agreement_id}"

    attested = await parties.client.post(
        f"{url}/destruction-attestation", json={"items": _items()}, headers=_els(parties)
    )
    assert attested.status_code == 201, attested.text
    shown = attested.json()
    assert (shown["attested_name"], shown["attested_role"]) == ("Els Maes", "admin")
    assert shown["items"][1]["backup"] is True

    closed = await parties.client.post(
        f"{url}/closure", json={"choice": "destroy"}, headers=parties.controller_admin()
    )
    assert closed.status_code == 200, closed.text
    statement = closed.json()["statement"]
    part = statement["processor_attestation"]
    assert part["attested_by"]["name"] == "Els Maes"
    assert part["attested_by"]["role"] == "admin"
    assert [item["system"] for item in part["items"]] == [
        "crm-db (Brussels data centre)",
        "backup vault (Antwerp)",
    ]
    assert "staff" in statement["destroyed"]  # pactum's own part beside the processor's
    keys = (await parties.client.get("/certificate-keys")).json()["keys"]
    assert verify(statement, closed.json()["signature"], keys[0])
    forged = statement | {"processor_attestation": part | {"items": part["items"][:1]}}
    assert not verify(forged, closed.json()["signature"], keys[0])

    seen = await parties.client.get(
        f"{url}/certificate", headers=parties.as_(parties.controller, Role.auditor)
    )
    assert seen.json()["statement"]["processor_attestation"] == part
    state = await parties.client.get(f"{url}/closure", headers=parties.controller_admin())
    assert (state.json()["outstanding"], state.json()["overdue"]) == ([], False)

    [entry] = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.destruction_attestation.signed.v1",
        )
    )
    assert "Antwerp" not in str(entry.data)  # what and where stay in the certificate
    assert entry.data["items"] == 2 and entry.data["backups"] == 1


async def test_dpa_13_an_attestation_after_closure_is_signed_into_the_certificate_anew(
    parties: Parties,
) -> None:
    agreement_id = await _terminated(parties)
    url = f"/agreements/{agreement_id}"
    closed = await parties.client.post(
        f"{url}/closure", json={"choice": "destroy"}, headers=parties.controller_admin()
    )
    first = closed.json()
    assert first["statement"]["processor_attestation"] is None
    state = await parties.client.get(f"{url}/closure", headers=parties.processor_admin())
    assert state.json()["outstanding"] == ["processor_attestation"]

    attested = await parties.client.post(
        f"{url}/destruction-attestation", json={"items": _items()}, headers=_els(parties)
    )
    assert attested.status_code == 201, attested.text
    again = await parties.client.post(
        f"{url}/destruction-attestation", json={"items": _items()}, headers=_els(parties)
    )
    assert again.status_code == 409

    signed = (
        await parties.client.get(f"{url}/certificate", headers=parties.controller_admin())
    ).json()
    assert signed["id"] == first["id"]
    assert signed["statement"]["processor_attestation"]["attested_by"]["name"] == "Els Maes"
    assert signed["statement"]["destroyed"] == first["statement"]["destroyed"]
    assert verify(signed["statement"], signed["signature"], signed["public_key"])
    assert not verify(signed["statement"], first["signature"], signed["public_key"])


async def test_dpa_13_only_an_admin_of_the_processor_after_termination_may_attest(
    parties: Parties,
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/destruction-attestation"
    body = {"items": _items()}
    live = await parties.client.post(url, json=body, headers=_els(parties))
    assert live.status_code == 409
    assert "terminated" in live.json()["detail"]
    await parties.client.post(
        f"/agreements/{agreement_id}/termination",
        json={"reason": "end of contract"},
        headers=parties.controller_admin(),
    )
    body = {"items": _items()}
    controller = _person(parties, parties.controller, name="Jan Janssens", roles=[Role.admin])
    assert (await parties.client.post(url, json=body, headers=controller)).status_code == 403
    member = _person(parties, parties.processor, name="Piet Member", roles=[Role.member])
    assert (await parties.client.post(url, json=body, headers=member)).status_code == 403
    stranger = _person(parties, str(uuid.uuid4()), name="Eve", roles=[Role.admin])
    assert (await parties.client.post(url, json=body, headers=stranger)).status_code == 404
    nameless = _person(parties, parties.processor, name=None, roles=[Role.admin])
    unnamed = await parties.client.post(url, json=body, headers=nameless)
    assert unnamed.status_code == 422
    assert "name" in unnamed.json()["detail"]
    assert await parties.platform.count("agreements", Attestation) == 0


def _changed(index: int, **fields: Any) -> dict[str, Any]:
    items = _items()
    items[index] = items[index] | fields
    return {"items": items}


def _future() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


def _long_ago() -> str:
    return (datetime.now(UTC) - timedelta(days=400)).isoformat()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (lambda: {"items": []}, "at least 1 item"),
        (lambda: {"items": _items(), "attested_name": "Someone Else"}, "Extra inputs"),
        (lambda: _changed(0, action="archived"), "destroyed"),
        (lambda: _changed(0, done_at=_future()), "item 1: done_at lies in the future"),
        (lambda: _changed(0, done_at=_long_ago()), "before the day the agreement was terminated"),
        (lambda: _changed(1, backup_expires_at=None), "item 2: a backup needs backup_expires_at"),
        (lambda: _changed(0, backup_expires_at=_future()), "only for backups"),
        (lambda: _changed(1, backup_expires_at=_long_ago()), "before done_at"),
        (lambda: _changed(0, system=""), "at least 1 character"),
        (lambda: _changed(0, done_at="last week"), "datetime"),
    ],
)
async def test_dpa_13_a_bad_attestation_gets_422_and_changes_nothing(
    parties: Parties, body: Any, message: str
) -> None:
    agreement_id = await _terminated(parties)
    before = await parties.platform.count("agreements", OutboxMessage)
    response = await parties.client.post(
        f"/agreements/{agreement_id}/destruction-attestation", json=body(), headers=_els(parties)
    )
    assert response.status_code == 422, response.text
    assert message in response.text
    assert await parties.platform.count("agreements", OutboxMessage) == before
    assert await parties.platform.count("agreements", Attestation) == 0
