"""Security and account mail: invitations and resets with identity's one-time links, lock notices
to the user and admins, supplier access requests, bounces (TOM-T2c, TOM-T2d, TOM-T5, TOM-O3)."""

import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from structlog.testing import capture_logs

from deploy.mailsink import MailSink
from services.identity import cli
from services.identity.main import IdentitySettings
from services.identity.store import Organisation
from services.notifier.domain import Locale
from services.notifier.main import create_app as notifier_app
from services.notifier.templates import render_link
from shared.events.contracts.identity import (
    AccountLocked,
    GrantDecided,
    GrantRequested,
    LoginSucceeded,
    PasskeyChanged,
    PasskeyRegistered,
    PasswordChanged,
    PasswordReset,
    RecoveryCodesIssued,
)
from tests.identity.conftest import PASSWORD, Identity
from tests.notifier.conftest import Notifier, event, start_platform
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.platform import eventually, static_jwks


@pytest.fixture
async def with_identity(
    nats_server: NatsServer,
    database: Callable[[str], Database],
    tmp_path: Path,
    mail_sink: MailSink,
) -> AsyncIterator[Notifier]:
    """Identity and audit as usual; the notifier fetches one-time links from that identity."""
    platform = start_platform(nats_server, database, tmp_path, mail_sink)
    key_path = IdentitySettings(var_dir=platform.var_dir).signing_key_path
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(platform.signer.to_pem())
    await platform.start("identity", "audit")
    transport = httpx.ASGITransport(app=platform.apps["identity"])
    async with httpx.AsyncClient(transport=transport, base_url="http://identity") as identity:
        app = notifier_app(
            platform.settings("notifier", identity_url="http://identity"),
            jwks=static_jwks(platform.signer),
            identity=identity,
        )
        async with (
            LifespanManager(app, startup_timeout=30),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://notifier"
            ) as client,
        ):
            platform.apps["notifier"] = app
            platform.clients["notifier"] = client
            yield Notifier(platform, mail_sink)
    await platform.stop()


def _url_in(notifier: Notifier, address: str) -> str:
    [mail] = notifier.mail_to(address)
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(r"https?://\S+#token=\S+", text)
    assert found, text
    return found.group(0)


async def test_invitation_and_reset_links_are_fetched_from_identity_and_work__TOM_T2c_T2d(
    with_identity: Notifier,
) -> None:
    notifier = with_identity
    identity = Identity(notifier.platform)
    organisation, _ = await identity.organisation(mailed=True)
    [invited] = await eventually(
        lambda: notifier.evidence(organisation, "dpa.identity.user.invited.v1")
    )
    address = await eventually(lambda: _first_recipient(notifier))
    url = _url_in(notifier, address)
    token = url.split("#token=", 1)[1]
    assert (await identity.accept(url, PASSWORD)).status_code == 204

    reset = await identity.client.post("/password-reset", json={"email": address})
    assert reset.status_code == 202
    await eventually(lambda: _mail_count(notifier, address, 2))
    reset_mail = notifier.mail_to(address)[1]
    assert "wachtwoord" in str(reset_mail["Subject"])

    deliveries = await notifier.deliveries(organisation_id=organisation)
    stored = repr([d.message for d in deliveries])
    entries = repr([e.data for e in await notifier.platform.audit_entries()])
    assert token not in stored and token not in entries  # the secret lives in the mail only
    assert all("link_id" in d.message for d in deliveries)
    assert invited.data["invitation_id"] == deliveries[0].message["link_id"]


async def test_an_invitation_mail_in_each_language_says_who_invited_whom_where_and_until_when(
    with_identity: Notifier,
) -> None:
    """A real invitation, mailed through the SMTP sink in the organisation's language: who invited
    whom to which organisation, as what, and until when the link works, in Brussels time with the
    zone named. Names and link reach the mail only: not the ledger, not the log."""
    notifier = with_identity
    identity = Identity(notifier.platform)
    organisation, _, address = await _accepted_admin(notifier)
    admin = await identity.login_account(address, PASSWORD)
    async with notifier.platform.runtime("identity").sessions() as session:
        found = await session.get(Organisation, uuid.UUID(organisation))
        assert found is not None
        name = found.name
    expected = {
        "nl": (
            f"Uitnodiging voor {name} op pactum",
            f"{address} ({name}) nodigde u, Lid {{n}}, uit voor {name} op pactum, als lid.",
            "Gebruik deze eenmalige link, geldig tot ",
            " (Brusselse tijd): http",
        ),
        "fr": (
            f"Invitation à rejoindre {name} sur pactum",
            f"{address} ({name}) vous a invité, Lid {{n}}, à rejoindre {name} sur pactum, en "
            "tant que membre.",
            "Utilisez ce lien à usage unique, valable jusqu'au ",
            " (heure de Bruxelles) : http",
        ),
        "en": (
            f"Invitation to {name} on pactum",
            f"{address} ({name}) invited you, Lid {{n}}, to {name} on pactum, as member.",
            "Use this one-time link, valid until ",
            " (Brussels time): http",
        ),
    }
    with capture_logs() as logs:
        for n, (language, (subject, who, valid, zone)) in enumerate(expected.items()):
            chosen = await notifier.client.put(
                "/notifier/settings",
                json={"locale": language},
                headers=notifier.auth(organisation, admin.user_id),
            )
            assert chosen.status_code == 200, chosen.text
            invitee = f"lid-{n}-{uuid.uuid4().hex[:6]}@example.org"
            invited = await identity.client.post(
                "/users",
                json={"email": invitee, "role": "member", "display_name": f"Lid {n}"},
                headers=admin.auth,
            )
            assert invited.status_code == 201, invited.text
            await eventually(lambda address=invitee: _mail_count(notifier, address, 1))  # type: ignore[misc]
            [mail] = notifier.mail_to(invitee)
            text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            html = mail.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
            assert " ".join(str(mail["Subject"]).split()) == subject
            assert who.format(n=n) in text, text
            assert valid in text and zone in text, text
            assert f"<html lang='{language}'>" in html
            [user] = [d for d in await notifier.deliveries(organisation_id=organisation)
                      if d.recipient == f"user:{invited.json()['id']}"]  # fmt: skip
            assert f"Lid {n}" not in repr(user.message) and name not in repr(user.message)
    url = _url_in(notifier, invitee)
    assert all(url not in repr(entry) and "#token=" not in repr(entry) for entry in logs)


async def test_lock_and_access_notices_reach_addresses_identity_gives__TOM_T5_TOM_O3(
    with_identity: Notifier,
) -> None:
    notifier = with_identity
    organisation, user, admin = await _accepted_admin(notifier)  # locked out of their account
    locked = AccountLocked(user_id=uuid.UUID(user), until=None, lock_number=3, permanent=True)
    await notifier.publish(
        event("dpa.identity.account.locked.v1", organisation, locked, source="/dpa/identity")
    )
    grant = GrantRequested(
        grant_id=uuid.uuid4(),
        organisation_id=uuid.UUID(organisation),
        operator_id=uuid.uuid4(),
        access="change",
        minutes=30,
        reason="Ticket 12",
    )
    await notifier.publish(
        event("dpa.identity.grant.requested.v1", organisation, grant, source="/dpa/identity")
    )

    await eventually(lambda: _mail_count(notifier, admin, 4))  # invitation, 2 lock, 1 grant
    subjects = sorted(str(m["Subject"]) for m in notifier.mail_to(admin)[1:])
    assert subjects == [
        "Account geblokkeerd na herhaalde mislukte aanmeldingen",
        "Account geblokkeerd na herhaalde mislukte aanmeldingen",
        "De leverancier vraagt toegang tot uw gegevens: goedkeuring nodig",
    ]
    rows = await notifier.deliveries(organisation_id=organisation)
    assert all(admin not in repr(row.message) for row in rows)  # looked up, not stored
    await eventually(lambda: notifier.evidence(organisation, "dpa.identity.user.listed.v1"))


async def test_lock_notice_reaches_the_user_and_the_security_contacts__TOM_T5(
    with_identity: Notifier,
) -> None:
    notifier = with_identity
    owner = await _owner(notifier, muted_topics=["security"])
    organisation, user = owner.organisation, owner.user_id
    await notifier.contact(organisation, ["security"], email="admins@gemeente.example")
    locked = AccountLocked(
        user_id=uuid.UUID(user), until="2026-11-28T18:00:00Z", lock_number=1, permanent=False
    )
    await notifier.publish(
        event("dpa.identity.account.locked.v1", organisation, locked, source="/dpa/identity")
    )

    await eventually(lambda: owner.mail(notifier, "Account locked"))
    await eventually(lambda: _mail_count(notifier, "admins@gemeente.example", 1))
    assert notifier.mail_to(UNPROVEN) == []
    [item] = await notifier.inbox(user_id=user)  # muting security does not silence a lockout
    assert item.notice == "account_locked"


async def test_supplier_access_request_asks_the_customers_admins_to_approve__TOM_O3(
    notifier: Notifier,
) -> None:
    customer = str(uuid.uuid4())
    await notifier.contact(customer, ["security"], email="admins@stad.example", locale="en")
    grant = GrantRequested(
        grant_id=uuid.uuid4(),
        organisation_id=uuid.UUID(customer),
        operator_id=uuid.uuid4(),
        access="read",
        minutes=60,
        reason="Ticket 4711: export fails",
    )
    await notifier.publish(
        event("dpa.identity.grant.requested.v1", customer, grant, source="/dpa/identity")
    )
    await eventually(lambda: _mail_count(notifier, "admins@stad.example", 1))
    [mail] = notifier.mail_to("admins@stad.example")
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "approval needed" in str(mail["Subject"])
    assert f"https://pactum.test/grants/{grant.grant_id}" in text and "Ticket 4711" in text


async def test_a_bounced_address_is_recorded_and_not_retried__TOM_O4(
    notifier: Notifier,
) -> None:
    organisation = str(uuid.uuid4())
    notifier.sink.refused.add("gone@gemeente.example")
    await notifier.contact(organisation, ["security"], email="gone@gemeente.example")
    grant = GrantDecided(grant_id=uuid.uuid4(), operator_id=uuid.uuid4())
    await notifier.publish(
        event("dpa.identity.grant.expired.v1", organisation, grant, source="/dpa/identity")
    )
    await notifier.settled(organisation)
    [delivery] = await notifier.deliveries(organisation_id=organisation, channel="email")
    assert delivery.status.value == "failed" and delivery.attempts == 1
    assert delivery.last_status == "550"
    [failed] = await eventually(
        lambda: notifier.evidence(organisation, "dpa.notifier.delivery.failed.v1")
    )
    assert failed.data["bounced"] is True and failed.data.get("next_attempt_at") is None


@dataclass
class Owner:
    organisation: str
    user_id: str
    address: str  # as identity knows it: proven by the invitation link sent there

    async def mail(self, notifier: Notifier, subject: str, count: int = 1) -> list[Any]:
        """The mails to the owner's address with ``subject`` in theirs, once ``count`` came."""
        found = [m for m in notifier.mail_to(self.address) if subject in str(m["Subject"])]
        return found if len(found) >= count else []


async def _accepted_admin(notifier: Notifier) -> tuple[str, str, str]:
    """A new organisation's first admin who accepted the mailed invitation: the organisation,
    the user and the address the link proved."""
    identity = Identity(notifier.platform)
    organisation, _ = await identity.organisation(mailed=True)
    [invited] = await eventually(
        lambda: notifier.evidence(organisation, "dpa.identity.user.invited.v1")
    )
    address = await eventually(lambda: _first_recipient(notifier))
    assert (await identity.accept(_url_in(notifier, address), PASSWORD)).status_code == 204
    return organisation, str(invited.data["user_id"]), address


async def _owner(notifier: Notifier, **preferences: Any) -> Owner:
    """An organisation's first admin who set their own notification preferences (English, and
    an address of their choosing that no link proved)."""
    organisation, user, address = await _accepted_admin(notifier)
    response = await notifier.client.put(
        "/notifier/preferences",
        json={"email": UNPROVEN, "locale": "en"} | preferences,
        headers=notifier.auth(organisation, user),
    )
    assert response.status_code == 200, response.text
    return Owner(organisation, user, address)


UNPROVEN = "elsewhere@example.net"


async def _first_recipient(notifier: Notifier) -> str:
    return str(notifier.sink.messages[0]["To"]) if notifier.sink.messages else ""


async def _mail_count(notifier: Notifier, address: str, count: int) -> bool:
    return len(notifier.mail_to(address)) >= count


async def _tried_every_invitation(notifier: Notifier, organisation: str) -> list[list[Any]] | None:
    """Once the notifier has the invitation event and tried each invitation delivery it planned
    (the moment it used to mint the link again): those deliveries, in a list."""
    received = await notifier.platform.receipts(
        organisation_id=organisation, event_type="dpa.identity.user.invited.v1"
    )
    if not received:
        return None
    planned = await notifier.deliveries(organisation_id=organisation)
    deliveries = [d for d in planned if d.notice == "invitation"]
    return [deliveries] if all(d.attempts >= 1 for d in deliveries) else None


async def test_the_printed_invitation_link_still_works_after_the_notifier_ran__TOM_T2a_TOM_T2c(
    with_identity: Notifier,
) -> None:
    """Issue 18.1: ``create-admin`` printed a link, the notifier mailed the same invitation a
    moment later and, minting the link again, voided the printed one (400 in 5 of 5 tries). The
    printed link now has one channel: nothing is mailed, and no delivery can mint it again."""
    notifier = with_identity
    identity = Identity(notifier.platform)
    settings = identity.authority.settings
    organisation = await cli.run(
        ["create-organisation", "--name", "Gemeente Printed", "--kind", "controller"], settings
    )
    printed = await cli.run(
        ["create-admin", "--organisation", organisation, "--email", "first@printed.example"],
        settings,
    )
    assert "not mailed" in printed
    tried: list[list[Any]] | None = await eventually(
        lambda: _tried_every_invitation(notifier, organisation)
    )
    assert tried == [[]]  # no invitation mail planned
    assert not notifier.mail_to("first@printed.example")
    [invited] = await eventually(
        lambda: notifier.evidence(organisation, "dpa.identity.user.invited.v1")
    )
    assert invited.data["delivered_by"] == "operator"
    refetched = await identity.deliver(str(invited.data["invitation_id"]))
    assert refetched.status_code == 404  # a handed-over link is never minted again
    link = printed.rsplit(" ", 1)[1]
    assert (await identity.accept(link, PASSWORD)).status_code == 204


async def test_create_admin_by_mail_prints_no_link_and_a_retry_tells_the_link_was_replaced(
    with_identity: Notifier,
) -> None:
    """``create-admin --mail`` prints no link; the mail carries it. A retried delivery mints the
    link again: the earlier one stops working and the new mail says so."""
    notifier = with_identity
    identity = Identity(notifier.platform)
    settings = identity.authority.settings
    organisation = await cli.run(
        ["create-organisation", "--name", "Gemeente Mailed", "--kind", "controller"], settings
    )
    address = "first@mailed.example"
    printed = await cli.run(
        ["create-admin", "--organisation", organisation, "--email", address, "--mail"], settings
    )
    assert "mailed" in printed and "#token=" not in printed
    await eventually(lambda: _mail_count(notifier, address, 1))
    mailed_url = _url_in(notifier, address)
    [invited] = await eventually(
        lambda: notifier.evidence(organisation, "dpa.identity.user.invited.v1")
    )
    retried = await identity.deliver(str(invited.data["invitation_id"]))
    assert retried.status_code == 200 and retried.json()["replaces_earlier"] is True
    rendered = render_link(
        notice="invitation",
        locale=Locale.en,
        url=retried.json()["url"],
        expires_at=datetime.fromisoformat(retried.json()["expires_at"]),
        event_id="e",
        replaces_earlier=True,
    )
    assert "replaces one sent earlier, which no longer works" in rendered.text
    assert (await identity.accept(mailed_url, PASSWORD)).status_code == 400
    assert (await identity.accept(retried.json()["url"], PASSWORD)).status_code == 204


async def test_a_passkey_registered_or_removed_is_told_to_its_owner_alone__TOM_T2b(
    with_identity: Notifier,
) -> None:
    """Someone who registers a passkey on a stolen session gets in for good: the owner hears of
    it at once, and of a removal too; the organisation's contacts are not told of a person's
    devices."""
    notifier = with_identity
    owner = await _owner(notifier)
    organisation, user = owner.organisation, owner.user_id
    await notifier.contact(organisation, ["security"], email="admins@gemeente.example")
    for verb, payload in (
        ("registered", PasskeyRegistered),
        ("removed", PasskeyChanged),
    ):
        facts: dict[str, Any] = {"user_id": uuid.UUID(user), "passkey_id": uuid.uuid4()}
        if payload is PasskeyRegistered:
            facts |= {"backup_eligible": True, "backed_up": True, "aaguid": "0" * 36}
        await notifier.publish(
            event(
                f"dpa.identity.passkey.{verb}.v1",
                organisation,
                payload(**facts),
                source="/dpa/identity",
            )
        )

    mails = await eventually(lambda: owner.mail(notifier, "second factor", 2))
    assert {str(m["Subject"]) for m in mails} == {"Your second factor changed"}
    texts = " ".join(m.get_body(preferencelist=("plain",)).get_content() for m in mails)
    assert "registered" in texts
    assert "removed" in texts
    assert notifier.mail_to("admins@gemeente.example") == notifier.mail_to(UNPROVEN) == []


async def test_a_changed_or_reset_password_is_told_to_its_owner_alone__TOM_T2c_TOM_T2d(
    with_identity: Notifier,
) -> None:
    """Whoever changes a password without its owner is found out by the next mail, at the
    address identity proved, not one a session holder could set in the preferences."""
    notifier = with_identity
    owner = await _owner(notifier)
    organisation, user = owner.organisation, owner.user_id
    await notifier.contact(organisation, ["security"], email="admins@gemeente.example")
    changed = PasswordChanged(user_id=uuid.UUID(user), other_sessions_revoked=2)
    reset = PasswordReset(user_id=uuid.UUID(user), sessions_revoked=3)
    for kind, payload in (("updated", changed), ("reset", reset)):
        await notifier.publish(
            event(f"dpa.identity.password.{kind}.v1", organisation, payload, source="/dpa/identity")
        )

    mails = await eventually(lambda: owner.mail(notifier, "password", 2))
    assert {str(m["Subject"]) for m in mails} == {"Your password changed"}
    texts = " ".join(m.get_body(preferencelist=("plain",)).get_content() for m in mails)
    assert "other sessions ended: 2" in texts
    assert "sessions ended: 3" in texts
    assert notifier.mail_to("admins@gemeente.example") == notifier.mail_to(UNPROVEN) == []


async def test_renewed_recovery_codes_are_told_to_their_owner_but_a_first_set_is_not__TOM_T2b(
    with_identity: Notifier,
) -> None:
    notifier = with_identity
    owner = await _owner(notifier)
    organisation, user = owner.organisation, owner.user_id
    for renewed in (False, True):
        codes = RecoveryCodesIssued(user_id=uuid.UUID(user), count=10, renewed=renewed)
        await notifier.publish(
            event(
                "dpa.identity.recovery_code.issued.v1", organisation, codes, source="/dpa/identity"
            )
        )
    [mail] = await eventually(lambda: owner.mail(notifier, "second factor"))
    assert str(mail["Subject"]) == "Your second factor changed"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "recovery_codes_renewed" in text
    [item] = await notifier.inbox(user_id=user)  # one notice: the first set made none
    assert item.notice == "mfa_changed"


async def test_a_sign_in_from_a_new_device_is_told_to_its_owner_alone__TOM_T2b(
    with_identity: Notifier,
) -> None:
    """Issue 13.2: whoever signs in with someone's password and second factor from elsewhere is
    found out by the owner's next mail (at the address identity proved); an ordinary sign-in
    sends nothing."""
    notifier = with_identity
    owner = await _owner(notifier)
    organisation, user = owner.organisation, owner.user_id
    await notifier.contact(organisation, ["security"], email="admins@gemeente.example")
    for new_device in (False, True):
        signed_in = LoginSucceeded(
            user_id=uuid.UUID(user),
            session_id=uuid.uuid4(),
            methods=["pwd", "otp"],
            new_device=new_device,
        )
        await notifier.publish(
            event(
                "dpa.identity.login.succeeded.v1", organisation, signed_in, source="/dpa/identity"
            )
        )

    async def both_received() -> bool:
        receipts = await notifier.platform.receipts(event_type="dpa.identity.login.succeeded.v1")
        return len(receipts) == 2

    await eventually(both_received, within=60)
    await eventually(lambda: owner.mail(notifier, "New sign-in"), within=60)
    await notifier.settled(organisation)  # every delivery done: the ordinary sign-in made none
    [mail] = await owner.mail(notifier, "New sign-in")
    assert str(mail["Subject"]) == "New sign-in to your account from another device or network"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "signed in with: pwd, otp" in text
    assert notifier.mail_to("admins@gemeente.example") == notifier.mail_to(UNPROVEN) == []


async def test_a_new_address_is_proven_by_its_link_and_both_addresses_are_told__TOM_T2a_TOM_T2b(
    with_identity: Notifier,
) -> None:
    """The confirmation link goes to the new address alone; once it is used, the new address
    and the one it replaced are told, never an address set in the preferences."""
    notifier = with_identity
    owner = await _owner(notifier)
    identity = Identity(notifier.platform)
    account = await identity.login_account(owner.address, PASSWORD)
    new = f"moved-{uuid.uuid4().hex[:8]}@example.org"
    asked = await identity.client.post("/me/email", json={"email": new}, headers=account.auth)
    assert asked.status_code == 202, asked.text

    await eventually(lambda: _mail_count(notifier, new, 1))
    [link_mail] = notifier.mail_to(new)
    assert str(link_mail["Subject"]) == "Confirm your new e-mail address for pactum"
    url = _url_in(notifier, new)
    assert "/email#token=" in url
    assert not [m for m in notifier.mail_to(owner.address) if "e-mail" in str(m["Subject"])]
    confirmed = await identity.client.post(
        "/email-change/confirm", json={"token": url.split("#token=", 1)[1]}
    )
    assert confirmed.status_code == 204, confirmed.text

    subject = "You now sign in with another e-mail address"
    [former] = await eventually(lambda: owner.mail(notifier, subject))
    await eventually(lambda: _mail_count(notifier, new, 2))
    assert str(notifier.mail_to(new)[1]["Subject"]) == subject
    assert "e-mail" not in " ".join(str(m["Subject"]) for m in notifier.mail_to(UNPROVEN))
    assert new not in former.get_body(preferencelist=("plain",)).get_content()
