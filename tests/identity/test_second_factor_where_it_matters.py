"""MFA where it matters (issue 13.2, TOM-T2b, ASVS 6.3.3): the operator's staff, who reach
customers' data under grants, always sign in with a second factor; a grant token is issued only
to a session that was proven with one; and the changes that hand an account over (a second factor,
recovery codes, the e-mail address, the password) need a recent authentication (step-up); a new
organisation asks its admins for a second factor unless told otherwise."""

import uuid

import jwt
import pytest
from sqlalchemy import func, select

from services.identity import cli
from services.identity.store import Organisation, RecoveryCode
from tests.identity.conftest import PASSWORD, Identity, age_session, events_of
from tests.support.authenticator import SoftwareAuthenticator


async def test_every_user_of_an_operator_organisation_signs_in_with_a_second_factor__TOM_T2b(
    identity: Identity,
) -> None:
    _, link = await identity.organisation("operator")
    email = await identity._email_of_link(link)
    assert (await identity.accept(link, PASSWORD)).status_code == 204
    first = await identity.login(email, PASSWORD)
    assert first.status_code == 200
    assert "access_token" not in first.json()
    assert first.json()["next"] == "enrol_second_factor"

    admin = await identity.login_account(email, PASSWORD)  # sets up an app, as asked
    member = await identity.member(admin)
    assert jwt.decode(member.access_token, options={"verify_signature": False})["amr"] == [
        "pwd",
        "otp",
    ]
    policy = await identity.client.get("/policy", headers=admin.auth)
    assert policy.json()["mfa"] == "everyone"
    lowered = await identity.client.patch("/policy", json={"mfa": "admins"}, headers=admin.auth)
    assert lowered.status_code == 422
    assert "operator" in lowered.json()["detail"]
    assert (await identity.client.get("/policy", headers=admin.auth)).json()["mfa"] == "everyone"


async def test_a_grant_token_needs_a_session_proven_with_a_second_factor__TOM_O3_TOM_T2b(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    customer = await identity.admin()
    body = {
        "organisation_id": customer.organisation_id,
        "reason": "Ticket 77: a broken annex",
        "minutes": 30,
    }
    grant = await identity.client.post("/grants", json=body, headers=operator.auth)
    assert grant.status_code == 201, grant.text
    grant_id = grant.json()["id"]
    approved = await identity.client.post(f"/grants/{grant_id}/approve", headers=customer.auth)
    assert approved.status_code == 200, approved.text

    # A session proven by the password alone (as sessions were before the operator's rule).
    password_only = identity.platform.signer.issue(
        user_id=operator.user_id,
        organisation_id=operator.organisation_id,
        roles=["admin"],
        session_id=operator.session_id,
        methods=["pwd"],
        organisation_kind="operator",
    )
    refused = await identity.client.post(
        f"/grants/{grant_id}/token", headers={"Authorization": f"Bearer {password_only}"}
    )
    assert refused.status_code == 403
    assert "second factor" in refused.json()["detail"]
    taken = await identity.client.post(f"/grants/{grant_id}/token", headers=operator.auth)
    assert taken.status_code == 200, taken.text
    claims = jwt.decode(taken.json()["access_token"], options={"verify_signature": False})
    assert claims["amr"] == ["pwd", "otp"]
    [activated] = await events_of(identity.platform, "dpa.identity.grant.activated.v1")
    assert activated.data["grant_id"] == grant_id


async def test_a_second_factor_or_password_changes_only_after_a_recent_sign_in__TOM_T2b(
    identity: Identity,
) -> None:
    """A session left open for hours does not let whoever finds it make the account theirs."""
    admin = await identity.admin()
    started = await identity.client.post("/me/mfa/totp", headers=admin.auth)
    secret = started.json()["secret"]
    confirmed = await identity.client.post(
        "/me/mfa/totp/confirm", json={"code": identity.code(secret)}, headers=admin.auth
    )
    assert confirmed.status_code == 200
    codes_before = await identity.platform.count("identity", RecoveryCode)
    await age_session(identity, admin)

    change = {"current_password": PASSWORD, "new_password": "another long sentence of mine"}
    for method, path, body in (
        ("POST", "/me/mfa/recovery-codes", None),
        ("POST", "/me/passkeys/options", None),
        ("POST", "/me/password", change),
    ):
        refused = await identity.client.request(method, path, json=body, headers=admin.auth)
        assert refused.status_code == 403, (path, refused.text)
        assert "insufficient_user_authentication" in refused.headers["www-authenticate"]
    assert await identity.platform.count("identity", RecoveryCode) == codes_before
    assert (await identity.login(admin.email, PASSWORD)).status_code == 200  # password unchanged

    wrong = await identity.client.post(
        "/me/step-up", json={"password": "not my password at all"}, headers=admin.auth
    )
    assert wrong.status_code == 400  # the session stays: not a 401
    no_code = await identity.client.post(
        "/me/step-up", json={"password": PASSWORD}, headers=admin.auth
    )
    assert no_code.status_code == 400  # she has a second factor: the password is not enough
    proven = await identity.client.post(
        "/me/step-up",
        json={"password": PASSWORD, "code": identity.code(secret, offset=1)},
        headers=admin.auth,
    )
    assert proven.status_code == 200, proven.text
    assert proven.json() == {"methods": ["pwd", "otp"], "valid_minutes": 5}
    renewed = await identity.client.post("/me/mfa/recovery-codes", headers=admin.auth)
    assert renewed.status_code == 200
    issued = await events_of(
        identity.platform, "dpa.identity.recovery_code.issued.v1", count=2, subject=admin.user_id
    )
    assert [entry.data["renewed"] for entry in issued] == [False, True]  # the owner is told
    [verified] = await events_of(
        identity.platform, "dpa.identity.session.verified.v1", subject=admin.user_id
    )
    assert verified.data["session_id"] == admin.session_id
    failed = await events_of(
        identity.platform, "dpa.identity.login.failed.v1", count=2, subject=admin.user_id
    )
    assert {entry.data["reason"] for entry in failed} >= {"credentials", "second_factor"}


async def test_a_passkey_is_removed_only_after_a_recent_sign_in_with_one__TOM_T2b(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    device = SoftwareAuthenticator(origin=identity.authority.settings.passkey_origin)
    options = await identity.client.post("/me/passkeys/options", headers=admin.auth)
    registered = await identity.client.post(
        "/me/passkeys",
        json={"credential": device.create(options.json()), "name": "Laptop"},
        headers=admin.auth,
    )
    assert registered.status_code == 201
    passkey_id = registered.json()["passkey"]["id"]
    await age_session(identity, admin)
    refused = await identity.client.delete(f"/me/passkeys/{passkey_id}", headers=admin.auth)
    assert refused.status_code == 403
    step = await identity.client.post("/me/step-up/options", headers=admin.auth)
    assert step.status_code == 200, step.text
    proven = await identity.client.post(
        "/me/step-up",
        json={"password": PASSWORD, "credential": device.get(step.json())},
        headers=admin.auth,
    )
    assert proven.status_code == 200, proven.text
    assert proven.json()["methods"] == ["pwd", "hwk"]
    removed = await identity.client.delete(f"/me/passkeys/{passkey_id}", headers=admin.auth)
    assert removed.status_code == 204


async def _mfa_of(identity: Identity, organisation_id: str) -> str:
    async with identity.platform.runtime("identity").sessions() as session:
        organisation = await session.get(Organisation, uuid.UUID(organisation_id))
        assert organisation is not None
        return str(organisation.mfa)


async def test_a_new_organisation_requires_a_second_factor_of_its_admins_by_default__TOM_T2b(
    identity: Identity,
) -> None:
    settings = identity.authority.settings
    created = await cli.run(
        ["create-organisation", "--name", "Gemeente Nieuw", "--kind", "controller"], settings
    )
    assert await _mfa_of(identity, created) == "admins"
    printed = await cli.run(
        ["create-admin", "--organisation", created, "--email", "chief@nieuw.example"], settings
    )
    assert (await identity.accept(printed.rsplit(" ", 1)[1], PASSWORD)).status_code == 204
    first = await identity.login("chief@nieuw.example", PASSWORD)
    assert first.status_code == 200
    assert "access_token" not in first.json()
    assert first.json()["next"] == "enrol_second_factor"
    admin = await identity.login_account("chief@nieuw.example", PASSWORD)
    _, email, link = await identity.invite(admin)  # a member is not asked for one
    assert (await identity.accept(link, PASSWORD)).status_code == 204
    assert "access_token" in (await identity.login(email, PASSWORD)).json()

    # The operator's API has the same default; an operator may choose otherwise, within the rules.
    operator = await identity.admin("operator")
    made = await identity.client.post(
        "/organisations", json={"name": "iBeauty BV", "kind": "processor"}, headers=operator.auth
    )
    assert made.status_code == 201, made.text
    assert await _mfa_of(identity, made.json()["id"]) == "admins"
    everyone = await identity.client.post(
        "/organisations",
        json={"name": "Stad Streng", "kind": "controller", "mfa": "everyone"},
        headers=operator.auth,
    )
    assert await _mfa_of(identity, everyone.json()["id"]) == "everyone"
    chosen = await cli.run(
        ["create-organisation", "--name", "Demo", "--kind", "controller", "--mfa", "none"], settings
    )
    assert await _mfa_of(identity, chosen) == "none"


async def test_an_unknown_mfa_choice_for_a_new_organisation_is_refused_and_creates_nothing(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    async with identity.platform.runtime("identity").sessions() as session:
        before = await session.scalar(select(func.count()).select_from(Organisation))
    for mfa in ("sometimes", "", None, True):
        refused = await identity.client.post(
            "/organisations",
            json={"name": "Gemeente Twijfel", "kind": "controller", "mfa": mfa},
            headers=operator.auth,
        )
        assert refused.status_code == 422, (mfa, refused.text)
    with pytest.raises(SystemExit):
        await cli.run(
            ["create-organisation", "--name", "X", "--kind", "controller", "--mfa", "maybe"],
            identity.authority.settings,
        )
    async with identity.platform.runtime("identity").sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Organisation)) == before
