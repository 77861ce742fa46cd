"""The end that means it, in Chromium (DPA-13, DPA-4b).

Sofie (the municipality's DPO) terminates the agreement and sees by when the data must be returned
or destroyed. Els Maes, an admin of the processor invited by Lotte under her own name, attests what
the processor destroyed on its own systems and backups; an empty attestation says what is
missing. Sofie has pactum's part destroyed, downloads the signed certificate with Els's name on it
and checks it on the console's page: genuine, in English and in Dutch; a certificate changed by one
character is not valid. A third organisation's admin finds neither the end nor the certificate,
and a visitor who is not signed in is asked to sign in.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, unique_email
from tests.console.test_agreements import admin_of, draft_signed_and_active

pytestmark = pytest.mark.timeout(420)


def _named_admin(platform: ConsolePlatform, browser: Browser, admin: Person, name: str) -> Person:
    """``admin`` invites a colleague by name as an admin; the colleague secures their account."""
    page = admin.open("/organisation/users")
    colleague = Person(platform, browser.new_context(locale="en-GB"), unique_email("els"))
    page.get_by_label("E-mail address").fill(colleague.email)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Administrator", exact=True).check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("row", name=name)).to_contain_text("invited")
    page = colleague.accept_invitation(enrol=False)
    if page.get_by_role("heading", name="Set up your second step").count() == 0:
        page = colleague.open("/account")
        page.get_by_role("button", name="Set up a second step").click()
    colleague.set_up_authenticator(page)
    return colleague


def test_dpa_13_the_processor_attests_in_its_name_and_the_certificate_checks_as_genuine(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path, tmp_path: Path
) -> None:
    stamp = unique_email("x").split("@")[0][-8:]
    sofie, controller_id = admin_of(
        console_platform, browser, f"Gemeente Zandvoorde {stamp}", "controller", "sofie"
    )
    lotte, _ = admin_of(console_platform, browser, f"Archiefwerk BV {stamp}", "processor", "lotte")
    agreement_url = draft_signed_and_active(
        console_platform, lotte, sofie, controller_id, f"Verwerkersovereenkomst {stamp}"
    )

    # Sofie terminates; the end shows its deadline and what is still to do.
    page = sofie.open(f"{agreement_url}/end")
    page.get_by_label("Why the agreement ends").fill("The main contract ends")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Terminate the agreement").click()
    expect(page.get_by_text("The agreement is terminated.")).to_be_visible()
    deadline = page.locator("#closure-deadline")
    expect(deadline).to_contain_text("must be returned or destroyed, and the processor must attest")
    expect(deadline).to_contain_text("Still to do by the processor")
    expect(page.get_by_role("button", name="Sign the attestation")).to_have_count(0)

    # Els, an admin of the processor under her own name, attests; an empty form says what lacks.
    els = _named_admin(console_platform, browser, lotte, "Els Maes")
    page = els.open(f"{agreement_url}/end")
    page.get_by_role("button", name="Sign the attestation").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Write at least one thing destroyed or returned.")
    expect(alert).to_contain_text("Confirm that what you attest is true.")
    check_accessibility(page)
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Brussels")).date()
    expiry = today + timedelta(days=35)
    page.get_by_label("What you destroyed or returned, one a line").fill(
        f"appointment records | crm-db Brussels | destroyed | {today} | schema dropped\n"
        f"nightly backups | vault Antwerp | destroyed | {today} | rotation | {expiry}"
    )
    page.get_by_label("I attest that this is true").check()
    page.get_by_role("button", name="Sign the attestation").click()
    expect(page.get_by_text("Your attestation is signed into the certificate.")).to_be_visible()
    attestation = page.locator("#attestation")
    expect(attestation).to_contain_text("Attested by Els Maes (admin)")
    expect(attestation.get_by_role("row", name="vault Antwerp")).to_be_visible()
    check_accessibility(page)

    # Sofie has pactum's part destroyed and downloads the certificate with Els's name on it.
    page = sofie.open(f"{agreement_url}/end")
    expect(page.locator("#attestation")).to_contain_text("Els Maes")
    page.get_by_label("Destroyed").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm and close the agreement").click()
    expect(page.get_by_text("The agreement is closed and the certificate issued.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the certificate (JSON)").click()
    saved = tmp_path / "certificate.json"
    download.value.save_as(saved)
    check_accessibility(page)

    # She checks it on the console's page: genuine, in plain words.
    page.get_by_role("link", name="Check a certificate").click()
    expect(page.get_by_role("heading", name="Check a certificate of return or destruction"))
    page.get_by_role("button", name="Check the certificate").click()
    expect(page.get_by_role("alert")).to_contain_text("Paste the certificate or choose its file.")
    check_accessibility(page)
    page.get_by_label("Or the certificate's file").set_input_files(saved)
    page.get_by_role("button", name="Check the certificate").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("This certificate is genuine.")
    expect(verdict).to_contain_text("Els Maes (admin)")
    check_accessibility(page)
    shot(page, screenshots, "certificate-check")

    # One character changed: not valid.
    changed = saved.read_text().replace('"choice":"destroy"', '"choice":"return"', 1)
    assert changed != saved.read_text()
    page.get_by_label("The certificate (JSON)").fill(changed)
    page.get_by_role("button", name="Check the certificate").click()
    expect(page.locator("#verdict")).to_contain_text("This certificate is not valid.")

    # In Dutch, the same file: echt.
    page.get_by_role("button", name="Nederlands").click()
    page = sofie.open("/certificates/verification")
    page.get_by_label("Of het bestand van het certificaat").set_input_files(saved)
    page.get_by_role("button", name="Het certificaat controleren").click()
    expect(page.locator("#verdict")).to_contain_text("Dit certificaat is echt.")
    page.get_by_role("button", name="English").click()

    # A third organisation's admin finds neither the end nor the certificate.
    stranger, _ = admin_of(
        console_platform, browser, f"Gemeente Elders {stamp}", "controller", "eva"
    )
    for path in (f"{agreement_url}/end", f"{agreement_url}/certificate.json"):
        page = stranger.open(path)
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.get_by_text("Els Maes")).to_have_count(0)
    check_accessibility(page)
    # A visitor who is not signed in is asked to sign in first.
    visitor = browser.new_context(locale="en-GB")
    page = visitor.new_page()
    page.goto(console_platform.url() + "/certificates/verification")
    expect(page.get_by_role("button", name="Check the certificate")).to_have_count(0)
    expect(page.get_by_label("Password")).to_be_visible()
    for context in (sofie.context, lotte.context, els.context, stranger.context, visitor):
        context.close()
