"""Passkeys in Chromium (TOM-T2b): registered on the account page, used as the second step and,
once the organisation allows it, to sign in without a password. The passkey lives in Chromium's
virtual authenticator (DevTools protocol ``WebAuthn.addVirtualAuthenticator``): the browser runs
the real ceremony, with user verification, against the console's origin."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, unique_email

pytestmark = pytest.mark.timeout(240)

OVERVIEW = "What needs you now"


def virtual_authenticator(context: BrowserContext, page: Page) -> tuple[Any, str]:
    """A platform authenticator that verifies its user (as a fingerprint reader would)."""
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return devtools, added["authenticatorId"]


def credentials(devtools: Any, authenticator_id: str) -> list[dict[str, Any]]:
    found = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    return list(found["credentials"])


def password_step(page: Page, base: str, person: Person) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("E-mail address").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_an_admin_registers_a_passkey_and_signs_in_with_it__TOM_T2b(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    base = console_platform.passkey_url
    organisation = console_platform.new_organisation("Gemeente Sleuteldorp")
    lies = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("lies"))
    console_platform.invite_first_admin(organisation, lies.email)
    lies.accept_invitation(enrol=False)
    page = lies.page
    devtools, authenticator = virtual_authenticator(lies.context, page)

    password_step(page, base, lies)  # the console by name, where passkeys work
    expect(page.get_by_role("heading", name=OVERVIEW)).to_be_visible()
    page.goto(f"{base}/account")
    page.get_by_label("Name for this passkey").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    # Her first second step: recovery codes for the day the laptop is lost.
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert len(page.locator(".codes code").all_inner_texts()) == 10
    page.get_by_role("link", name="I have kept my codes, continue").click()
    expect(page.get_by_label("Name of passkey Work laptop")).to_have_value("Work laptop")
    [stored] = credentials(devtools, authenticator)
    assert stored["rpId"] == "localhost"
    assert stored["isResidentCredential"]
    check_accessibility(page)
    shot(page, screenshots, "passkeys-on-my-account")

    # Signing in: the password, then the passkey (Chromium asks the authenticator, which
    # verifies her; no code to type).
    page.get_by_role("button", name="Sign out", exact=True).click()
    password_step(page, base, lies)
    expect(page.get_by_role("heading", name="Use your passkey")).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "second-step-passkey")
    page.get_by_role("button", name="Use my passkey").click()
    expect(page.get_by_role("heading", name=OVERVIEW)).to_be_visible()
    [used] = credentials(devtools, authenticator)
    assert used["signCount"] > stored["signCount"]
    page.goto(f"{base}/account")
    expect(page.get_by_role("cell", name="password, passkey").first).to_be_visible()

    # Changes to how she signs in need a recent sign-in: she confirms it with the passkey.
    page.goto(f"{base}/account/confirm?next=/account")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    check_accessibility(page)
    page.locator("#passkey_password").fill(lies.password)
    page.get_by_role("button", name="Confirm with my passkey").click()
    expect(page.get_by_text("Confirmed. For the next 5 minutes")).to_be_visible()

    # Without a password: refused until her organisation allows it, then one press.
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.goto(f"{base}/sign-in")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_text("Sign-in with your passkey failed")).to_be_visible()
    password_step(page, base, lies)
    page.get_by_role("button", name="Use my passkey").click()
    expect(page.get_by_role("heading", name=OVERVIEW)).to_be_visible()
    page.goto(f"{base}/organisation/policy")
    page.get_by_label("People may sign in with a passkey alone, without their password").check()
    page.get_by_role("button", name="Save the rules").click()
    expect(page.get_by_text("A passkey may sign in without the password.")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.goto(f"{base}/sign-in")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name=OVERVIEW)).to_be_visible()

    # Renamed, then removed: the password alone signs her in again.
    page.goto(f"{base}/account")
    page.get_by_label("Name of passkey Work laptop").fill("Old laptop")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_label("Name of passkey Old laptop")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Old laptop").click()
    expect(page.get_by_text("The passkey is removed.")).to_be_visible()
    expect(page.get_by_label("Name of passkey Old laptop")).to_have_count(0)
    page.get_by_role("button", name="Sign out", exact=True).click()
    password_step(page, base, lies)
    expect(page.get_by_role("heading", name=OVERVIEW)).to_be_visible()
    lies.context.close()


def test_a_stranger_sees_no_passkeys_and_a_foreign_passkey_signs_nobody_in__TOM_T2b(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    base = console_platform.passkey_url
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    devtools, authenticator = virtual_authenticator(context, page)
    page.goto(f"{base}/account")
    expect(page).to_have_url(f"{base}/sign-in?next=/account")
    # An authenticator that holds no passkey for pactum signs nobody in.
    page.goto(f"{base}/sign-in")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_text("That did not work. Try again, or use another way.")).to_be_visible()
    assert credentials(devtools, authenticator) == []
    context.close()


def test_an_organisation_that_requires_passkeys_of_admins_has_them_create_one__TOM_T2b(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    """Phishing-resistant MFA for admins: the next sign-in asks for a passkey, not a code."""
    base = console_platform.passkey_url
    organisation = console_platform.new_organisation("Gemeente Vissersdorp")
    jo = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("jo"))
    console_platform.invite_first_admin(organisation, jo.email)
    jo.accept_invitation(enrol=False)
    page = jo.page
    devtools, authenticator = virtual_authenticator(jo.context, page)
    password_step(page, base, jo)
    page.goto(f"{base}/organisation/policy")
    page.get_by_label("Administrators must use a passkey as their second step").check()
    page.get_by_role("button", name="Save the rules").click()
    expect(
        page.get_by_text("Administrators use a passkey as their second step; a code is not enough.")
    ).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()

    password_step(page, base, jo)
    expect(page.get_by_role("heading", name="Set up a passkey")).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "set-up-a-passkey-at-sign-in")
    page.get_by_label("Name for this passkey").fill("Security key")
    page.get_by_role("button", name="Create a passkey").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    page.get_by_role("link", name="I have kept my codes, continue").click()
    expect(page.get_by_role("heading", name=OVERVIEW)).to_be_visible()
    assert len(credentials(devtools, authenticator)) == 1

    page.get_by_role("button", name="Sign out", exact=True).click()
    password_step(page, base, jo)
    expect(page.get_by_role("heading", name="Use your passkey")).to_be_visible()
    expect(page.get_by_label("6-digit code from your authenticator app")).to_have_count(0)
    page.get_by_role("button", name="Use my passkey").click()
    expect(page.get_by_role("heading", name=OVERVIEW)).to_be_visible()
    jo.context.close()
