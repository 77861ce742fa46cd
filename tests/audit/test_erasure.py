"""Erasure that keeps integrity (TOM-T1, TOM-32a): destroying a key pseudonymises the entries it
sealed; they stay, still verify, and the erasure itself is logged without personal data."""

import uuid
from datetime import UTC, datetime, timedelta

from pactum_verify.export import verify_export
from sqlalchemy import select

from services.audit.erasure import expire_personal_data
from services.audit.store import SealKey
from shared.auth import Role
from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.platform import Platform, eventually


async def _shown(audit: Platform, organisation: str) -> dict[str, dict[str, object]]:
    response = await audit.clients["audit"].get(
        "/audit/entries?action=dpa.agreements.", headers=reader(audit, organisation)
    )
    return {str(item["actor_id"]): item for item in response.json()["items"]}


async def test_erasure_request_pseudonymises_and_the_log_still_verifies__TOM_T1_TOM_32a(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    await producer.send(
        event(organisation, actor="alice", client_address="203.0.113.5"),
        event(
            organisation,
            actor="alice",
            type="dpa.agreements.agreement.created.v1",
            data={"agreement_id": str(uuid.uuid4())},
        ),
        event(organisation, actor="bob", client_address="203.0.113.9"),
    )
    await entries_of(audit, organisation, 3)
    before = await _shown(audit, organisation)
    assert before["alice"]["personal_data"] == {"client_address": "203.0.113.5"}
    client = audit.clients["audit"]

    auditor = await client.post(
        "/audit/erasures", json={"subject_id": "alice"}, headers=reader(audit, organisation)
    )
    assert auditor.status_code == 403  # only an admin erases
    erased = await client.post(
        "/audit/erasures",
        json={"subject_id": "alice"},
        headers=audit.auth(organisation, [Role.admin]),
    )
    assert erased.status_code == 201 and erased.json() == {"keys_destroyed": 1}

    after = await _shown(audit, organisation)
    assert after["alice"]["personal_data"] is None
    assert str(after["alice"]["pseudonym"]).startswith("erased:")
    assert after["bob"]["personal_data"] == {"client_address": "203.0.113.9"}
    assert (await client.get("/audit/verification", headers=reader(audit, organisation))).json()[
        "valid"
    ] is True
    lines = (await client.get("/audit/export", headers=reader(audit, organisation))).text
    assert "203.0.113.5" not in lines and "203.0.113.9" in lines
    key = (await client.get("/audit/checkpoint-key")).json()["public_key"]
    assert verify_export(lines.splitlines(), public_key=key).valid

    [record] = await eventually(
        lambda: audit.audit_entries(
            organisation_id=organisation, event_type="dpa.audit.personal_data.destroyed.v1"
        )
    )
    assert record.data["reason"] == "erasure_request"
    assert len(list(record.data["key_ids"])) == 1  # type: ignore[call-overload]
    assert "alice" not in str(record.data) and "203.0.113.5" not in str(record.data)


async def test_personal_data_past_retention_is_pseudonymised_automatically__TOM_T1(
    audit: Platform, producer: Producer
) -> None:
    organisation = str(uuid.uuid4())
    old = datetime.now(UTC) - timedelta(days=100)
    await producer.send(
        event(organisation, actor="old-user", client_address="192.0.2.1", when=old),
        event(organisation, actor="new-user", client_address="192.0.2.2"),
    )
    await entries_of(audit, organisation, 2)
    runtime = audit.runtime("audit")
    destroyed = await expire_personal_data(runtime.sessions, runtime.outbox, retention_days=30)
    assert destroyed == 1
    shown = await _shown(audit, organisation)
    assert shown["old-user"]["personal_data"] is None and shown["old-user"]["pseudonym"]
    assert shown["new-user"]["personal_data"] == {"client_address": "192.0.2.2"}
    async with runtime.sessions() as session:
        keys = (
            await session.scalars(
                select(SealKey).where(SealKey.subject_id.in_(["old-user", "new-user"]))  # type: ignore[attr-defined]
            )
        ).all()
    assert sorted(key.material is None for key in keys) == [False, True]
    [record] = await eventually(
        lambda: audit.audit_entries(
            organisation_id=organisation, event_type="dpa.audit.personal_data.destroyed.v1"
        )
    )
    assert record.data["reason"] == "retention" and record.actor_type == "system"
    assert await expire_personal_data(runtime.sessions, runtime.outbox, retention_days=30) == 0


async def test_erasure_is_scoped_to_the_callers_organisation__TOM_T1(
    audit: Platform, producer: Producer
) -> None:
    ours, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    await producer.send(event(theirs, actor="carol", client_address="192.0.2.3"))
    await entries_of(audit, theirs, 1)
    response = await audit.clients["audit"].post(
        "/audit/erasures", json={"subject_id": "carol"}, headers=audit.auth(ours, [Role.admin])
    )
    assert response.json() == {"keys_destroyed": 0}
    assert (await _shown(audit, theirs))["carol"]["personal_data"] == {
        "client_address": "192.0.2.3"
    }
    bad = await audit.clients["audit"].post(
        "/audit/erasures", json={"subject_id": ""}, headers=audit.auth(ours, [Role.admin])
    )
    assert bad.status_code == 422
