"""What the web console reads and does over identity's public API: previews of one-time links,
one's own organisation, the operator's organisations and their admins, maintenance notices.
Identity and audit (and the notifier where mail matters) on a real nats-server, on SQLite and
PostgreSQL; every read is an event, no answer or event carries a secret, a stranger sees nothing.
"""

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

from services.identity.store import OneTimeLink, Organisation, UserAccount
from tests.identity.conftest import (
    EVERYWHERE,
    PASSWORD,
    WITH_NOTIFIER,
    Account,
    Identity,
    assert_no_secret,
    events_of,
    maintenance_notice,
    token_of,
)
from tests.support.platform import eventually

REFUSED = "This link is invalid, used or expired; ask for a new one."


async def _user(identity: Identity, email: str) -> UserAccount:
    async with identity.platform.runtime("identity").sessions() as session:
        return (
            await session.scalars(select(UserAccount).where(col(UserAccount.email) == email))
        ).one()


async def _organisations(identity: Identity) -> int:
    async with identity.platform.runtime("identity").sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Organisation)) or 0)


async def _create(
    identity: Identity, operator: Account, name: str, kind: str = "controller"
) -> Any:
    response = await identity.client.post(
        "/organisations", json={"name": name, "kind": kind}, headers=operator.auth
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _invite_admin(
    identity: Identity, operator: Account, organisation_id: str, name: str = ""
) -> tuple[str, str]:
    """The operator invites an admin; returns (e-mail, link as the notifier gets it)."""
    email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    response = await identity.client.post(
        f"/organisations/{organisation_id}/admins",
        json={"email": email, "display_name": name},
        headers=operator.auth,
    )
    assert response.status_code == 202, response.text
    assert "token" not in response.text and "http" not in response.text
    user = await _user(identity, email)
    delivered = await identity.deliver(await identity.last_link_id(str(user.id)))
    assert delivered.status_code == 200, delivered.text
    return email, str(delivered.json()["url"])


async def _inspect(identity: Identity, path: str, link: str) -> Any:
    return await identity.client.post(path, json={"token": token_of(link)})


# 1. Invitation preview


async def test_invitation_preview_names_account_organisation_inviter_and_policy_without_using_the_link__TOM_T2c(  # noqa: E501
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    organisation = await _create(identity, operator, "Gemeente Utopia")
    admin_email, admin_link = await _invite_admin(
        identity, operator, organisation["id"], "Ann Admin"
    )

    first = await _inspect(identity, "/invitations/inspect", admin_link)
    assert first.status_code == 200, first.text
    preview = first.json()
    assert preview["email"] == admin_email
    assert preview["display_name"] == "Ann Admin"
    assert preview["organisation_name"] == "Gemeente Utopia"
    assert preview["organisation_kind"] == "controller"
    assert preview["invited_by_name"] is None  # the operator's admin has no name here
    # A new organisation asks its admins for a second factor: the invited admin is told at once.
    assert preview["policy"] == {"min_length": 12, "mfa": "admins"}
    assert datetime.fromisoformat(preview["expires_at"]) > datetime.now(UTC)
    # The preview did not use the link: the invited admin still chooses a password with it.
    assert (await identity.accept(admin_link, PASSWORD)).status_code == 204
    admin = await identity.login_account(admin_email, PASSWORD)

    # From now on the inviter is recorded: a member invited by Ann sees her name.
    _, _, member_link = await identity.invite(admin)
    member = (await _inspect(identity, "/invitations/inspect", member_link)).json()
    assert member["invited_by_name"] == "Ann Admin"
    assert member["organisation_name"] == "Gemeente Utopia"

    viewed = await events_of(identity.platform, "dpa.identity.link.viewed.v1", count=2)
    assert {entry.data["purpose"] for entry in viewed} == {"invitation"}
    assert all(entry.organisation_id == organisation["id"] for entry in viewed)
    every = await identity.platform.audit_entries()
    assert_no_secret(every, token_of(admin_link), token_of(member_link), PASSWORD)


async def test_invitation_preview_gives_one_answer_for_unknown_used_expired_and_reset_links__TOM_T2c(  # noqa: E501
    identity: Identity,
) -> None:
    admin = await identity.admin()
    user_id, email, used = await identity.invite(admin)
    assert (await identity.accept(used, PASSWORD)).status_code == 204
    expiring_id, _, expiring = await identity.invite(admin)
    async with identity.platform.runtime("identity").sessions() as session, session.begin():
        await session.execute(
            update(OneTimeLink)
            .where(col(OneTimeLink.user_id) == uuid.UUID(expiring_id))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await identity.client.post("/password-reset", json={"email": email})
    reset_id = await identity.last_link_id(user_id, "password_reset")
    reset = (await identity.deliver(reset_id)).json()["url"]

    for link in (f"x#token={secrets.token_urlsafe(32)}", used, expiring, reset):
        response = await _inspect(identity, "/invitations/inspect", link)
        assert response.status_code == 400, response.text
        assert response.json()["detail"] == REFUSED
    for bad in ({"token": "short"}, {}, {"token": "a" * 201}, {"token": "a" * 20, "x": 1}):
        response = await identity.client.post("/invitations/inspect", json=bad)
        assert response.status_code == 422, bad
    # Nothing was read, so nothing was recorded as read (up to a later read of something else).
    await identity.client.get("/organisation", headers=admin.auth)
    await events_of(identity.platform, "dpa.identity.organisation.viewed.v1")
    assert await identity.platform.audit_entries(event_type="dpa.identity.link.viewed.v1") == []


async def test_an_invitation_link_delivered_names_who_invited_whom_to_which_organisation(
    identity: Identity,
) -> None:
    """The notifier's mail says who invited whom to which organisation, with which role: identity
    answers those with the link it hands over (and a reset link carries none of them)."""
    operator = await identity.admin("operator")
    organisation = await _create(identity, operator, "Gemeente Utopia")
    admin_email, _ = await _invite_admin(identity, operator, organisation["id"], "Ann Admin")
    admin_user = await _user(identity, admin_email)
    handed = (await identity.deliver(await identity.last_link_id(str(admin_user.id)))).json()
    async with identity.platform.runtime("identity").sessions() as session:
        operator_org = await session.get(Organisation, uuid.UUID(operator.organisation_id))
        assert operator_org is not None
    assert (handed["purpose"], handed["display_name"], handed["role"]) == (
        "invitation", "Ann Admin", "admin"
    )  # fmt: skip
    assert handed["organisation_name"] == "Gemeente Utopia"
    # The operator's admin has no name: their address says who it was, and where from.
    assert handed["invited_by"] == operator.email
    assert handed["invited_by_organisation"] == operator_org.name

    assert (await identity.accept(handed["url"], PASSWORD)).status_code == 204
    admin = await identity.login_account(admin_email, PASSWORD)
    invited = await identity.client.post(
        "/users",
        json={"email": "bert@utopia.example", "role": "auditor", "display_name": "Bert Boek"},
        headers=admin.auth,
    )
    assert invited.status_code == 201, invited.text
    member = (await identity.deliver(await identity.last_link_id(invited.json()["id"]))).json()
    assert (member["invited_by"], member["invited_by_organisation"]) == (
        "Ann Admin", "Gemeente Utopia"
    )  # fmt: skip
    assert (member["display_name"], member["role"]) == ("Bert Boek", "auditor")

    await identity.client.post("/password-reset", json={"email": admin_email})
    reset_id = await identity.last_link_id(str(admin_user.id), "password_reset")
    reset = (await identity.deliver(reset_id)).json()
    assert reset["purpose"] == "password_reset"
    assert all(
        reset[key] is None
        for key in ("display_name", "role", "organisation_name", "invited_by",
                    "invited_by_organisation")
    )  # fmt: skip


# 2. Reset preview


async def test_reset_preview_shows_the_address_and_minimum_length_without_using_the_link__TOM_T2d(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    user_id, email, invitation = await identity.invite(admin)
    assert (await identity.accept(invitation, PASSWORD)).status_code == 204
    await identity.client.post("/password-reset", json={"email": email})
    link = (await identity.deliver(await identity.last_link_id(user_id, "password_reset"))).json()[
        "url"
    ]

    shown = await _inspect(identity, "/password-reset/inspect", link)
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"email": email, "policy": {"min_length": 12}}
    new_password = "a brand new passphrase"
    completed = await identity.client.post(
        "/password-reset/complete", json={"token": token_of(link), "password": new_password}
    )
    assert completed.status_code == 204, completed.text
    again = await _inspect(identity, "/password-reset/inspect", link)
    assert again.status_code == 400
    assert again.json()["detail"] == REFUSED
    # An invitation link is no reset link, and bad input is refused.
    _, _, other = await identity.invite(admin)
    assert (await _inspect(identity, "/password-reset/inspect", other)).status_code == 400
    assert (
        await identity.client.post("/password-reset/inspect", json={"token": 5})
    ).status_code == 422

    [viewed] = await events_of(
        identity.platform, "dpa.identity.link.viewed.v1", subject=user_id, count=1
    )
    assert viewed.data["purpose"] == "password_reset"
    assert viewed.data["fields"] == ["email", "policy"]
    assert_no_secret(await identity.platform.audit_entries(), token_of(link), new_password, email)


# 3. Own organisation


async def test_everyone_reads_their_own_organisation_and_only_it__TOM_T3a(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    member = await identity.member(admin, "auditor")
    stranger = await identity.admin("processor")
    for caller in (admin, member):
        response = await identity.client.get("/organisation", headers=caller.auth)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"id", "name", "kind", "status"}
        assert body["id"] == admin.organisation_id
        assert (body["kind"], body["status"]) == ("controller", "active")
    theirs = (await identity.client.get("/organisation", headers=stranger.auth)).json()
    assert (theirs["id"], theirs["kind"]) == (stranger.organisation_id, "processor")
    assert (await identity.client.get("/organisation")).status_code == 401
    unknown = identity.platform.auth(str(uuid.uuid4()))
    assert (await identity.client.get("/organisation", headers=unknown)).status_code == 401

    viewed = await events_of(
        identity.platform,
        "dpa.identity.organisation.viewed.v1",
        count=2,
        organisation_id=admin.organisation_id,
    )
    assert {entry.actor_id for entry in viewed} == {admin.user_id, member.user_id}


async def test_under_a_supplier_grant_the_own_organisation_is_the_customer__TOM_O3(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    customer = await identity.admin()
    asked = await identity.client.post(
        "/grants",
        json={
            "organisation_id": customer.organisation_id,
            "reason": "Investigate ticket 4711: export fails",
            "minutes": 30,
        },
        headers=operator.auth,
    )
    grant_id = asked.json()["id"]
    await identity.client.post(f"/grants/{grant_id}/approve", headers=customer.auth)
    token = (await identity.client.post(f"/grants/{grant_id}/token", headers=operator.auth)).json()
    under_grant = {"Authorization": f"Bearer {token['access_token']}"}
    response = await identity.client.get("/organisation", headers=under_grant)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == customer.organisation_id
    # ...and the operator's own staff token still names the operator.
    own = await identity.client.get("/organisation", headers=operator.auth)
    assert own.json()["kind"] == "operator"


# 4. The operator's organisations


async def test_operator_admin_creates_organisations_like_the_cli_and_reads_them__USE_1(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    created = await _create(identity, operator, "  iBeauty   BV ", "processor")
    assert created["name"] == "iBeauty BV"
    assert (created["kind"], created["status"]) == ("processor", "active")
    read = await identity.client.get(f"/organisations/{created['id']}", headers=operator.auth)
    assert read.status_code == 200
    assert read.json() == created

    [event] = await events_of(
        identity.platform, "dpa.identity.organisation.created.v1", subject=created["id"]
    )
    assert event.actor_id == operator.user_id
    assert (event.data["organisation_id"], event.data["kind"]) == (created["id"], "processor")
    await events_of(identity.platform, "dpa.identity.organisation.viewed.v1", subject=created["id"])

    before = await _organisations(identity)
    for bad in (
        {"name": "X", "kind": "operator"},
        {"name": "", "kind": "controller"},
        {"name": "   ", "kind": "controller"},
        {"name": "x" * 201, "kind": "controller"},
        {"name": "X", "kind": "controller", "status": "disabled"},
        {"kind": "controller"},
    ):
        response = await identity.client.post("/organisations", json=bad, headers=operator.auth)
        assert response.status_code == 422, (bad, response.text)
    assert await _organisations(identity) == before
    missing = await identity.client.get(f"/organisations/{uuid.uuid4()}", headers=operator.auth)
    assert missing.status_code == 404


async def test_operator_admin_lists_every_organisation_a_page_at_a_time__USE_1(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    created = {(await _create(identity, operator, f"Org {n}"))["id"] for n in range(3)}
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await identity.client.get("/organisations", params=params, headers=operator.auth)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    total = await _organisations(identity)
    assert len(seen) == len(set(seen)) == total  # every organisation once (with the operator's)
    assert created <= set(seen)
    assert pages == (total + 1) // 2
    await events_of(identity.platform, "dpa.identity.organisation.listed.v1", count=pages)

    for params in ({"limit": 0}, {"limit": 101}, {"cursor": "not-a-cursor"}, {"cursor": "W10"}):
        response = await identity.client.get("/organisations", params=params, headers=operator.auth)
        assert response.status_code == 422, (params, response.text)


async def test_no_one_but_the_operators_admins_lists_reads_creates_or_invites_organisations__USE_1(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    operator_member = await identity.member(operator, "member")
    customer = await identity.admin()
    before = await _organisations(identity)
    invite = {"email": "new-admin@example.org", "display_name": "New"}
    for caller in (customer, operator_member):
        listed = await identity.client.get("/organisations", headers=caller.auth)
        assert listed.status_code == 403
        assert listed.json()["detail"] == "Not allowed"
        made = await identity.client.post(
            "/organisations", json={"name": "Sneaky", "kind": "controller"}, headers=caller.auth
        )
        assert made.status_code == 403
        own = await identity.client.get(
            f"/organisations/{caller.organisation_id}", headers=caller.auth
        )
        assert own.status_code == 200  # one's own organisation, as GET /organisation
        other = operator if caller is customer else customer
        read = await identity.client.get(
            f"/organisations/{other.organisation_id}", headers=caller.auth
        )
        assert read.status_code == 404
        assert read.json()["detail"] == "Organisation not found"
        for organisation in (customer.organisation_id, operator.organisation_id):
            invited = await identity.client.post(
                f"/organisations/{organisation}/admins", json=invite, headers=caller.auth
            )
            assert invited.status_code == 404
    assert (await identity.client.get("/organisations")).status_code == 401
    assert await _organisations(identity) == before
    async with identity.platform.runtime("identity").sessions() as session:
        assert (
            await session.scalars(
                select(UserAccount).where(col(UserAccount.email) == "new-admin@example.org")
            )
        ).first() is None


@pytest.mark.parametrize("services", [WITH_NOTIFIER])
async def test_operator_invites_an_organisations_admin_who_is_mailed_the_link__TOM_T2a_TOM_T2c(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    organisation = await _create(identity, operator, "Gemeente Utopia")
    email, link = await _invite_admin(identity, operator, organisation["id"], "Ann Admin")
    user = await _user(identity, email)
    assert (user.role, str(user.invited_by)) == ("admin", operator.user_id)

    [invited] = await events_of(
        identity.platform, "dpa.identity.user.invited.v1", subject=str(user.id)
    )
    assert invited.organisation_id == organisation["id"]
    assert invited.actor_id == operator.user_id
    # The notifier took it for the new organisation, exactly as a /users invitation.
    await eventually(
        lambda: identity.platform.receipts(
            event_type="dpa.identity.user.invited.v1", organisation_id=organisation["id"]
        )
    )
    assert (await identity.accept(link, PASSWORD)).status_code == 204
    admin = await identity.login_account(email, PASSWORD)
    assert (await identity.client.get("/users", headers=admin.auth)).status_code == 200

    # The same address again is a conflict; bad input and disabled organisations are refused.
    again = await identity.client.post(
        f"/organisations/{organisation['id']}/admins", json={"email": email}, headers=operator.auth
    )
    assert again.status_code == 409
    for bad in ({"email": "not-an-address"}, {}, {"email": "a@b.org", "role": "member"}):
        response = await identity.client.post(
            f"/organisations/{organisation['id']}/admins", json=bad, headers=operator.auth
        )
        assert response.status_code == 422, bad
    await identity.client.post(
        f"/organisations/{organisation['id']}/disable", headers=operator.auth
    )
    closed = await identity.client.post(
        f"/organisations/{organisation['id']}/admins",
        json={"email": "late@example.org"},
        headers=operator.auth,
    )
    assert closed.status_code == 422
    missing = await identity.client.post(
        f"/organisations/{uuid.uuid4()}/admins",
        json={"email": "x@example.org"},
        headers=operator.auth,
    )
    assert missing.status_code == 404
    assert_no_secret(await identity.platform.audit_entries(), token_of(link), email)


# 5. Maintenance notices


async def test_maintenance_notices_are_listed_to_their_customer_and_their_sender_only__TOM_O3(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    first = await identity.admin()
    second = await identity.admin("processor")
    older = await maintenance_notice(identity, operator, first, reason="Planned database upgrade")
    newer = await maintenance_notice(
        identity, operator, first, reason="Planned operating system upgrade"
    )
    covered = await identity.client.post(
        "/grants",
        json={
            "organisation_id": first.organisation_id,
            "reason": "Database upgrade checks",
            "minutes": 30,
        },
        headers=operator.auth,
    )
    assert covered.json()["status"] == "approved"
    covering = covered.json()["notice_id"]

    listed = await identity.client.get("/maintenance-notices", headers=first.auth)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [item["id"] for item in items] == [newer["id"], older["id"]]
    assert listed.json()["next_cursor"] is None
    item = next(item for item in items if item["id"] == covering)
    assert item["grant_ids"] == [covered.json()["id"]]
    assert item["organisation_id"] == first.organisation_id
    assert item["operator_organisation_id"] == operator.organisation_id
    assert {"starts_at", "ends_at", "reason", "created_at"} <= set(item)
    assert item["objected_at"] is None

    sent = (await identity.client.get("/maintenance-notices", headers=operator.auth)).json()
    assert {item["id"] for item in sent["items"]} == {newer["id"], older["id"]}
    # A second customer sees none of the first's; a paged read keeps the order.
    other = await identity.client.get("/maintenance-notices", headers=second.auth)
    assert other.json() == {"items": [], "next_cursor": None}
    page = (
        await identity.client.get("/maintenance-notices", params={"limit": 1}, headers=first.auth)
    ).json()
    assert [item["id"] for item in page["items"]] == [newer["id"]]
    rest = await identity.client.get(
        "/maintenance-notices",
        params={"limit": 1, "cursor": page["next_cursor"]},
        headers=first.auth,
    )
    assert [item["id"] for item in rest.json()["items"]] == [older["id"]]
    assert rest.json()["next_cursor"] is None

    member = await identity.member(first, "member")
    assert (
        await identity.client.get("/maintenance-notices", headers=member.auth)
    ).status_code == 403
    for params in ({"limit": 0}, {"cursor": "garbage!"}):
        bad = await identity.client.get("/maintenance-notices", params=params, headers=first.auth)
        assert bad.status_code == 422
    listed_events = await events_of(
        identity.platform,
        "dpa.identity.maintenance_notice.listed.v1",
        organisation_id=second.organisation_id,
    )
    assert listed_events[0].data == {"notice_ids": []}


# 6. The operator's status of every service, with identity's real tokens


def _claims(account: Account) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(account.access_token, options={"verify_signature": False})
    return decoded


@pytest.mark.parametrize("services", [EVERYWHERE])
async def test_tokens_name_the_organisation_kind_and_only_operator_admins_read_the_status__TOM_O3(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    operator_member = await identity.member(operator, "member")
    customer = await identity.admin()
    assert _claims(operator)["org_kind"] == "operator"
    assert _claims(customer)["org_kind"] == "controller"
    refreshed = await identity.client.post(
        "/sessions/refresh", json={"refresh_token": customer.refresh_token}
    )
    assert (
        jwt.decode(refreshed.json()["access_token"], options={"verify_signature": False})[
            "org_kind"
        ]
        == "controller"
    )

    for service in EVERYWHERE:
        client = identity.platform.clients[service]
        answer = await client.get("/operations/status", headers=operator.auth)
        assert answer.status_code == 200, (service, answer.text)
        body = answer.json()
        assert body["service"] == service
        assert set(body) >= {"service", "ready", "outbox", "consumers"}
        assert ("checkpoints" in body) == (service == "audit")
        for caller in (operator_member, customer):
            refused = await client.get("/operations/status", headers=caller.auth)
            assert refused.status_code == 403, service
