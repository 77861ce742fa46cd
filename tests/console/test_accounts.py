"""A person's account, end to end in Chromium: invitation, second factor, sign-in, lockout."""

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from services.console.language import translations
from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, unique_email

pytestmark = pytest.mark.timeout(240)


def test_a_new_admin_secures_her_account_from_the_mailed_invitation__TOM_T2a_TOM_T2b(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    organisation = console_platform.new_organisation("Gemeente Zonnedorp")
    sofie = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("sofie"))
    console_platform.invite_first_admin(organisation, sofie.email)

    link = console_platform.link_in_mail(sofie.email)
    page = sofie.open(link)
    # The link's secret left the address bar as soon as the page took it.
    expect(page.get_by_role("heading", name="Set up your account")).to_be_visible()
    assert "token" not in page.url
    expect(page.get_by_text("Gemeente Zonnedorp")).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "accept-invitation")

    page.get_by_label("Choose a password").fill(sofie.password)
    page.get_by_label("Type the password again").fill(sofie.password)
    page.get_by_role("button", name="Create my account").click()

    # MFA is not required by this organisation's policy: she sets it up from her account page.
    expect(page).to_have_url(f"{console_platform.url()}/account")
    check_accessibility(page)
    page.get_by_role("button", name="Set up a second step").click()
    qr = page.get_by_role("img", name="QR code to add pactum to your authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0"), "the QR code shows"
    check_accessibility(page)
    shot(page, screenshots, "set-up-second-step")
    sofie.set_up_authenticator(page)
    assert len(sofie.recovery_codes) == 10
    expect(page.get_by_text("You sign in with your password and a code")).to_be_visible()

    sofie.sign_out()
    page = sofie.sign_in()
    expect(page.get_by_role("heading", name="What needs you now")).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "overview")

    # A recovery code also works, once.
    sofie.sign_out()
    page = sofie.open("/sign-in")
    page.get_by_label("E-mail address").fill(sofie.email)
    page.get_by_label("Password").fill(sofie.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("I do not have my phone").click()
    page.get_by_label("One of your recovery codes").fill(sofie.recovery_codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="What needs you now")).to_be_visible()
    sofie.context.close()


def test_a_wrong_password_gets_the_same_generic_answer_as_an_unknown_address__TOM_T5(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    stranger = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("x"))
    page = stranger.open("/sign-in")
    page.get_by_label("E-mail address").fill(stranger.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Sign-in failed: check your e-mail address")
    check_accessibility(page)
    stranger.context.close()


def test_pages_of_the_console_ask_a_stranger_to_sign_in_first(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    for path in ("/", "/account", "/inbox", "/inbox/some-thread"):
        page.goto(console_platform.url() + path)
        expect(page.get_by_role("heading", name="Sign in to pactum")).to_be_visible()
    context.close()


def test_links_mailed_before_the_console_existed_still_open_its_pages(
    console_platform: ConsolePlatform,
) -> None:
    """Identity's and the notifier's own addresses redirect, for one release, to the console."""
    console = console_platform.url()
    with httpx.Client(trust_env=False) as http:
        for service, path, target in (
            ("identity", "/account/invitation", f"{console}/account/invitation"),
            ("identity", "/account/reset", f"{console}/account/reset"),
            ("notifier", "/breaches/b-1", f"{console}/breaches/b-1"),
            (
                "notifier",
                "/agreements/a-1/subprocessor-notices/n-1",
                f"{console}/agreements/a-1/subprocessor-notices/n-1",
            ),
        ):
            answer = http.get(console_platform.url(service) + path)
            assert answer.status_code == 308, (service, path)
            assert answer.headers["location"] == target
        assert http.get(console_platform.url("identity") + "/account/other").status_code == 404


def test_a_locked_out_admin_resets_her_password_by_mail_and_keeps_her_second_step__TOM_T5_TOM_T2d(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    organisation = console_platform.new_organisation("Gemeente Heidebeek")
    lotte = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("lotte"))
    console_platform.invite_first_admin(organisation, lotte.email)
    lotte.accept_invitation()
    lotte.sign_out()

    page = lotte.open("/sign-in")
    for _attempt in range(6):  # the default policy locks after five failures
        page.get_by_label("E-mail address").fill(lotte.email)
        page.get_by_label("Password").fill("a wrong guess at the password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("Sign-in failed")
    # Locked: even the right password gets the very same answer (TOM-T5).
    page.get_by_label("E-mail address").fill(lotte.email)
    page.get_by_label("Password").fill(lotte.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Sign-in failed")
    expect(page.get_by_label("6-digit code from your authenticator app")).to_have_count(0)

    before = len(console_platform.mails_to(lotte.email))
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail address").fill(lotte.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    check_accessibility(page)

    link = console_platform.link_in_mail(lotte.email, purpose="reset", after=before)
    page = lotte.open(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert "token" not in page.url
    check_accessibility(page)
    shot(page, screenshots, "reset-password")
    lotte.password = "another long and private sentence 7"
    page.get_by_label("New password").fill(lotte.password)
    page.get_by_label("Type the password again").fill(lotte.password)
    page.get_by_role("button", name="Save my new password").click()
    expect(page.get_by_text("Your new password is set.")).to_be_visible()

    # The second step was kept: the new password alone does not sign her in.
    page = lotte.sign_in()
    expect(page.get_by_role("heading", name="What needs you now")).to_be_visible()
    # The link worked once.
    page = lotte.open(link)
    expect(page.get_by_role("alert")).to_contain_text("invalid, used or expired")
    lotte.context.close()


def test_a_person_changes_her_password_and_signs_out_her_other_browser(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    organisation = console_platform.new_organisation("OCMW Beekvliet")
    jan = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("jan"))
    console_platform.invite_first_admin(organisation, jan.email)
    jan.accept_invitation()
    laptop = Person(console_platform, browser.new_context(locale="en-GB"), jan.email)
    laptop.authenticator = jan.authenticator
    laptop.sign_in()

    page = jan.open("/account")
    expect(page.locator("table tbody tr")).to_have_count(2)
    check_accessibility(page)
    shot(page, screenshots, "my-account")
    page.get_by_label("Current password").fill(jan.password)
    jan.password = "a new sentence nobody guesses 9"
    page.get_by_label("New password", exact=True).fill(jan.password)
    page.get_by_label("Type the new password again").fill(jan.password)
    page.get_by_label("Sign out my other devices").check()
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(1)

    # The laptop's session ended in identity: its next page asks it to sign in again.
    other = laptop.open("/account")
    expect(other.get_by_role("heading", name="Sign in to pactum")).to_be_visible()
    jan.context.close()
    laptop.context.close()


def test_the_console_speaks_dutch_french_and_english_with_brussels_times(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    context = browser.new_context(locale="nl-BE")
    page = context.new_page()
    page.goto(console_platform.url() + "/sign-in")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    dutch, french = translations("nl").gettext, translations("fr").gettext
    assert dutch("Sign in to pactum") != "Sign in to pactum"
    expect(page.get_by_role("heading", level=1)).to_have_text(dutch("Sign in to pactum"))
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(french("Sign in to pactum"))
    page.goto(console_platform.url() + "/help")  # the choice holds on the next page
    expect(page.get_by_role("heading", level=1)).to_have_text(french("Help and accessibility"))
    expect(page.get_by_text(french("Times are shown in Brussels time."))).to_be_visible()
    check_accessibility(page)
    context.close()


def test_a_new_address_is_confirmed_from_the_link_mailed_to_it_and_the_old_one_is_told__TOM_T2b(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    organisation = console_platform.new_organisation("Gemeente Verhuisdorp")
    lies = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("lies"))
    console_platform.invite_first_admin(organisation, lies.email)
    lies.accept_invitation(enrol=False)
    former, new = lies.email, unique_email("lies-new")
    told = len(console_platform.mails_to(former))
    # She asks for the change on her account page, just signed in (a recent sign-in).
    account = lies.open("/account")
    account.get_by_label("New e-mail address").fill("not an address")
    account.get_by_role("button", name="Send a confirmation link").click()
    problem = "Enter the new e-mail address, like jan@example.be."
    expect(account.locator("#new_email-error")).to_contain_text(problem)  # at the field
    expect(account.get_by_role("link", name=problem)).to_be_visible()  # and in the summary
    account.get_by_label("New e-mail address").fill(new)
    account.get_by_role("button", name="Send a confirmation link").click()
    sent = "A confirmation link is on its way to the new address."
    expect(account.get_by_text(sent)).to_be_visible()
    check_accessibility(account)
    link = console_platform.link_in_mail(new, purpose="email")

    # A stranger with a made-up code gets the generic answer; nothing changes.
    stranger = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("x"))
    wrong = stranger.open(link.split("#", 1)[0] + "#token=" + "x" * 43)
    expect(wrong.get_by_role("alert")).to_contain_text("This link is invalid, used or expired")
    check_accessibility(wrong)
    stranger.context.close()

    page = lies.open(link)  # where she is signed in: her account page says so
    expect(page.get_by_text("Your new e-mail address is confirmed.")).to_be_visible()
    assert "token" not in page.url
    expect(page.get_by_text(new).first).to_be_visible()
    check_accessibility(page)
    lies.sign_out()
    lies.email = new
    lies.sign_in()
    expect(lies.open("/account").get_by_text(new).first).to_be_visible()
    # The address it replaced hears of the change (the organisation's language: nl by default).
    subjects = [
        "U meldt zich voortaan aan met een ander e-mailadres",
        "Vous vous connectez désormais avec une autre adresse e-mail",
        "You now sign in with another e-mail address",
    ]
    mail = console_platform.wait_for_mail(former, after=told, within=60)
    while str(mail["Subject"]) not in subjects:
        told += 1
        mail = console_platform.wait_for_mail(former, after=told, within=60)
    lies.context.close()
