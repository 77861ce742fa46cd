"""Changing one's sign-in address (issue 13.2, TOM-T2a, TOM-T2b): only in a recently
authenticated session, made only when the link sent to the new address is used, with one event
for the request and one for the change, and no address in either."""

import uuid

from sqlalchemy import select, update
from sqlmodel import col

from services.identity.store import EmailChange, UserAccount
from tests.identity.conftest import (
    PASSWORD,
    Identity,
    age_session,
    assert_no_secret,
    events_of,
)


async def _address_of(identity: Identity, user_id: str) -> str:
    async with identity.platform.runtime("identity").sessions() as session:
        user = await session.get(UserAccount, uuid.UUID(user_id))
        assert user is not None
        return user.email


async def _changes(identity: Identity, user_id: str) -> list[EmailChange]:
    async with identity.platform.runtime("identity").sessions() as session:
        found = await session.scalars(
            select(EmailChange).where(col(EmailChange.user_id) == uuid.UUID(user_id))
        )
        return list(found.all())


async def test_the_address_changes_after_a_recent_sign_in_and_a_link_to_the_new_address__TOM_T2b(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    new = f"moved-{uuid.uuid4().hex[:8]}@Example.org"
    await age_session(identity, admin)
    stale = await identity.client.post("/me/email", json={"email": new}, headers=admin.auth)
    assert stale.status_code == 403
    assert "insufficient_user_authentication" in stale.headers["www-authenticate"]
    assert await _changes(identity, admin.user_id) == []

    proven = await identity.client.post(
        "/me/step-up", json={"password": PASSWORD}, headers=admin.auth
    )
    assert proven.status_code == 200, proven.text
    asked = await identity.client.post("/me/email", json={"email": new}, headers=admin.auth)
    assert asked.status_code == 202, asked.text
    [requested] = await events_of(
        identity.platform, "dpa.identity.email_change.requested.v1", subject=admin.user_id
    )
    assert requested.outcome == "succeeded"
    delivery = await identity.deliver(requested.data["link_id"])
    assert delivery.status_code == 200, delivery.text
    assert delivery.json()["email"] == new.lower()  # the link proves the new address: it goes there
    assert delivery.json()["purpose"] == "email_change"
    token = delivery.json()["url"].split("#token=", 1)[1]

    # Until the link is used, the account signs in with its old address only.
    assert await _address_of(identity, admin.user_id) == admin.email
    assert (await identity.login(new.lower(), PASSWORD)).status_code == 401
    confirmed = await identity.client.post("/email-change/confirm", json={"token": token})
    assert confirmed.status_code == 204, confirmed.text
    assert await _address_of(identity, admin.user_id) == new.lower()
    assert (await identity.login(new.lower(), PASSWORD)).status_code == 200
    assert (await identity.login(admin.email, PASSWORD)).status_code == 401
    again = await identity.client.post("/email-change/confirm", json={"token": token})
    assert again.status_code == 400  # a link works once

    [changed] = await events_of(
        identity.platform, "dpa.identity.email.updated.v1", subject=admin.user_id
    )
    [change] = await _changes(identity, admin.user_id)
    assert changed.data == {"user_id": admin.user_id, "change_id": str(change.id)}
    # The notifier reads the replaced address to tell it; nobody without its key does.
    path = f"/internal/email-changes/{change.id}/former-address"
    assert (await identity.client.get(path)).status_code == 401
    former = await identity.client.get(
        path, headers={"x-pactum-delivery-key": identity.authority.delivery_key}
    )
    assert former.status_code == 200, former.text
    assert former.json()["email"] == admin.email
    every = await identity.platform.audit_entries()
    assert_no_secret(every, token, new.lower(), admin.email, PASSWORD)
    requests = await identity.platform.audit_entries(
        event_type="dpa.identity.email_change.requested.v1"
    )
    assert len(requests) == 1  # each action emits its event once


async def test_a_bad_or_unusable_address_changes_nothing_and_a_taken_one_is_not_revealed(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    other = await identity.member(admin)
    for bad in ("not an address", "two@@example.org", admin.email, admin.email.upper(), ""):
        refused = await identity.client.post("/me/email", json={"email": bad}, headers=admin.auth)
        assert refused.status_code == 422, (bad, refused.text)
    assert await _changes(identity, admin.user_id) == []

    # Another account's address: the same answer as for a free one, and no link anywhere.
    taken = await identity.client.post("/me/email", json={"email": other.email}, headers=admin.auth)
    assert taken.status_code == 202
    [requested] = await events_of(
        identity.platform, "dpa.identity.email_change.requested.v1", subject=admin.user_id
    )
    assert requested.outcome == "failed"
    assert requested.data.get("link_id") is None
    assert await _changes(identity, admin.user_id) == []
    assert await _address_of(identity, admin.user_id) == admin.email

    for token in ("x" * 40, "short"):
        wrong = await identity.client.post("/email-change/confirm", json={"token": token})
        assert wrong.status_code in (400, 422)
    unknown = f"/internal/email-changes/{uuid.uuid4()}/former-address"
    key = {"x-pactum-delivery-key": identity.authority.delivery_key}
    assert (await identity.client.get(unknown, headers=key)).status_code == 404


async def test_an_address_taken_before_the_link_is_used_is_refused_and_the_change_waits(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    new = f"wanted-{uuid.uuid4().hex[:8]}@example.org"
    asked = await identity.client.post("/me/email", json={"email": new}, headers=admin.auth)
    assert asked.status_code == 202
    [requested] = await events_of(
        identity.platform, "dpa.identity.email_change.requested.v1", subject=admin.user_id
    )
    token = (await identity.deliver(requested.data["link_id"])).json()["url"].split("#token=")[1]
    # Meanwhile someone else's account comes to hold the address.
    other = await identity.member(admin)
    async with identity.platform.runtime("identity").sessions() as session, session.begin():
        await session.execute(
            update(UserAccount)
            .where(col(UserAccount.id) == uuid.UUID(other.user_id))
            .values(email=new)
        )
    refused = await identity.client.post("/email-change/confirm", json={"token": token})
    assert refused.status_code == 409
    assert await _address_of(identity, admin.user_id) == admin.email
    [change] = await _changes(identity, admin.user_id)
    assert change.confirmed_at is None
