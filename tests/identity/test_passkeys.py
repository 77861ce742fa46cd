"""Passkeys (WebAuthn, TOM-T2b): registered, named, listed and removed over the identity API, and
used as the second factor or, where the organisation allows, without a password.

The authenticator is tests/support/authenticator.py: real CBOR, COSE and ECDSA signatures, checked
by the ``webauthn`` package as a device's would be.
"""

import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlmodel import col

from services.identity.store import Passkey, UserAccount
from tests.identity.conftest import PASSWORD, Account, Identity, assert_no_secret, events_of
from tests.support.authenticator import SoftwareAuthenticator


def authenticator(identity: Identity, **knobs: Any) -> SoftwareAuthenticator:
    return SoftwareAuthenticator(origin=identity.authority.settings.passkey_origin, **knobs)


async def register(
    identity: Identity,
    account: Account,
    device: SoftwareAuthenticator,
    name: str = "Work laptop",
) -> dict[str, Any]:
    options = await identity.client.post("/me/passkeys/options", headers=account.auth)
    assert options.status_code == 200, options.text
    answer = device.create(options.json())
    registered = await identity.client.post(
        "/me/passkeys", json={"credential": answer, "name": name}, headers=account.auth
    )
    assert registered.status_code == 201, registered.text
    body: dict[str, Any] = registered.json()
    return body


async def password_step(identity: Identity, account: Account) -> dict[str, Any]:
    response = await identity.login(account.email, PASSWORD)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "access_token" not in body
    return body


async def passkey_step(
    identity: Identity, challenge: str | None, device: SoftwareAuthenticator, **knobs: Any
) -> tuple[dict[str, Any], Any]:
    """Options for the step, the device's answer, and identity's response to it."""
    options = await identity.client.post(
        "/login/passkey/options", json={} if challenge is None else {"challenge": challenge}
    )
    assert options.status_code == 200, options.text
    answer = device.get(options.json(), **knobs)
    body = {"credential": answer} | ({} if challenge is None else {"challenge": challenge})
    return answer, await identity.client.post("/login/passkey", json=body)


def amr(response: Any) -> list[str]:
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    return list(claims["amr"])


async def stored(identity: Identity, user_id: str) -> list[Passkey]:
    async with identity.platform.runtime("identity").sessions() as session:
        return list(
            (
                await session.scalars(
                    select(Passkey).where(col(Passkey.user_id) == uuid.UUID(user_id))
                )
            ).all()
        )


async def test_a_passkey_is_the_second_factor_after_the_password__TOM_T2b(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    device = authenticator(identity)
    options = await identity.client.post("/me/passkeys/options", headers=admin.auth)
    creation = options.json()
    assert creation["rp"]["id"] == identity.authority.settings.passkey_rp_id
    assert creation["authenticatorSelection"]["userVerification"] == "required"
    assert creation["user"]["id"] != admin.email  # the handle is the id's bytes, no address
    registered = await identity.client.post(
        "/me/passkeys",
        json={"credential": device.create(creation), "name": "Work laptop"},
        headers=admin.auth,
    )
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["passkey"]["name"] == "Work laptop"
    assert body["passkey"]["backup_eligible"] and body["passkey"]["backed_up"]
    codes = body["recovery_codes"]
    assert len(codes) == 10  # the first second factor comes with its recovery codes

    pending = await password_step(identity, admin)
    assert pending["next"] == "second_factor"
    assert pending["factors"] == ["passkey", "rec"]
    answer, done = await passkey_step(identity, pending["challenge"], device)
    assert done.status_code == 200, done.text
    assert amr(done) == ["pwd", "hwk"]
    [passkey] = await stored(identity, admin.user_id)
    assert passkey.sign_count == 1
    assert passkey.last_used_at is not None

    await events_of(identity.platform, "dpa.identity.passkey.registered.v1", subject=admin.user_id)
    logins = await events_of(
        identity.platform, "dpa.identity.login.succeeded.v1", count=2, subject=admin.user_id
    )
    assert logins[-1].data["methods"] == ["pwd", "hwk"]
    assert_no_secret(
        await identity.platform.audit_entries(),
        answer["response"]["signature"],
        passkey.public_key,
        *codes,
    )


async def test_a_passkey_answer_and_its_challenge_work_once__TOM_T2b(identity: Identity) -> None:
    admin = await identity.admin()
    device = authenticator(identity, counts=False)  # synced passkeys report 0: no count to catch
    await register(identity, admin, device)
    pending = await password_step(identity, admin)
    answer, done = await passkey_step(identity, pending["challenge"], device)
    assert done.status_code == 200
    replayed = await identity.client.post(
        "/login/passkey", json={"challenge": pending["challenge"], "credential": answer}
    )
    assert replayed.status_code == 401
    # The same answer on a fresh login: its WebAuthn challenge was used up with the first.
    fresh = await password_step(identity, admin)
    again = await identity.client.post(
        "/login/passkey", json={"challenge": fresh["challenge"], "credential": answer}
    )
    assert again.status_code == 401
    assert again.json() == replayed.json()  # one generic answer


async def test_a_passkey_that_did_not_verify_its_user_is_refused__TOM_T2b(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    lax = authenticator(identity, verifies_user=False)
    options = await identity.client.post("/me/passkeys/options", headers=admin.auth)
    refused = await identity.client.post(
        "/me/passkeys",
        json={"credential": lax.create(options.json()), "name": "No PIN"},
        headers=admin.auth,
    )
    assert refused.status_code == 400
    assert await stored(identity, admin.user_id) == []

    device = authenticator(identity)
    await register(identity, admin, device)
    pending = await password_step(identity, admin)
    device.verifies_user = False
    _, done = await passkey_step(identity, pending["challenge"], device)
    assert done.status_code == 401


async def test_an_answer_made_for_another_site_is_refused__TOM_T2b(identity: Identity) -> None:
    """A fake sign-in page can relay a code, not a passkey: the browser signs its own origin."""
    admin = await identity.admin()
    device = authenticator(identity)
    options = await identity.client.post("/me/passkeys/options", headers=admin.auth)
    phished = await identity.client.post(
        "/me/passkeys",
        json={
            "credential": device.create(options.json(), origin="https://pactum-login.example"),
            "name": "Phished",
        },
        headers=admin.auth,
    )
    assert phished.status_code == 400
    await register(identity, admin, device)
    pending = await password_step(identity, admin)
    _, done = await passkey_step(
        identity, pending["challenge"], device, origin="https://pactum-login.example"
    )
    assert done.status_code == 401


async def test_a_cloned_passkey_or_another_key_is_refused__TOM_T2b(identity: Identity) -> None:
    admin = await identity.admin()
    device = authenticator(identity)
    await register(identity, admin, device)
    for _ in range(2):
        pending = await password_step(identity, admin)
        _, done = await passkey_step(identity, pending["challenge"], device)
        assert done.status_code == 200
    [passkey] = await stored(identity, admin.user_id)
    assert passkey.sign_count == 2

    pending = await password_step(identity, admin)
    _, cloned = await passkey_step(identity, pending["challenge"], device, sign_count=1)
    assert cloned.status_code == 401
    pending = await password_step(identity, admin)
    forged = ec.generate_private_key(ec.SECP256R1())
    _, forgery = await passkey_step(identity, pending["challenge"], device, signer=forged)
    assert forgery.status_code == 401
    [passkey] = await stored(identity, admin.user_id)
    assert passkey.sign_count == 2  # neither moved it
    failed = await events_of(
        identity.platform, "dpa.identity.login.failed.v1", count=2, subject=admin.user_id
    )
    assert {entry.data["reason"] for entry in failed} == {"second_factor"}


async def test_another_users_passkey_is_no_second_factor__TOM_T2b(identity: Identity) -> None:
    admin = await identity.admin()
    member = await identity.member(admin)
    device = authenticator(identity)
    await register(identity, admin, device)
    await register(identity, member, authenticator(identity))
    pending = await password_step(identity, member)
    options = await identity.client.post(
        "/login/passkey/options", json={"challenge": pending["challenge"]}
    )
    admins_key = device.credentials[0]
    answer = device.get(options.json(), credential=admins_key)
    done = await identity.client.post(
        "/login/passkey", json={"challenge": pending["challenge"], "credential": answer}
    )
    assert done.status_code == 401


async def test_passwordless_sign_in_only_where_the_organisation_allows_it__TOM_T2b(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    device = authenticator(identity)
    await register(identity, admin, device)
    options = await identity.client.post("/login/passkey/options", json={})
    assert options.json()["allowCredentials"] == []  # the browser offers its passkeys
    assert options.json()["userVerification"] == "required"
    _, refused = await passkey_step(identity, None, device)
    assert refused.status_code == 401

    policy = await identity.client.patch("/policy", json={"passwordless": True}, headers=admin.auth)
    assert policy.status_code == 200, policy.text
    assert policy.json()["passwordless"] is True
    _, done = await passkey_step(identity, None, device)
    assert done.status_code == 200, done.text
    assert amr(done) == ["hwk", "mfa"]
    assert (
        jwt.decode(done.json()["access_token"], options={"verify_signature": False})["sub"]
        == admin.user_id
    )

    stranger = SoftwareAuthenticator(origin=device.origin)
    stranger.create(
        {"rp": {"id": device.credentials[0].rp_id}, "user": {"id": "AAAA"}, "challenge": "AAAA"}
    )
    _, unknown = await passkey_step(identity, None, stranger)
    assert unknown.status_code == 401


async def test_an_organisation_can_require_a_passkey_of_its_admins__TOM_T2b(
    identity: Identity,
) -> None:
    """Phishing-resistant MFA for admins: a TOTP code no longer does; an admin without a passkey
    registers one before the login ends."""
    admin = await identity.admin()
    started = await identity.client.post("/me/mfa/totp", headers=admin.auth)
    secret = started.json()["secret"]
    confirmed = await identity.client.post(
        "/me/mfa/totp/confirm", json={"code": identity.code(secret)}, headers=admin.auth
    )
    assert confirmed.status_code == 200
    policy = await identity.client.patch(
        "/policy", json={"phishing_resistant_admins": True}, headers=admin.auth
    )
    assert policy.status_code == 200, policy.text

    pending = await password_step(identity, admin)
    assert (pending["next"], pending["factors"]) == ("enrol_second_factor", ["passkey"])
    totp_instead = await identity.client.post(
        "/login/enrolment", json={"challenge": pending["challenge"]}
    )
    assert totp_instead.status_code == 422
    device = authenticator(identity)
    options = await identity.client.post(
        "/login/enrolment/passkey/options", json={"challenge": pending["challenge"]}
    )
    assert options.status_code == 200, options.text
    enrolled = await identity.client.post(
        "/login/enrolment/passkey",
        json={
            "challenge": pending["challenge"],
            "credential": device.create(options.json()),
            "name": "Security key",
        },
    )
    assert enrolled.status_code == 200, enrolled.text
    assert amr(enrolled) == ["pwd", "hwk"]

    pending = await password_step(identity, admin)
    assert pending["factors"] == ["passkey"]
    code = await identity.client.post(
        "/login/second-factor",
        json={"challenge": pending["challenge"], "code": identity.code(secret, offset=1)},
    )
    assert code.status_code == 401
    _, done = await passkey_step(identity, pending["challenge"], device)
    assert done.status_code == 200

    # A member of the same organisation keeps their choice.
    member = await identity.member(admin)
    member_device = authenticator(identity)
    await register(identity, member, member_device)
    assert (await password_step(identity, member))["factors"] == ["passkey", "rec"]


async def test_passkeys_are_named_listed_renamed_and_removed__TOM_T2b(identity: Identity) -> None:
    admin = await identity.admin()
    first = await register(identity, admin, authenticator(identity), "Phone")
    second = await register(identity, admin, authenticator(identity), "Key")
    assert second["recovery_codes"] is None  # only the first factor brings codes
    listed = await identity.client.get("/me/passkeys", headers=admin.auth)
    assert [p["name"] for p in listed.json()["items"]] == ["Phone", "Key"]
    passkey_id = first["passkey"]["id"]

    renamed = await identity.client.patch(
        f"/me/passkeys/{passkey_id}", json={"name": "  Old   phone "}, headers=admin.auth
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Old phone"
    blank = await identity.client.patch(
        f"/me/passkeys/{passkey_id}", json={"name": "   "}, headers=admin.auth
    )
    assert blank.status_code == 422
    unknown_field = await identity.client.patch(
        f"/me/passkeys/{passkey_id}", json={"name": "x", "sign_count": 0}, headers=admin.auth
    )
    assert unknown_field.status_code == 422
    assert [p.name for p in await stored(identity, admin.user_id)] == ["Old phone", "Key"]

    member = await identity.member(admin)
    not_theirs = await identity.client.delete(f"/me/passkeys/{passkey_id}", headers=member.auth)
    assert not_theirs.status_code == 404
    removed = await identity.client.delete(f"/me/passkeys/{passkey_id}", headers=admin.auth)
    assert removed.status_code == 204
    last = await identity.client.delete(
        f"/me/passkeys/{second['passkey']['id']}", headers=admin.auth
    )
    assert last.status_code == 204
    assert await stored(identity, admin.user_id) == []
    async with identity.platform.runtime("identity").sessions() as session:
        user = await session.get(UserAccount, uuid.UUID(admin.user_id))
    assert user is not None
    assert user.mfa_enrolled_at is None  # no second factor left: the password alone again
    assert "access_token" in (await identity.login(admin.email, PASSWORD)).json()
    for verb in ("registered", "updated", "removed", "listed"):
        await events_of(identity.platform, f"dpa.identity.passkey.{verb}.v1", subject=admin.user_id)


async def test_the_last_second_factor_stays_while_the_organisation_requires_one__TOM_T2b(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    registered = await register(identity, admin, authenticator(identity))
    policy = await identity.client.patch("/policy", json={"mfa": "everyone"}, headers=admin.auth)
    assert policy.status_code == 200
    refused = await identity.client.delete(
        f"/me/passkeys/{registered['passkey']['id']}", headers=admin.auth
    )
    assert refused.status_code == 409
    assert len(await stored(identity, admin.user_id)) == 1


async def test_a_registration_answer_for_an_unknown_or_used_challenge_is_refused__TOM_T2b(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    device = authenticator(identity)
    options = (await identity.client.post("/me/passkeys/options", headers=admin.auth)).json()
    made_up = dict(options, challenge="bm90LWEtY2hhbGxlbmdlLW9mLW91cnM")
    invented = await identity.client.post(
        "/me/passkeys",
        json={"credential": device.create(made_up), "name": "Made up"},
        headers=admin.auth,
    )
    assert invented.status_code == 400
    answer = device.create(options)
    first = await identity.client.post(
        "/me/passkeys", json={"credential": answer, "name": "Phone"}, headers=admin.auth
    )
    assert first.status_code == 201
    replayed = await identity.client.post(
        "/me/passkeys", json={"credential": answer, "name": "Phone again"}, headers=admin.auth
    )
    assert replayed.status_code == 400
    garbage = await identity.client.post(
        "/me/passkeys", json={"credential": {"id": "x"}, "name": "Junk"}, headers=admin.auth
    )
    assert garbage.status_code == 400
    assert len(await stored(identity, admin.user_id)) == 1
    # Another user cannot answer the admin's ceremony with their own token.
    member = await identity.member(admin)
    options = (await identity.client.post("/me/passkeys/options", headers=admin.auth)).json()
    stolen = await identity.client.post(
        "/me/passkeys",
        json={"credential": authenticator(identity).create(options), "name": "Stolen"},
        headers=member.auth,
    )
    assert stolen.status_code == 400
    assert await stored(identity, member.user_id) == []
