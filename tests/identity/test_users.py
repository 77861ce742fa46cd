"""An organisation's admins run their own users (TOM-T2a); users choose their own passwords
(TOM-T2c); two levels of rights and a read-only auditor (TOM-T2e); other tenants are invisible."""

import uuid

import jwt
import pytest

from services.identity.store import KnownDevice, UserAccount
from shared.outbox import OutboxMessage
from tests.identity.conftest import (
    EVERYWHERE,
    PASSWORD,
    WITH_NOTIFIER,
    Account,
    Identity,
    assert_no_secret,
    events_of,
    token_of,
)
from tests.support.platform import eventually


@pytest.mark.parametrize("services", [WITH_NOTIFIER])
async def test_admin_invites_a_user_who_chooses_their_own_password__TOM_T2a_TOM_T2c(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    user_id, email, link = await identity.invite(admin)
    assert (await identity.login(email, PASSWORD)).status_code == 401  # not accepted yet

    assert (await identity.accept(link, "my own chosen passphrase")).status_code == 204
    member = await identity.login_account(email, "my own chosen passphrase")
    assert member.user_id == user_id

    platform = identity.platform
    [invited] = await events_of(platform, "dpa.identity.user.invited.v1", subject=user_id)
    assert invited.actor_id == admin.user_id
    assert invited.organisation_id == admin.organisation_id
    await events_of(platform, "dpa.identity.link.issued.v1", subject=user_id)
    await events_of(platform, "dpa.identity.invitation.accepted.v1", subject=user_id)
    await events_of(platform, "dpa.identity.login.succeeded.v1", subject=user_id)
    every = await platform.audit_entries()
    assert_no_secret(every, token_of(link), "my own chosen passphrase", email)
    # The notifier saw the invitation event (it fetches the link with the id it carries).
    await eventually(lambda: platform.receipts(event_type="dpa.identity.user.invited.v1"))


async def test_invitation_link_works_once__TOM_T2c(identity: Identity) -> None:
    admin = await identity.admin()
    _, email, link = await identity.invite(admin)
    assert (await identity.accept(link, PASSWORD)).status_code == 204
    again = await identity.accept(link, "another long passphrase")
    assert again.status_code == 400
    assert "invalid, used or expired" in again.json()["detail"]
    await identity.login_account(email, PASSWORD)


async def test_fetching_an_invitation_again_replaces_the_earlier_link__TOM_T2c(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    user_id, _, first = await identity.invite(admin)
    second = (await identity.deliver(await identity.last_link_id(user_id))).json()["url"]
    assert (await identity.accept(first, PASSWORD)).status_code == 400
    assert (await identity.accept(second, PASSWORD)).status_code == 204


async def test_link_delivery_needs_the_notifiers_key(identity: Identity) -> None:
    admin = await identity.admin()
    user_id, _, _ = await identity.invite(admin)
    link_id = await identity.last_link_id(user_id)
    for headers in ({}, {"x-pactum-delivery-key": "guess"}):
        response = await identity.client.post(f"/internal/links/{link_id}", headers=headers)
        assert response.status_code == 401


async def test_no_api_sets_another_users_password__TOM_T2c(identity: Identity) -> None:
    admin = await identity.admin()
    user_id, _, _ = await identity.invite(admin)
    with_password = await identity.client.post(
        "/users",
        json={"email": "x@example.org", "role": "member", "password": PASSWORD},
        headers=admin.auth,
    )
    assert with_password.status_code == 422
    assert "Extra inputs are not permitted" in with_password.text
    for method in ("PUT", "POST", "PATCH"):
        response = await identity.client.request(
            method, f"/users/{user_id}/password", json={"password": PASSWORD}, headers=admin.auth
        )
        assert response.status_code in {404, 405}


@pytest.mark.parametrize("services", [EVERYWHERE])
async def test_disabled_user_is_refused_everywhere_at_once__TOM_T2a(identity: Identity) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    agreements = identity.platform.clients["agreements"]
    assert (await agreements.get("/agreements", headers=member.auth)).status_code == 200

    response = await identity.client.post(f"/users/{member.user_id}/disable", headers=admin.auth)
    assert response.status_code == 200
    assert response.json()["status"] == "disabled"

    assert (await identity.client.get("/me", headers=member.auth)).status_code == 401
    refreshed = await identity.client.post(
        "/sessions/refresh", json={"refresh_token": member.refresh_token}
    )
    assert refreshed.status_code == 401

    async def refused() -> bool:
        answer = await agreements.get("/agreements", headers=member.auth)
        return answer.status_code == 401

    await eventually(refused)  # before the access token's own expiry
    assert (await identity.login(member.email, PASSWORD)).status_code == 401
    [revoked] = await events_of(identity.platform, "dpa.identity.session.revoked.v1")
    assert revoked.data["reason"] == "user_disabled"
    assert revoked.data["session_ids"] == [member.session_id]

    enabled = await identity.client.post(f"/users/{member.user_id}/enable", headers=admin.auth)
    assert enabled.json()["status"] == "active"
    await identity.login_account(member.email, PASSWORD)


async def test_removed_user_keeps_an_id_but_not_an_address__TOM_T2a(identity: Identity) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    response = await identity.client.delete(f"/users/{member.user_id}", headers=admin.auth)
    assert response.status_code == 204
    assert (await identity.login(member.email, PASSWORD)).status_code == 401
    gone = await identity.client.get(f"/users/{member.user_id}", headers=admin.auth)
    assert gone.status_code == 404
    async with identity.platform.runtime("identity").sessions() as session:
        row = await session.get(UserAccount, uuid.UUID(member.user_id))
    assert row is not None
    assert member.email not in row.email
    assert row.password_hash is None
    assert await identity.platform.count("identity", KnownDevice) == 1  # the admin's device only
    await events_of(identity.platform, "dpa.identity.user.removed.v1", subject=member.user_id)


async def test_role_change_is_in_the_next_token_and_audited__TOM_T2e(identity: Identity) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    forbidden = await identity.client.post(
        "/users", json={"email": "new@example.org"}, headers=member.auth
    )
    assert forbidden.status_code == 403
    changed = await identity.client.put(
        f"/users/{member.user_id}/role", json={"role": "admin"}, headers=admin.auth
    )
    assert changed.json()["role"] == "admin"
    promoted = await identity.login_account(member.email, PASSWORD)
    invited = await identity.client.post(
        "/users", json={"email": "new@example.org"}, headers=promoted.auth
    )
    assert invited.status_code == 201
    [event] = await events_of(identity.platform, "dpa.identity.user_role.updated.v1")
    assert (event.data["old_role"], event.data["new_role"]) == ("member", "admin")


async def test_auditor_reads_users_but_changes_nothing__TOM_T2e(identity: Identity) -> None:
    admin = await identity.admin()
    auditor = await identity.member(admin, role="auditor")
    listed = await identity.client.get("/users", headers=auditor.auth)
    assert listed.status_code == 200
    assert {item["id"] for item in listed.json()["items"]} == {admin.user_id, auditor.user_id}
    for method, path in (
        ("POST", "/users"),
        ("POST", f"/users/{admin.user_id}/disable"),
        ("PATCH", "/policy"),
    ):
        response = await identity.client.request(method, path, json={}, headers=auditor.auth)
        assert response.status_code == 403
    await events_of(identity.platform, "dpa.identity.user.listed.v1", actor_id=auditor.user_id)


async def test_an_organisation_keeps_an_admin_and_admins_cannot_disable_themselves(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    for path in (f"/users/{admin.user_id}/disable", f"/users/{admin.user_id}"):
        method = "DELETE" if path.endswith(admin.user_id) else "POST"
        response = await identity.client.request(method, path, headers=admin.auth)
        assert response.status_code == 422
    demoted = await identity.client.put(
        f"/users/{admin.user_id}/role", json={"role": "member"}, headers=admin.auth
    )
    assert demoted.status_code == 422
    assert "own account" in demoted.json()["detail"]


async def test_another_organisations_users_are_invisible(identity: Identity) -> None:
    ours = await identity.admin()
    theirs = await identity.admin()
    their_member = await identity.member(theirs)
    for method, path in (
        ("GET", f"/users/{their_member.user_id}"),
        ("POST", f"/users/{their_member.user_id}/disable"),
        ("PUT", f"/users/{their_member.user_id}/role"),
        ("POST", f"/users/{their_member.user_id}/mfa/reset"),
        ("POST", f"/users/{their_member.user_id}/password-reset"),
        ("POST", f"/users/{their_member.user_id}/unlock"),
        ("DELETE", f"/users/{their_member.user_id}"),
    ):
        body = {"role": "auditor"} if method == "PUT" else None
        response = await identity.client.request(method, path, json=body, headers=ours.auth)
        assert response.status_code == 404, (method, path)
    listed = await identity.client.get("/users", headers=ours.auth)
    assert [item["id"] for item in listed.json()["items"]] == [ours.user_id]
    await identity.login_account(their_member.email, PASSWORD)  # untouched


async def test_viewing_a_user_is_audited_with_fields_not_values__TOM_T3a(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    response = await identity.client.get(f"/users/{member.user_id}", headers=admin.auth)
    assert response.json()["email"] == member.email
    [viewed] = await events_of(
        identity.platform, "dpa.identity.user.viewed.v1", subject=member.user_id
    )
    assert "email" in viewed.data["fields"]
    assert_no_secret([viewed], member.email)


INVALID_INVITATIONS: list[tuple[object, str]] = [
    ({}, "Field required"),
    ({"email": "not-an-address"}, "a local part, @ and a domain"),
    ({"email": "a@example.org", "role": "owner"}, "Input should be"),
    ({"email": "a@example.org", "role": "member", "extra": 1}, "Extra inputs"),
    ({"email": "a@example.org", "display_name": "x" * 201}, "at most 200"),
    ([1], "valid dictionary"),
]


async def test_invalid_invitation_gets_422_and_changes_nothing(identity: Identity) -> None:
    admin = await identity.admin()
    before = await identity.platform.count("identity", OutboxMessage)
    for body, message in INVALID_INVITATIONS:
        response = await identity.client.post("/users", json=body, headers=admin.auth)
        assert response.status_code == 422
        assert message in response.text
    assert await identity.platform.count("identity", UserAccount) == 1
    assert await identity.platform.count("identity", OutboxMessage) == before


async def test_inviting_an_address_twice_is_a_conflict_and_changes_nothing(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    _, email, _ = await identity.invite(admin)
    before = await identity.platform.count("identity", OutboxMessage)
    again = await identity.client.post("/users", json={"email": email}, headers=admin.auth)
    assert again.status_code == 409
    assert await identity.platform.count("identity", OutboxMessage) == before


async def test_inviting_an_address_with_an_account_elsewhere_answers_like_a_fresh_one(
    identity: Identity,
) -> None:
    """Issue 18.3: an admin learnt that another organisation's user exists (409 against 201).
    Now both answer 201 with the same shape; the conflict is met by whoever holds the mailbox
    when accepting, and the address still holds one account that can log in."""
    elsewhere = await identity.admin()
    holder = await identity.member(elsewhere)
    curious = await identity.admin()

    async def invite(email: str) -> dict[str, object]:
        response = await identity.client.post(
            "/users", json={"email": email, "role": "member"}, headers=curious.auth
        )
        assert response.status_code == 201, response.text
        body: dict[str, object] = response.json()
        return body

    taken = await invite(holder.email)
    fresh = await invite(f"fresh-{uuid.uuid4().hex[:8]}@example.org")
    assert set(taken) == set(fresh)
    assert {k: v for k, v in taken.items() if k not in {"id", "email", "created_at"}} == {
        k: v for k, v in fresh.items() if k not in {"id", "email", "created_at"}
    }
    listed = await identity.client.get("/users", headers=curious.auth)
    assert holder.user_id not in listed.text  # the other organisation's user stays invisible

    # The mailbox holder gets the invitation; accepting it would give the address a second
    # account, so it is refused, told only to them, and the link stays usable.
    link = (await identity.deliver(await identity.last_link_id(str(taken["id"])))).json()["url"]
    refused = await identity.accept(link, "another chosen passphrase")
    assert refused.status_code == 409
    assert "already has a pactum account" in refused.json()["detail"]
    assert (await identity.login(holder.email, PASSWORD)).status_code == 200
    assert (await identity.login(holder.email, "another chosen passphrase")).status_code == 401

    # The same address twice in one organisation is still a conflict (the admin lists it anyway).
    again = await identity.client.post("/users", json={"email": holder.email}, headers=curious.auth)
    assert again.status_code == 409


async def _ended_everywhere(identity: Identity, account: Account) -> None:
    """The account's session is over: its access token refused by identity and, through the
    revocation event, by agreements; its refresh token refused."""
    assert (await identity.client.get("/me", headers=account.auth)).status_code == 401
    refreshed = await identity.client.post(
        "/sessions/refresh", json={"refresh_token": account.refresh_token}
    )
    assert refreshed.status_code == 401
    agreements = identity.platform.clients["agreements"]

    async def refused() -> bool:
        return (await agreements.get("/agreements", headers=account.auth)).status_code == 401

    await eventually(refused)  # before the access token's own expiry


@pytest.mark.parametrize("services", [EVERYWHERE])
@pytest.mark.parametrize("role", ["admin", "auditor"])
async def test_a_role_change_ends_the_users_sessions__TOM_T2e(
    identity: Identity, role: str
) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    agreements = identity.platform.clients["agreements"]
    assert (await agreements.get("/agreements", headers=member.auth)).status_code == 200

    changed = await identity.client.put(
        f"/users/{member.user_id}/role", json={"role": role}, headers=admin.auth
    )
    assert changed.status_code == 200

    await _ended_everywhere(identity, member)
    [revoked] = await events_of(
        identity.platform, "dpa.identity.session.revoked.v1", subject=member.user_id
    )
    assert revoked.data["reason"] == "role_changed"
    assert revoked.data["session_ids"] == [member.session_id]
    assert revoked.actor_id == admin.user_id
    # The admin who changed it keeps working; the user signs in again with the new role.
    assert (await identity.client.get("/me", headers=admin.auth)).status_code == 200
    again = await identity.login_account(member.email, PASSWORD)
    assert jwt.decode(again.access_token, options={"verify_signature": False})["roles"] == [role]


@pytest.mark.parametrize("services", [EVERYWHERE])
async def test_a_second_factor_reset_ends_the_users_sessions__TOM_T2b(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    started = await identity.client.post("/me/mfa/totp", headers=member.auth)
    secret = started.json()["secret"]
    confirmed = await identity.client.post(
        "/me/mfa/totp/confirm", json={"code": identity.code(secret)}, headers=member.auth
    )
    assert confirmed.status_code == 200, confirmed.text

    reset = await identity.client.post(f"/users/{member.user_id}/mfa/reset", headers=admin.auth)
    assert reset.status_code == 204

    await _ended_everywhere(identity, member)
    [revoked] = await events_of(
        identity.platform, "dpa.identity.session.revoked.v1", subject=member.user_id
    )
    assert revoked.data["reason"] == "mfa_reset"
    assert revoked.data["session_ids"] == [member.session_id]


async def test_an_unchanged_role_ends_no_session(identity: Identity) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    same = await identity.client.put(
        f"/users/{member.user_id}/role", json={"role": "member"}, headers=admin.auth
    )
    assert same.status_code == 200
    assert (await identity.client.get("/me", headers=member.auth)).status_code == 200
