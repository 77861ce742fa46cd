"""Second factor (TOM-T2b): TOTP enrolment with a QR code, single-use codes, recovery codes,
admin reset, and an organisation that requires it."""

import hashlib
import math
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
from sqlalchemy import select
from sqlmodel import col

from services.identity import totp
from services.identity.store import RecoveryCode, UserAccount
from tests.identity.conftest import PASSWORD, Account, Identity, assert_no_secret, events_of


async def _enrol(identity: Identity, account: Account) -> tuple[str, list[str]]:
    started = await identity.client.post("/me/mfa/totp", headers=account.auth)
    assert started.status_code == 200, started.text
    body = started.json()
    uri = urlparse(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query)["secret"] == [body["secret"]]
    assert body["qr_svg"].startswith("<svg")
    confirmed = await identity.client.post(
        "/me/mfa/totp/confirm", json={"code": identity.code(body["secret"])}, headers=account.auth
    )
    assert confirmed.status_code == 200, confirmed.text
    return body["secret"], confirmed.json()["recovery_codes"]


async def _challenge(identity: Identity, account: Account) -> dict[str, Any]:
    response = await identity.login(account.email, PASSWORD)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert "access_token" not in body
    return body


async def test_totp_enrolment_then_login_needs_the_code__TOM_T2b(identity: Identity) -> None:
    admin = await identity.admin()
    secret, codes = await _enrol(identity, admin)
    assert len(codes) == 10
    assert len(set(codes)) == 10

    pending = await _challenge(identity, admin)
    assert pending["next"] == "second_factor"
    done = await identity.client.post(
        "/login/second-factor",
        json={"challenge": pending["challenge"], "code": identity.code(secret, offset=1)},
    )
    assert done.status_code == 200, done.text
    claims = jwt.decode(done.json()["access_token"], options={"verify_signature": False})
    assert claims["amr"] == ["pwd", "otp"]

    events = await identity.platform.audit_entries()
    await events_of(identity.platform, "dpa.identity.mfa.enrolled.v1", subject=admin.user_id)
    await events_of(identity.platform, "dpa.identity.recovery_code.issued.v1")
    assert_no_secret(await identity.platform.audit_entries(), secret, *codes)
    assert events  # the enrolment reached the audit log
    async with identity.platform.runtime("identity").sessions() as session:
        user = await session.get(UserAccount, uuid.UUID(admin.user_id))
    assert user is not None and user.totp_sealed is not None
    assert secret not in user.totp_sealed  # sealed at rest (TOM-T10)


async def test_a_totp_code_is_accepted_only_once__TOM_T2b_ASVS_6_5_1(identity: Identity) -> None:
    admin = await identity.admin()
    secret, _ = await _enrol(identity, admin)
    code = identity.code(secret, offset=1)
    first = await _challenge(identity, admin)
    ok = await identity.client.post(
        "/login/second-factor", json={"challenge": first["challenge"], "code": code}
    )
    assert ok.status_code == 200
    second = await _challenge(identity, admin)
    replay = await identity.client.post(
        "/login/second-factor", json={"challenge": second["challenge"], "code": code}
    )
    assert replay.status_code == 401
    # The challenge of a finished login cannot be used again either.
    again = await identity.client.post(
        "/login/second-factor", json={"challenge": first["challenge"], "code": code}
    )
    assert again.status_code == 401


async def test_recovery_codes_work_once_each__TOM_T2b(identity: Identity) -> None:
    admin = await identity.admin()
    _, codes = await _enrol(identity, admin)
    pending = await _challenge(identity, admin)
    used = await identity.client.post(
        "/login/second-factor",
        json={"challenge": pending["challenge"], "recovery_code": codes[0].upper()},
    )
    assert used.status_code == 200
    assert jwt.decode(used.json()["access_token"], options={"verify_signature": False})["amr"] == [
        "pwd",
        "rec",
    ]
    pending = await _challenge(identity, admin)
    reused = await identity.client.post(
        "/login/second-factor", json={"challenge": pending["challenge"], "recovery_code": codes[0]}
    )
    assert reused.status_code == 401
    assert await identity.platform.count("identity", RecoveryCode) == 10  # stored hashed
    assert_no_secret(await identity.platform.audit_entries(), *codes)


async def test_wrong_codes_count_toward_the_lock__TOM_T2b_TOM_T5(identity: Identity) -> None:
    admin = await identity.admin()
    secret, _ = await _enrol(identity, admin)
    for _ in range(5):
        pending = await _challenge(identity, admin)
        wrong = await identity.client.post(
            "/login/second-factor", json={"challenge": pending["challenge"], "code": "000000"}
        )
        assert wrong.status_code == 401
    await events_of(identity.platform, "dpa.identity.account.locked.v1", subject=admin.user_id)
    assert (await identity.login(admin.email, PASSWORD)).status_code == 401
    assert secret


async def test_admin_resets_a_users_second_factor_and_it_is_audited__TOM_T2b(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    await _enrol(identity, member)
    assert "challenge" in (await identity.login(member.email, PASSWORD)).json()
    reset = await identity.client.post(f"/users/{member.user_id}/mfa/reset", headers=admin.auth)
    assert reset.status_code == 204
    await identity.login_account(member.email, PASSWORD)
    [event] = await events_of(identity.platform, "dpa.identity.mfa.reset.v1")
    assert (event.actor_id, event.subject) == (admin.user_id, member.user_id)
    assert await identity.platform.count("identity", RecoveryCode) == 0


async def test_organisation_requiring_mfa_makes_users_enrol_at_login__TOM_T2b_TOM_T2c(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    policy = await identity.client.patch("/policy", json={"mfa": "everyone"}, headers=admin.auth)
    assert policy.status_code == 200
    pending = await _challenge(identity, admin)
    assert pending["next"] == "enrol_second_factor"
    started = await identity.client.post(
        "/login/enrolment", json={"challenge": pending["challenge"]}
    )
    secret = started.json()["secret"]
    wrong = await identity.client.post(
        "/login/enrolment", json={"challenge": pending["challenge"], "code": "123456"}
    )
    assert wrong.status_code in {401, 422}
    done = await identity.client.post(
        "/login/enrolment",
        json={"challenge": pending["challenge"], "code": identity.code(secret)},
    )
    assert done.status_code == 200, done.text
    assert len(done.json()["recovery_codes"]) == 10
    assert done.json()["methods"] == ["pwd", "otp"]
    # From now on the login asks for the code.
    assert (await _challenge(identity, admin))["next"] == "second_factor"


async def test_bad_second_factor_input_gets_422(identity: Identity) -> None:
    for body in (
        {"challenge": "x" * 40},
        {"challenge": "x" * 40, "code": "12345a"},
        {"challenge": "x" * 40, "code": "123456", "recovery_code": "abcde-fghij"},
        {"challenge": "short", "code": "123456"},
    ):
        response = await identity.client.post("/login/second-factor", json=body)
        assert response.status_code == 422, body
    unknown = await identity.client.post(
        "/login/second-factor", json={"challenge": "x" * 40, "code": "123456"}
    )
    assert unknown.status_code == 401


ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


async def test_recovery_codes_have_80_bits_and_are_stored_as_a_keyed_hmac__TOM_T2b(
    identity: Identity,
) -> None:
    """ASVS 6.5.2: at least 80 bits (before: 10 characters of 31, 50 bits), and a stored digest
    nobody can recompute from the database alone (before: SHA-256 of user id and code)."""
    admin = await identity.admin()
    _, codes = await _enrol(identity, admin)
    for code in codes:
        plain = code.replace("-", "")
        assert set(plain) <= set(ALPHABET)
        assert len(plain) * math.log2(len(ALPHABET)) >= 80
    assert totp.recovery_code_bits() >= 80
    async with identity.platform.runtime("identity").sessions() as session:
        stored = set(
            (
                await session.scalars(
                    select(col(RecoveryCode.digest)).where(
                        col(RecoveryCode.user_id) == uuid.UUID(admin.user_id)
                    )
                )
            ).all()
        )
    assert len(stored) == 10
    unkeyed = {hashlib.sha256(f"{admin.user_id}:{code}".encode()).hexdigest() for code in codes}
    assert not stored & unkeyed
    assert all(digest.startswith("h1:") for digest in stored)


async def test_recovery_codes_issued_before_the_hmac_keep_working_once__TOM_T2b(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    await _enrol(identity, admin)
    legacy = "abcde-fghjk"  # the old format, stored the old way
    async with identity.platform.runtime("identity").sessions() as session, session.begin():
        digest = hashlib.sha256(f"{admin.user_id}:{legacy}".encode()).hexdigest()
        session.add(RecoveryCode(digest=digest, user_id=uuid.UUID(admin.user_id)))
    for expected in (200, 401):
        pending = await _challenge(identity, admin)
        answer = await identity.client.post(
            "/login/second-factor",
            json={"challenge": pending["challenge"], "recovery_code": legacy},
        )
        assert answer.status_code == expected
