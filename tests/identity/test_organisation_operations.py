"""The operator runs organisations (USE-1): renames one, disables one whose contract ended (and
enables it again), and has identity re-announce them all. Identity, audit, notifier and
agreements run in-process on a real nats-server, on SQLite and PostgreSQL; the agreements
directory learns everything from identity's events only.
"""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlmodel import col

from services.agreements.directory.consumers import ORGANISATIONS_DURABLE
from services.agreements.directory.store import KnownOrganisation, OrganisationStatus
from services.identity.store import Organisation
from shared.inbox import InboxReceipt
from shared.outbox import OutboxMessage
from tests.agreements.contract import ANNEX1
from tests.agreements.organisations import once_known
from tests.identity.conftest import EVERYWHERE, Account, Identity, events_of
from tests.support.platform import Platform, eventually

NOT_A_PROCESSOR = (
    "counterparty_id is not an organisation that can be the processor of this agreement"
)
OPERATOR_EVENTS = (
    "dpa.identity.organisation.updated.v1",
    "dpa.identity.organisation.disabled.v1",
    "dpa.identity.organisation.enabled.v1",
    "dpa.identity.organisation.announced.v1",
)


@pytest.fixture
def services() -> tuple[str, ...]:
    return EVERYWHERE


async def _directory_entry(platform: Platform, organisation: str) -> KnownOrganisation | None:
    async with platform.runtime("agreements").sessions() as session:
        return await session.get(KnownOrganisation, uuid.UUID(organisation))


async def _until_known(platform: Platform, organisation: str, **expected: Any) -> None:
    """Wait until the agreements directory holds ``expected`` for the organisation."""

    async def holds() -> bool:
        entry = await _directory_entry(platform, organisation)
        return entry is not None and all(getattr(entry, k) == v for k, v in expected.items())

    await eventually(holds)


async def _identity_state(identity: Identity) -> tuple[list[tuple[Any, ...]], int]:
    """Every organisation as identity holds it, and how many operator events its outbox has."""
    async with identity.platform.runtime("identity").sessions() as session:
        rows = (
            await session.execute(
                select(
                    col(Organisation.id), col(Organisation.name), col(Organisation.status)
                ).order_by(col(Organisation.id))
            )
        ).all()
        events = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.event_type).in_(OPERATOR_EVENTS))
        )
    return [tuple(row) for row in rows], int(events or 0)


async def _draft(identity: Identity, customer: Account, processor: str) -> httpx.Response:
    return await identity.platform.clients["agreements"].post(
        "/agreements",
        json={
            "title": "Verwerkersovereenkomst",
            "party": "controller",
            "counterparty_id": processor,
            "annex1": ANNEX1,
        },
        headers=customer.auth,
    )


async def test_the_name_arrives_in_agreements_and_a_rename_follows__USE_1(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    organisation, _ = await identity.organisation("processor")
    async with identity.platform.runtime("identity").sessions() as session:
        stored = await session.get(Organisation, uuid.UUID(organisation))
        assert stored is not None
        created_name = stored.name
    await _until_known(identity.platform, organisation, name=created_name)

    renamed = await identity.client.put(
        f"/organisations/{organisation}/name",
        json={"name": "  iBeauty   BVBA "},
        headers=operator.auth,
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["status"]) == ("iBeauty BVBA", "active")
    await _until_known(identity.platform, organisation, name="iBeauty BVBA")

    [entry] = await events_of(
        identity.platform, "dpa.identity.organisation.updated.v1", subject=organisation
    )
    assert entry.organisation_id == organisation  # in the organisation's own audit log
    assert (entry.actor_id, entry.actor_organisation_id) == (
        operator.user_id,
        operator.organisation_id,
    )
    # Audit seals a ``name`` with the personal data (a sole trader's name is one).
    assert entry.data == {"organisation_id": organisation}
    assert entry.sealed is not None and "iBeauty" not in entry.sealed


async def test_a_disabled_organisation_enters_no_new_agreement_and_its_agreements_stay__USE_1(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    customer = await identity.admin("controller")
    processor, _ = await identity.organisation("processor")
    await _until_known(identity.platform, processor)
    existing = await once_known(lambda: _draft(identity, customer, processor))
    assert existing.status_code == 201, existing.text

    disabled = await identity.client.post(
        f"/organisations/{processor}/disable", headers=operator.auth
    )
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["status"] == "disabled"
    await _until_known(identity.platform, processor, status=OrganisationStatus.disabled)

    refused = await _draft(identity, customer, processor)
    unknown = await _draft(identity, customer, str(uuid.uuid4()))
    assert (refused.status_code, refused.json()["detail"]) == (422, NOT_A_PROCESSOR)
    assert refused.json() == unknown.json()
    kept = await identity.platform.clients["agreements"].get(
        f"/agreements/{existing.json()['id']}", headers=customer.auth
    )
    assert kept.status_code == 200
    assert (kept.json()["counterparty_id"], kept.json()["status"]) == (
        processor,
        existing.json()["status"],
    )

    enabled = await identity.client.post(
        f"/organisations/{processor}/enable", headers=operator.auth
    )
    assert enabled.json()["status"] == "active"
    await _until_known(identity.platform, processor, status=OrganisationStatus.active)
    assert (await _draft(identity, customer, processor)).status_code == 201
    await events_of(identity.platform, "dpa.identity.organisation.disabled.v1", subject=processor)
    await events_of(identity.platform, "dpa.identity.organisation.enabled.v1", subject=processor)


async def test_only_the_operators_admins_run_organisations__USE_1_TOM_T2e(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    operator_member = await identity.member(operator)
    customer = await identity.admin("controller")
    target, _ = await identity.organisation("processor")
    before = await _identity_state(identity)
    for caller in (customer, operator_member):
        for method, path, body in (
            ("PUT", f"/organisations/{target}/name", {"name": "Taken over"}),
            ("POST", f"/organisations/{target}/disable", None),
            ("POST", f"/organisations/{target}/enable", None),
            ("POST", "/organisations/announcements", None),
            ("POST", f"/organisations/{uuid.uuid4()}/disable", None),  # no oracle on ids
        ):
            answer = await identity.client.request(method, path, json=body, headers=caller.auth)
            assert answer.status_code == 403, (method, path, answer.text)
    assert (await identity.client.post("/organisations/announcements")).status_code == 401
    assert await _identity_state(identity) == before


BAD_INPUT: tuple[tuple[str, str, Any, int], ...] = (
    ("PUT", "/organisations/{missing}/name", {"name": "Nobody"}, 404),
    ("POST", "/organisations/{missing}/disable", None, 404),
    ("POST", "/organisations/{missing}/enable", None, 404),
    ("PUT", "/organisations/{target}/name", {"name": "   "}, 422),
    ("PUT", "/organisations/{target}/name", {"name": ""}, 422),
    ("PUT", "/organisations/{target}/name", {"name": "x" * 201}, 422),
    ("PUT", "/organisations/{target}/name", {"name": "A", "kind": "operator"}, 422),
    ("PUT", "/organisations/{target}/name", {}, 422),
    ("PUT", "/organisations/{target}/name", ["A"], 422),
    ("PUT", "/organisations/not-an-id/name", {"name": "A"}, 422),
    ("POST", "/organisations/{own}/disable", None, 422),
)


async def test_bad_input_is_refused_and_changes_nothing(identity: Identity) -> None:
    operator = await identity.admin("operator")
    target, _ = await identity.organisation("processor")
    before = await _identity_state(identity)
    for method, path, body, expected in BAD_INPUT:
        url = path.format(missing=uuid.uuid4(), target=target, own=operator.organisation_id)
        answer = await identity.client.request(method, url, json=body, headers=operator.auth)
        assert answer.status_code == expected, (method, path, body, answer.text)
    assert await _identity_state(identity) == before


async def test_re_announcing_rebuilds_an_emptied_directory_once_per_organisation__USE_1(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    controller, _ = await identity.organisation("controller")
    processor, _ = await identity.organisation("processor")
    renamed = await identity.client.put(
        f"/organisations/{controller}/name", json={"name": "UTOPIA"}, headers=operator.auth
    )
    assert renamed.status_code == 200
    await identity.client.post(f"/organisations/{processor}/disable", headers=operator.auth)
    await _until_known(identity.platform, processor, status=OrganisationStatus.disabled)
    await _until_known(identity.platform, controller, name="UTOPIA")

    agreements = identity.platform.runtime("agreements")
    async with agreements.sessions() as session, session.begin():
        await session.execute(delete(KnownOrganisation))  # a restore from before, say
    organisations, _ = await _identity_state(identity)

    answer = await identity.client.post("/organisations/announcements", headers=operator.auth)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"announced": len(organisations)}

    async def rebuilt() -> list[tuple[Any, ...]]:
        async with agreements.sessions() as session:
            rows = (
                await session.execute(
                    select(
                        col(KnownOrganisation.id),
                        col(KnownOrganisation.name),
                        col(KnownOrganisation.status),
                    ).order_by(col(KnownOrganisation.id))
                )
            ).all()
        return [tuple(row) for row in rows] if len(rows) == len(organisations) else []

    directory = await eventually(rebuilt)
    assert [(str(i), n, str(s)) for i, n, s in directory] == [
        (str(i), n, str(s)) for i, n, s in organisations
    ]
    entries = await events_of(
        identity.platform, "dpa.identity.organisation.announced.v1", count=len(organisations)
    )
    assert sorted(e.subject for e in entries) == sorted(str(i) for i, _, _ in organisations)
    assert {e.actor_id for e in entries} == {operator.user_id}
    # Announcing is no creation: each organisation still has exactly one created event.
    created = await identity.platform.audit_entries(
        event_type="dpa.identity.organisation.created.v1", subject=controller
    )
    assert len(created) == 1
    async with agreements.sessions() as session:
        receipts = await session.scalar(
            select(func.count())
            .select_from(InboxReceipt)
            .where(
                col(InboxReceipt.consumer) == ORGANISATIONS_DURABLE,
                col(InboxReceipt.event_id).in_([e.event_id for e in entries]),
            )
        )
    assert receipts == len(organisations)


async def test_a_disabled_organisations_users_are_signed_out_and_cannot_sign_in__USE_1_TOM_T2a(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    member = await identity.admin("processor")
    assert (await identity.client.get("/me", headers=member.auth)).status_code == 200

    disabled = await identity.client.post(
        f"/organisations/{member.organisation_id}/disable", headers=operator.auth
    )
    assert disabled.status_code == 200, disabled.text

    assert (await identity.client.get("/me", headers=member.auth)).status_code == 401
    refreshed = await identity.client.post(
        "/sessions/refresh", json={"refresh_token": member.refresh_token}
    )
    assert refreshed.status_code == 401
    login = await identity.login(member.email, member.password)
    wrong = await identity.login(member.email, "not the password at all")
    assert (login.status_code, login.json()) == (wrong.status_code, wrong.json())  # generic
    [revoked] = await events_of(
        identity.platform, "dpa.identity.session.revoked.v1", subject=member.user_id
    )
    assert revoked.data["reason"] == "organisation_disabled"

    await identity.client.post(
        f"/organisations/{member.organisation_id}/enable", headers=operator.auth
    )
    assert (await identity.login(member.email, member.password)).status_code == 200
