"""The organisation's admin pages, end to end in Chromium: people, sign-in rules, supplier access.

The admin under test uses only the browser. The other party of supplier access (the platform
operator asking for it) acts over identity's public API, signed in through ``/login``.
"""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from services.identity.totp import code_at, current_step
from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, text_of, unique_email

pytestmark = pytest.mark.timeout(300)


def new_admin(platform: ConsolePlatform, browser: Browser, name: str) -> tuple[Person, str]:
    """A fresh organisation whose first admin accepted the mailed invitation (signed in)."""
    organisation = platform.new_organisation(f"{name} {uuid.uuid4().hex[:6]}")
    admin = Person(platform, browser.new_context(locale="en-GB"), unique_email("admin"))
    platform.invite_first_admin(organisation, admin.email)
    page = admin.accept_invitation(enrol=False)
    expect(page).to_have_url(f"{platform.url()}/account")
    return admin, organisation


def expect_not_found(page: Page) -> None:
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def expect_done(page: Page, text: str) -> None:
    """The banner that says what was just done."""
    expect(page.get_by_role("status")).to_contain_text(text)


def csrf_of(page: Page) -> str:
    value = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert value
    return value


def user_id_in(page: Page, name: str) -> str:
    href = page.get_by_role("link", name=name, exact=True).get_attribute("href")
    assert href and href.startswith("/organisation/users/")
    return href.rsplit("/", 1)[1]


# -- people -----------------------------------------------------------------------------------


def test_an_admin_invites_a_colleague_who_secures_her_account_and_runs_it__TOM_T2a_TOM_T2e(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    sofie, _ = new_admin(console_platform, browser, "Gemeente Utopia")
    page = sofie.open("/organisation/users")
    expect(page.get_by_role("heading", name="People of Gemeente Utopia")).to_be_visible()
    expect(page.get_by_role("link", name="People")).to_have_attribute("aria-current", "page")
    check_accessibility(page)

    # A mistyped address is shown on its field; nobody is invited.
    page.get_by_label("E-mail address").fill("jan.peeters@utopia")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an e-mail address like")
    check_accessibility(page)

    jan = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("jan"))
    page.get_by_label("E-mail address").fill(jan.email)
    page.get_by_label("Name", exact=True).fill("Jan Peeters")
    expect(page.get_by_text("Reads everything, including the audit log")).to_be_visible()
    page.get_by_label("Member", exact=True).check()
    page.get_by_role("button", name="Send the invitation").click()
    expect_done(page, "The invitation is on its way by e-mail.")
    row = page.get_by_role("row", name="Jan Peeters")
    expect(row).to_contain_text("invited, not yet accepted")
    expect(row).to_contain_text("member")
    shot(page, screenshots, "organisation-users")

    # Jan accepts from the mail, sets up his authenticator app and signs in with it.
    page_jan = jan.accept_invitation(enrol=False)
    page_jan.get_by_role("button", name="Set up a second step").click()
    jan.set_up_authenticator(page_jan)
    jan.sign_out()
    page_jan = jan.sign_in()
    expect(page_jan.get_by_role("heading", name="What needs you now")).to_be_visible()
    # A member has no organisation pages: they answer like missing ones.
    expect(page_jan.get_by_role("link", name="Organisation")).to_have_count(0)
    for path in ("/organisation/users", "/organisation/policy", "/organisation/access"):
        jan.open(path)
        expect_not_found(page_jan)

    page = sofie.open("/organisation/users")
    row = page.get_by_role("row", name="Jan Peeters")
    expect(row).to_contain_text("active")
    expect(row.get_by_text("On", exact=True)).to_be_visible()
    page.get_by_role("link", name="Jan Peeters").click()
    expect(page.get_by_role("heading", name="Jan Peeters", exact=True)).to_be_visible()
    check_accessibility(page)

    page.get_by_label("Auditor (read only)").check()
    page.get_by_role("button", name="Change the role").click()
    expect_done(page, "The role is changed.")
    expect(page.locator(".summary")).to_contain_text("auditor (read only)")

    page.get_by_role("button", name="Disable the account").click()
    expect_done(page, "The account is disabled.")
    # Jan is signed out at once, everywhere.
    jan.open("/account")
    expect(page_jan.get_by_role("heading", name="Sign in to pactum")).to_be_visible()
    page.get_by_role("button", name="Enable the account again").click()
    expect_done(page, "The account is enabled again.")
    expect(page.locator(".summary")).to_contain_text("active")

    # A lost phone: the second step is reset after a confirm step.
    page.get_by_role("link", name="Reset the second step").click()
    expect(
        page.get_by_role("heading", name="Reset the second step of Jan Peeters?")
    ).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Yes, reset the second step").click()
    expect_done(page, "The second step is reset.")
    expect(page.locator(".summary")).to_contain_text("Off: only a password")

    mails = len(console_platform.mails_to(jan.email))
    page.get_by_role("button", name="Send a password reset link").click()
    expect_done(page, "A link to choose a new password is on its way")
    console_platform.link_in_mail(jan.email, purpose="reset", after=mails)

    # Her own account: no way to demote, disable or remove herself, and she is told why.
    page = sofie.open("/organisation/users")
    page.get_by_role("row", name="you").get_by_role("link").click()
    expect(page.get_by_text("You cannot change your own role.")).to_be_visible()
    expect(page.get_by_text("You cannot disable or remove your own account.")).to_be_visible()
    expect(page.get_by_role("button", name="Disable the account")).to_have_count(0)
    own = page.url.rsplit("/", 1)[1]
    page.request.post(
        f"{console_platform.url()}/organisation/users/{own}/role",
        form={"csrf_token": csrf_of(page), "role": "member"},
        headers={"origin": console_platform.url()},
    )
    page = sofie.open(f"/organisation/users/{own}/remove")
    expect(page.get_by_role("alert")).to_contain_text("You cannot do this to your own account")
    expect(page.locator(".summary")).to_contain_text("administrator")

    # Someone invited by mistake: the invitation again, then removed after a confirm step.
    page = sofie.open("/organisation/users")
    page.get_by_label("E-mail address").fill(unique_email("tijdelijk"))
    page.get_by_label("Name", exact=True).fill("Tijdelijke Kracht")
    page.get_by_role("button", name="Send the invitation").click()
    page.get_by_role("link", name="Tijdelijke Kracht").click()
    page.get_by_role("button", name="Send the invitation again").click()
    expect_done(page, "A new invitation is on its way")
    page.get_by_role("link", name="Remove Tijdelijke Kracht").click()
    expect(page.get_by_role("heading", name="Remove Tijdelijke Kracht?")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Yes, remove Tijdelijke Kracht").click()
    expect_done(page, "The person is removed.")
    expect(page.get_by_role("link", name="Tijdelijke Kracht")).to_have_count(0)
    sofie.context.close()
    jan.context.close()


# -- sign-in rules ----------------------------------------------------------------------------


def test_an_admin_sets_the_sign_in_rules_and_a_new_colleague_must_use_a_second_step__TOM_T2b_TOM_T2c_TOM_T5(  # noqa: E501
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    sofie, _ = new_admin(console_platform, browser, "Gemeente Regels")
    page = sofie.open("/organisation/policy")
    rules = page.get_by_role("region", name="The rules now")
    expect(rules).to_contain_text("at least 12 characters")
    expect(rules).to_contain_text("Nobody has to use a second step")
    expect(rules).to_contain_text("A sign-in ends after 30 minutes without use.")
    check_accessibility(page)

    # Mistakes are shown on their fields and nothing changes.
    page.get_by_label("Minimum length, in characters").fill("6")
    page.get_by_label("How long each lock lasts, in minutes").fill("15, 5")
    page.get_by_label("Locks in a row after which").fill("many")
    page.get_by_label("Minutes without use after which a sign-in ends").fill("2")
    page.get_by_role("button", name="Save the rules").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter a minimum length from 8 to 64 characters.")
    expect(summary).to_contain_text("Each lock must last at least as long as the one before.")
    expect(summary).to_contain_text("Enter after how many locks in a row")
    expect(summary).to_contain_text("Enter after how many minutes without use a sign-in ends")
    expect(page.locator("#min_length")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)
    page = sofie.open("/organisation/policy")
    expect(page.get_by_label("Minimum length, in characters")).to_have_value("12")

    page.get_by_label("Minimum length, in characters").fill("14")
    page.get_by_label("Earlier passwords that may not be used again").fill("3")
    page.get_by_label("Everyone").check()
    page.get_by_label("Failed attempts in a row before the account locks").fill("4")
    page.get_by_label("How long each lock lasts, in minutes").fill("2, 10, 30")
    page.get_by_label("Locks in a row after which").fill("3")
    page.get_by_label("Minutes without use after which a sign-in ends").fill("15")
    page.get_by_role("button", name="Save the rules").click()
    expect_done(page, "The sign-in rules are saved.")
    rules = page.get_by_role("region", name="The rules now")
    expect(rules).to_contain_text("at least 14 characters")
    expect(rules).to_contain_text("any of the last 3 passwords")
    expect(rules).to_contain_text("Everyone must use a second step at sign-in.")
    expect(rules).to_contain_text("After 4 failed attempts in a row, the account locks.")
    expect(rules).to_contain_text("The first lock lasts 2 minutes; the next ones last longer")
    expect(rules).to_contain_text("After 3 locks in a row, the account stays locked")
    expect(rules).to_contain_text("A sign-in ends after 15 minutes without use.")
    check_accessibility(page)
    shot(page, screenshots, "organisation-policy")

    # The rule holds: a new colleague sets up a second step before getting in.
    page.get_by_role("link", name="People").click()
    lotte = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("lotte"))
    page.get_by_label("E-mail address").fill(lotte.email)
    page.get_by_role("button", name="Send the invitation").click()
    expect_done(page, "The invitation is on its way by e-mail.")
    page_lotte = lotte.accept_invitation(enrol=True)
    expect(page_lotte.get_by_role("heading", name="My account")).to_be_visible()
    page = sofie.open("/organisation/users")
    expect(page.get_by_role("row", name=lotte.email).get_by_text("On", exact=True)).to_be_visible()

    # Someone guesses Lotte's password four times: her account locks, and Sofie releases it.
    identity = console_platform.url("identity")
    with httpx.Client(trust_env=False, timeout=20.0) as http:
        for attempt in range(4):
            guess = {"email": lotte.email, "password": f"a wrong guess number {attempt}"}
            assert http.post(f"{identity}/login", json=guess).status_code == 401
        page = sofie.open("/organisation/users")
        expect(page.get_by_role("row", name=lotte.email)).to_contain_text("locked")
        page.get_by_role("link", name=lotte.email).click()
        expect(page.get_by_role("heading", name="This account is locked")).to_be_visible()
        check_accessibility(page)
        page.get_by_role("button", name="Unlock the account").click()
        expect_done(page, "The account is unlocked.")
        expect(page.get_by_role("heading", name="This account is locked")).to_have_count(0)
        real = {"email": lotte.email, "password": lotte.password}
        assert http.post(f"{identity}/login", json=real).json()["next"] == "second_factor"

    # In Dutch, the rules read as a Flemish civil servant would say them; fine on a phone too.
    page = sofie.open("/organisation/policy")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Aanmeldregels van Gemeente Regels")).to_be_visible()
    rules = page.get_by_role("region", name="De regels nu")
    expect(rules).to_contain_text("minstens 14 tekens")
    expect(rules).to_contain_text("Iedereen moet bij het aanmelden een tweede stap gebruiken.")
    page.set_viewport_size({"width": 360, "height": 800})
    for path in ("/organisation/policy", "/organisation/users", "/organisation/access"):
        page = sofie.open(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        check_accessibility(page)
    sofie.context.close()
    lotte.context.close()


# -- supplier access --------------------------------------------------------------------------


def operator_signed_in(platform: ConsolePlatform, http: httpx.Client) -> dict[str, str]:
    """A fresh operator organisation's admin, signed in over identity's API (the other party)."""
    organisation = platform.new_organisation(
        f"pactum operations {uuid.uuid4().hex[:6]}", "operator"
    )
    email = unique_email("marc")
    platform.invite_first_admin(organisation, email)
    token = platform.link_in_mail(email).split("#token=", 1)[1]
    password = "an operator's own long sentence 7"
    identity = platform.url("identity")
    accepted = http.post(
        f"{identity}/invitations/accept", json={"token": token, "password": password}
    )
    assert accepted.status_code < 300, accepted.text
    answer: dict[str, Any] = http.post(
        f"{identity}/login", json={"email": email, "password": password}
    ).json()
    if answer.get("next") == "enrol_second_factor":  # the operator's rules require a second step
        challenge = answer["challenge"]
        secret = http.post(f"{identity}/login/enrolment", json={"challenge": challenge}).json()
        answer = http.post(
            f"{identity}/login/enrolment",
            json={"challenge": challenge, "code": code_at(secret["secret"], current_step())},
        ).json()
    assert "access_token" in answer, answer
    return {"authorization": f"Bearer {answer['access_token']}"}


def test_an_admin_approves_an_operators_read_access_sees_it_in_force_and_ends_it__TOM_O3_TOM_T3c(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    sofie, customer = new_admin(console_platform, browser, "Gemeente Toegang")
    identity = console_platform.url("identity")
    with httpx.Client(trust_env=False, timeout=20.0) as http:
        operator = operator_signed_in(console_platform, http)
        starts = datetime.now(UTC) + timedelta(days=2)
        notice = http.post(
            f"{identity}/maintenance-notices",
            headers=operator,
            json={
                "organisation_id": customer,
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=3)).isoformat(),
                "reason": "Upgrade of the database servers to a new version.",
            },
        )
        assert notice.status_code == 201, notice.text
        asked = []
        for reason, minutes, access in (
            ("Ticket 4711: the annex of your agreement does not open.", 120, "read"),
            ("Ticket 4712: correct a wrongly imported contact.", 30, "change"),
        ):
            grant = http.post(
                f"{identity}/grants",
                headers=operator,
                json={
                    "organisation_id": customer,
                    "reason": reason,
                    "minutes": minutes,
                    "access": access,
                },
            )
            assert grant.status_code == 201, grant.text
            asked.append(grant.json()["id"])
        read_grant, change_grant = asked
        # Nothing before the customer's decision.
        assert http.post(f"{identity}/grants/{read_grant}/token", headers=operator).is_error

        page = sofie.open("/organisation/access")
        waiting = page.get_by_role("region", name="Requests waiting for a decision")
        request = waiting.get_by_role("article").filter(has_text="Ticket 4711")
        expect(request).to_contain_text("Read only")
        expect(request).to_contain_text("change nothing")
        expect(request).to_contain_text("2 hours from the moment you approve")
        other = waiting.get_by_role("article").filter(has_text="Ticket 4712")
        expect(other).to_contain_text("Read and change")
        expect(other).to_contain_text("30 minutes")
        notices = page.get_by_role("region", name="Maintenance notices")
        expect(notices).to_contain_text("Upgrade of the database servers")
        expect(notices).to_contain_text("(Brussels time)")
        check_accessibility(page)
        shot(page, screenshots, "organisation-access")

        request.get_by_role("link", name="Approve…").click()
        expect(page.get_by_role("heading", name="Approve supplier access?")).to_be_visible()
        check_accessibility(page)
        page.get_by_role("button", name="Yes, approve this access").click()
        expect_done(page, "Access is approved.")
        in_force = page.get_by_role("region", name="Access in force now")
        expect(in_force).to_contain_text("Ticket 4711")
        expect(in_force).to_contain_text("left")
        assert http.post(f"{identity}/grants/{read_grant}/token", headers=operator).is_success

        waiting = page.get_by_role("region", name="Requests waiting for a decision")
        waiting.get_by_role("article").filter(has_text="Ticket 4712").get_by_role(
            "button", name="Refuse"
        ).click()
        expect_done(page, "The request is refused.")
        assert http.post(f"{identity}/grants/{change_grant}/token", headers=operator).is_error

        page.get_by_role("region", name="Access in force now").get_by_role(
            "button", name="End now"
        ).click()
        expect_done(page, "The access is ended.")
        expect(page.get_by_text("Nobody of the platform operator has access")).to_be_visible()
        history = page.get_by_role("region", name="Earlier requests")
        expect(history.get_by_role("row", name="Ticket 4711")).to_contain_text("ended early")
        expect(history.get_by_role("row", name="Ticket 4712")).to_contain_text("refused")
        check_accessibility(page)
        assert http.post(f"{identity}/grants/{read_grant}/token", headers=operator).is_error
    sofie.context.close()


# -- strangers --------------------------------------------------------------------------------


def test_another_organisations_admin_sees_nothing_of_an_organisations_pages__TOM_T2a_TOM_O3(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    sofie, customer = new_admin(console_platform, browser, "Gemeente Eigen")
    page = sofie.open("/organisation/users")
    colleague = unique_email("collega")
    page.get_by_label("E-mail address").fill(colleague)
    page.get_by_label("Name", exact=True).fill("Collega Eigen")
    page.get_by_role("button", name="Send the invitation").click()
    colleague_id = user_id_in(page, "Collega Eigen")
    with httpx.Client(trust_env=False, timeout=20.0) as http:
        operator = operator_signed_in(console_platform, http)
        grant = http.post(
            f"{console_platform.url('identity')}/grants",
            headers=operator,
            json={
                "organisation_id": customer,
                "reason": "Ticket 9: a stranger test.",
                "minutes": 60,
            },
        ).json()["id"]

    stranger, _ = new_admin(console_platform, browser, "Gemeente Anders")
    for path in (
        f"/organisation/users/{colleague_id}",
        f"/organisation/users/{colleague_id}/remove",
        f"/organisation/users/{colleague_id}/second-step-reset",
        f"/organisation/access/{grant}/approve",
        "/organisation/users/not-an-id",
        "/organisation/access/not-an-id/approve",
    ):
        page = stranger.open(path)
        expect_not_found(page)
        expect(page.get_by_text("Collega Eigen")).to_have_count(0)
    check_accessibility(page)
    # Her own organisation pages show none of the other's people or requests.
    page = stranger.open("/organisation/users")
    expect(page.get_by_text("Collega Eigen")).to_have_count(0)
    page = stranger.open("/organisation/access")
    expect(page.get_by_text("Ticket 9")).to_have_count(0)
    # Nor can she act on them with a form of her own.
    token = csrf_of(page)
    for path in (
        f"/organisation/users/{colleague_id}/remove",
        f"/organisation/users/{colleague_id}/invitation",
        f"/organisation/access/{grant}/approve",
    ):
        answer = page.request.post(
            console_platform.url() + path,
            form={"csrf_token": token},
            headers={"origin": console_platform.url()},
        )
        assert answer.status == 404, (path, answer.status)
    page = sofie.open("/organisation/access")
    expect(page.get_by_role("region", name="Requests waiting for a decision")).to_contain_text(
        "Ticket 9"
    )
    page = sofie.open("/organisation/users")
    expect(page.get_by_role("row", name="Collega Eigen")).to_contain_text("invited")
    sofie.context.close()
    stranger.context.close()


def test_the_mailed_link_of_a_supplier_access_request_opens_the_decision_for_the_customer__TOM_O3(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    sofie, customer = new_admin(console_platform, browser, "Gemeente Maillink")
    identity = console_platform.url("identity")
    before = len(console_platform.mails_to(sofie.email))
    with httpx.Client(trust_env=False, timeout=20.0) as http:
        operator = operator_signed_in(console_platform, http)
        grant = http.post(
            f"{identity}/grants",
            headers=operator,
            json={
                "organisation_id": customer,
                "reason": "Restore the booking calendar after a failed import",
                "minutes": 60,
                "access": "read",
            },
        )
        assert grant.status_code == 201, grant.text
    grant_id = grant.json()["id"]
    message = console_platform.wait_for_mail(
        sofie.email, containing=f"/grants/{grant_id}", after=before
    )
    link = next(word for word in text_of(message).split() if f"/grants/{grant_id}" in word)
    page = sofie.open(link)
    expect(page).to_have_url(f"{console_platform.url()}/organisation/access#request-{grant_id}")
    expect(page.get_by_text("Restore the booking calendar after a failed import")).to_be_visible()

    stranger, _other = new_admin(console_platform, browser, "Gemeente Vreemd")
    expect_not_found(stranger.open(link))
    sofie.context.close()
    stranger.context.close()
