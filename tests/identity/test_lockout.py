"""Brute-force protection (TOM-T5): counted before evaluated, growing temporary locks, generic
answers, per-address throttling; and argon2id with rehash on login (TOM-T10)."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from services.identity import login
from services.identity.domain import throttle_key
from services.identity.passwords import Passwords
from services.identity.store import UserAccount
from tests.identity.conftest import PASSWORD, WITH_NOTIFIER, Account, Identity, events_of
from tests.support.platform import eventually

WRONG = "definitely not the password"


def _lasts(entry: Any) -> timedelta | None:
    """How long a lock event's lock lasts (None: permanent)."""
    if entry.data["until"] is None:
        return None
    occurred = entry.occurred_at
    occurred = occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC)
    lasts: timedelta = datetime.fromisoformat(entry.data["until"]) - occurred
    return lasts


async def _policy(identity: Identity, admin: Account, **changes: object) -> None:
    response = await identity.client.patch("/policy", json=changes, headers=admin.auth)
    assert response.status_code == 200, response.text


async def _let_lock_pass(identity: Identity, user_id: str) -> None:
    """Time passing, without waiting: the lock's end moves into the past."""
    async with identity.platform.runtime("identity").sessions() as session, session.begin():
        await session.execute(
            update(UserAccount)
            .where(UserAccount.id == uuid.UUID(user_id))  # type: ignore[arg-type]
            .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )


async def test_unknown_wrong_locked_and_disabled_logins_look_the_same__TOM_T5(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    await _policy(identity, admin, lock_threshold=3)
    locked = await identity.member(admin)
    disabled = await identity.member(admin)
    for _ in range(3):
        await identity.login(locked.email, WRONG)
    await identity.client.post(f"/users/{disabled.user_id}/disable", headers=admin.auth)

    answers = [
        await identity.login("nobody@example.org", PASSWORD),
        await identity.login(admin.email, WRONG),
        await identity.login(locked.email, PASSWORD),
        await identity.login(disabled.email, PASSWORD),
    ]
    assert {answer.status_code for answer in answers} == {401}
    assert len({answer.text for answer in answers}) == 1
    failed = await events_of(identity.platform, "dpa.identity.login.failed.v1", count=7)
    reasons = {entry.data["reason"] for entry in failed}
    assert reasons == {"unknown", "credentials", "locked", "disabled"}


@pytest.mark.parametrize("services", [WITH_NOTIFIER])
async def test_locked_account_rejects_correct_password__TOM_T5(identity: Identity) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    for _ in range(5):  # the default threshold
        assert (await identity.login(member.email, WRONG)).status_code == 401
    assert (await identity.login(member.email, PASSWORD)).status_code == 401

    [locked] = await events_of(
        identity.platform, "dpa.identity.account.locked.v1", subject=member.user_id
    )
    assert locked.data["lock_number"] == 1
    assert locked.data["permanent"] is False
    lasts = _lasts(locked)
    assert lasts is not None and timedelta(seconds=50) < lasts <= timedelta(minutes=1, seconds=1)
    # The notifier receives the lock, to tell the user and the organisation's admins.
    await eventually(
        lambda: identity.platform.receipts(event_type="dpa.identity.account.locked.v1")
    )

    await _let_lock_pass(identity, member.user_id)
    await identity.login_account(member.email, PASSWORD)


async def test_fifty_parallel_wrong_attempts_get_no_more_evaluations_than_the_threshold__TOM_T5(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    answers = await asyncio.gather(*(identity.login(member.email, WRONG) for _ in range(50)))
    assert {answer.status_code for answer in answers} == {401}
    failed = await events_of(identity.platform, "dpa.identity.login.failed.v1", count=50)
    evaluated = [entry for entry in failed if entry.data["reason"] == "credentials"]
    assert len(evaluated) == 5
    assert len([entry for entry in failed if entry.data["reason"] == "locked"]) == 45
    locks = await events_of(identity.platform, "dpa.identity.account.locked.v1")
    assert len(locks) == 1


async def test_locks_grow_then_become_permanent_until_an_admin_releases__TOM_T5(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    await _policy(identity, admin, lock_threshold=3, lock_minutes=[1, 5], permanent_after=3)
    member = await identity.member(admin)
    for _ in range(3):
        for _ in range(3):
            await identity.login(member.email, WRONG)
        await _let_lock_pass(identity, member.user_id)
    locks = await events_of(identity.platform, "dpa.identity.account.locked.v1", count=3)
    durations = [_lasts(entry) for entry in locks]
    assert durations[0] is not None and durations[0] <= timedelta(minutes=1, seconds=1)
    assert durations[1] is not None and durations[1] > timedelta(minutes=4)
    assert durations[2] is None
    assert locks[2].data["permanent"] is True
    # Time passing does not release a permanent lock; an admin does.
    assert (await identity.login(member.email, PASSWORD)).status_code == 401
    view = await identity.client.get(f"/users/{member.user_id}", headers=admin.auth)
    assert view.json()["locked"] is True
    unlocked = await identity.client.post(f"/users/{member.user_id}/unlock", headers=admin.auth)
    assert unlocked.status_code == 204
    await identity.login_account(member.email, PASSWORD)
    [event] = await events_of(identity.platform, "dpa.identity.account.unlocked.v1")
    assert event.data["by"] == "admin"
    assert event.actor_id == admin.user_id


async def test_a_success_resets_the_failure_count__TOM_T5(identity: Identity) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    for _ in range(4):
        await identity.login(member.email, WRONG)
    await identity.login_account(member.email, PASSWORD)
    for _ in range(4):
        await identity.login(member.email, WRONG)
    await identity.login_account(member.email, PASSWORD)


async def test_one_address_failing_across_many_accounts_is_throttled__TOM_T5(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    authority = identity.authority
    authority.settings = authority.settings.model_copy(update={"client_failure_limit": 3})
    for number in range(3):
        answer = await identity.login(f"victim-{number}@example.org", WRONG)
        assert answer.status_code == 401
    throttled = await identity.login(admin.email, PASSWORD)
    assert throttled.status_code == 429
    assert "try again later" in throttled.json()["detail"]
    failed = await events_of(identity.platform, "dpa.identity.login.failed.v1", count=4)
    assert failed[-1].data["reason"] == "throttled"


async def test_an_ipv6_client_is_throttled_by_its_64_not_by_each_address__TOM_T5(
    identity: Identity,
) -> None:
    """An IPv6 client picks any of the 2^64 addresses of its /64: counting each address alone
    would never throttle it (ASVS 6.3.1). IPv4 addresses, mapped or not, still count alone."""
    admin = await identity.admin()
    authority = identity.authority
    authority.settings = authority.settings.model_copy(update={"client_failure_limit": 3})
    runtime = identity.platform.runtime("identity")

    async def attempt(address: str, email: str, password: str = WRONG) -> str:
        try:
            await login.password_login(
                sessions=runtime.sessions,
                authority=authority,
                email=email,
                password=password,
                address=address,
            )
        except login.Throttled:
            return "throttled"
        except login.LoginRefused:
            return "refused"
        return "signed in"

    for number in range(3):
        address = f"2001:db8:7:9::{number + 1:x}"
        assert await attempt(address, f"victim-{number}@example.org") == "refused"
    assert await attempt("2001:db8:7:9:ffff:1:2:3", admin.email, PASSWORD) == "throttled"
    assert await attempt("2001:db8:7:a::1", admin.email, PASSWORD) == "signed in"
    for number in range(3):
        assert await attempt("::ffff:192.0.2.7", f"other-{number}@example.org") == "refused"
    assert await attempt("192.0.2.7", admin.email, PASSWORD) == "throttled"
    assert await attempt("192.0.2.8", admin.email, PASSWORD) == "signed in"


def test_throttle_keys_group_ipv6_by_64__TOM_T5() -> None:
    assert throttle_key("2001:db8:7:9:ffff:1:2:3") == "2001:db8:7:9::/64"
    assert throttle_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert throttle_key("192.0.2.7") == "192.0.2.7"
    assert throttle_key("testclient") == "testclient"


async def test_passwords_are_argon2id_and_rehashed_when_parameters_change__TOM_T10(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    runtime = identity.platform.runtime("identity")
    async with runtime.sessions() as session:
        user = await session.get(UserAccount, uuid.UUID(admin.user_id))
    assert user is not None and user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")

    identity.authority.passwords = Passwords(time_cost=3)
    await identity.login_account(admin.email, PASSWORD)
    async with runtime.sessions() as session:
        user = await session.get(UserAccount, uuid.UUID(admin.user_id))
    assert user is not None and user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=3,p=1$")
    assert PasswordHasher().verify(user.password_hash, PASSWORD)


async def test_policy_refuses_weaker_lockout_than_the_rules_allow(identity: Identity) -> None:
    admin = await identity.admin()
    changes: list[dict[str, object]] = [
        {"lock_threshold": 1},
        {"lock_minutes": [15, 5]},
        {"lock_minutes": []},
        {"min_length": 6},
        {"permanent_after": 0},
        {"mfa": "sometimes"},
    ]
    for change in changes:
        response = await identity.client.patch("/policy", json=change, headers=admin.auth)
        assert response.status_code == 422, change
    policy = await identity.client.get("/policy", headers=admin.auth)
    assert policy.json() == {
        "min_length": 12,
        "password_history": 0,
        "mfa": "none",
        "lock_threshold": 5,
        "lock_minutes": [1, 5, 15, 60],
        "permanent_after": None,
        "phishing_resistant_admins": False,
        "passwordless": False,
        "session_idle_minutes": 30,
    }
    await events_of(identity.platform, "dpa.identity.policy.viewed.v1")
