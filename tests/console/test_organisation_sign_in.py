"""Signing in through the organisation's own identity provider, in Chromium (issue 13.4,
TOM-T2b): the admin connects it on the organisation's settings page, a colleague who has no
account yet signs in at the provider (a real OpenID Provider, panva's oidc-provider) and comes
back signed in; a stranger who brings a code of their own is signed in nowhere."""

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, unique_email
from tests.support.openid_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    OpenIdProvider,
    running,
)

pytestmark = pytest.mark.timeout(240)

OVERVIEW = "What needs you now"
EID_HIGH = "urn:be:fedict:iam:fas:Level500"


@pytest.fixture(scope="module")
def provider(console_platform: ConsolePlatform) -> Iterator[OpenIdProvider]:
    with running(console_platform.federation_callback) as started:
        yield started


def test_staff_sign_in_through_their_organisations_provider__TOM_T2b(
    console_platform: ConsolePlatform,
    browser: Browser,
    provider: OpenIdProvider,
    screenshots: Path,
) -> None:
    organisation = console_platform.new_organisation("Gemeente Eigenaanmelding")
    domain = f"gemeente-{uuid.uuid4().hex[:8]}.test"
    an = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("an"))
    console_platform.invite_first_admin(organisation, an.email)
    expect(an.accept_invitation().get_by_role("heading", name="My account")).to_be_visible()

    # The admin connects the municipality's provider on the organisation's settings.
    page = an.open("/organisation/identity-provider")
    expect(page.get_by_text("No identity provider is connected")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Provider address (issuer)").fill(provider.issuer)
    page.get_by_label("Client id").fill(CLIENT_ID)
    page.get_by_label("Client secret").fill(CLIENT_SECRET)
    page.get_by_label("E-mail domains of your people").fill("not a domain")
    page.get_by_role("button", name="Connect", exact=True).click()
    # A mistake is shown next to its field, and nothing is connected.
    expect(page.get_by_text("is not an e-mail domain").first).to_be_visible()
    expect(page.get_by_text("No identity provider is connected")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Client secret").fill(CLIENT_SECRET)
    page.get_by_label("E-mail domains of your people").fill(domain)
    page.get_by_label("Create an account for someone the provider vouches for").check()
    page.get_by_label("acr values that count as a second step (optional)").fill(EID_HIGH)
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.get_by_text("Your organisation's sign-in is connected.")).to_be_visible()
    expect(page.get_by_text(CLIENT_SECRET)).to_have_count(0)
    check_accessibility(page)
    shot(page, screenshots, "organisation-sign-in-connected")

    # A colleague without an account signs in with eID at the provider, just in time.
    colleague = f"pieter@{domain}"
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(f"{console_platform.url()}/sign-in")
    check_accessibility(page)
    page.get_by_label("Work e-mail").fill(colleague)
    page.get_by_role("button", name="Use your organisation's sign-in").click()
    expect(page.get_by_role("heading", name="Sign in with your organisation")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("link", name="Continue to your organisation's sign-in").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("E-mail address").fill(colleague)
    page.get_by_label("acr").fill(EID_HIGH)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=OVERVIEW)).to_be_visible()
    shot(page, screenshots, "organisation-sign-in-signed-in")
    page.goto(f"{console_platform.url()}/account")
    expect(page.get_by_text(colleague).first).to_be_visible()
    context.close()

    # A stranger who brings a code and a state of their own is signed in nowhere.
    stranger = browser.new_context(locale="en-GB")
    page = stranger.new_page()
    page.goto(
        f"{console_platform.federation_callback}?state=stolen-state-0000000000&code=stolen-code"
    )
    expect(page.get_by_text("Sign-in with your organisation failed.").first).to_be_visible()
    page.goto(f"{console_platform.url()}/organisation/identity-provider")
    expect(page.get_by_role("heading", name="Sign in to pactum")).to_be_visible()
    expect(page.get_by_text(provider.issuer)).to_have_count(0)
    stranger.close()


def test_bad_input_to_the_organisation_sign_in_gets_a_page_and_no_sign_in(
    console_platform: ConsolePlatform,
) -> None:
    """No address, an address no organisation answers for, a callback this browser did not
    start: each a page that says what went wrong, no state kept, nobody signed in."""
    with httpx.Client(
        base_url=console_platform.url(), trust_env=False, headers={"accept-language": "en"}
    ) as http:
        page = http.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
        assert token is not None
        for address, says in (
            ("not an address", "Enter your work e-mail address"),
            (f"someone@{uuid.uuid4().hex[:8]}.test", "Sign-in with your organisation failed."),
            ("x" * 5000, "Enter your work e-mail address"),
        ):
            answer = http.post(
                "/sign-in/organisation",
                data={"organisation_email": address, "csrf_token": token.group(1)},
            )
            assert answer.status_code in (400, 422), (address, answer.status_code)
            if answer.status_code == 400:
                assert says in answer.text
            assert "pactum_federation" not in answer.headers.get("set-cookie", "")
        answer = http.get("/sign-in/organisation/callback", params={"state": "s" * 30, "code": "c"})
        assert answer.status_code == 400
        assert "Sign-in with your organisation failed." in answer.text
        assert {cookie.name for cookie in http.cookies.jar} == {"pactum_csrf"}
