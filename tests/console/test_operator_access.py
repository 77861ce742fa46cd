"""Supplier access from both sides, in Chromium (TOM-O3, TOM-T3c, issue 13 item 1).

An operator admin asks a customer for read access on ``/operator/access``; the customer's admin
approves it on ``/organisation/access``; the operator sees it approved with the time left. The
operator sends a maintenance notice (after a check page), and one in the past is refused with
identity's reason on the form. The customer objects to the notice with a reason, and both sides
show it as objected. A customer's admin gets the 404 page on the operator's page.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from services.console.language import BRUSSELS, brussels_moment
from services.console.operator.access import grant_state
from services.identity.settings import IdentitySettings
from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, unique_email

pytestmark = pytest.mark.timeout(300)


def operator_admin(platform: ConsolePlatform, browser: Browser) -> Person:
    """Marc: the first admin of a fresh operator organisation, with an authenticator app (the
    operator's rules may require it at sign-in)."""
    operator = platform.new_organisation(f"pactum operations {uuid.uuid4().hex[:6]}", "operator")
    marc = Person(platform, browser.new_context(locale="en-GB"), unique_email("marc"))
    platform.invite_first_admin(operator, marc.email)
    page = marc.accept_invitation(enrol=False)
    heading = page.get_by_role("heading", name=re.compile("^(Set up your second step|My account)$"))
    expect(heading).to_be_visible()
    if heading.inner_text() == "My account":
        page.get_by_role("button", name="Set up a second step").click()
    marc.set_up_authenticator(page)
    return marc


def customer_admin(platform: ConsolePlatform, browser: Browser) -> tuple[Person, str]:
    """Sofie: the first admin of a fresh controller organisation; returns her and its name."""
    name = f"Gemeente Onderhoud {uuid.uuid4().hex[:6]}"
    organisation = platform.new_organisation(name)
    sofie = Person(platform, browser.new_context(locale="en-GB"), unique_email("sofie"))
    platform.invite_first_admin(organisation, sofie.email)
    page = sofie.accept_invitation(enrol=False)
    expect(page).to_have_url(f"{platform.url()}/account")
    return sofie, name


def notice_lead_hours(platform: ConsolePlatform) -> float:
    """The customer's notice period identity runs with (its setting, or its default)."""
    environment = platform.environment
    configured = environment.get(
        "PACTUM_IDENTITY_MAINTENANCE_NOTICE_LEAD_HOURS"
    ) or environment.get("PACTUM_MAINTENANCE_NOTICE_LEAD_HOURS")
    if configured:
        return float(configured)
    default = IdentitySettings.model_fields["maintenance_notice_lead_hours"].default
    return float(default)


def local(moment: datetime) -> str:
    """A moment as a ``datetime-local`` field takes it: Brussels wall-clock time."""
    return moment.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M")


def expect_done(page: Page, text: str) -> None:
    expect(page.get_by_role("status")).to_contain_text(text)


def fill_notice(page: Page, customer: str, starts: datetime, ends: datetime, reason: str) -> None:
    form = page.get_by_role("region", name="Send a maintenance notice")
    form.get_by_label("Customer").select_option(label=customer)
    form.get_by_label("Window starts (Brussels time)").fill(local(starts))
    form.get_by_label("Window ends (Brussels time)").fill(local(ends))
    form.get_by_label("What the work is").fill(reason)
    form.get_by_role("button", name="Check the notice").click()


def test_an_operator_asks_access_the_customer_approves_a_notice_is_sent_and_objected_to__TOM_O3_TOM_T3c(  # noqa: E501
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    marc = operator_admin(console_platform, browser)
    sofie, customer = customer_admin(console_platform, browser)

    # The operator's page: reached from the platform's tabs.
    page = marc.open("/operator/organisations")
    page.get_by_role("navigation", name="Platform").get_by_role(
        "link", name="Supplier access"
    ).click()
    expect(page).to_have_url(f"{console_platform.url()}/operator/access")
    expect(page.get_by_role("heading", name="Supplier access", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Supplier access")).to_have_attribute(
        "aria-current", "page"
    )
    expect(
        page.get_by_text("Your organisation has not asked any customer for access.")
    ).to_be_visible()
    check_accessibility(page)

    # An empty request: the form says what is missing.
    ask = page.get_by_role("region", name="Ask a customer for access")
    ask.get_by_role("button", name="Send the request").click()
    alert = page.get_by_role("alert")
    for message in (
        "Choose the customer.",
        "Give the reason in at least 10 characters.",
        "Choose what you need to do.",
        "Choose for how long.",
    ):
        expect(alert).to_contain_text(message)
    check_accessibility(page)

    # Read access for two hours, explained before it is asked.
    ask = page.get_by_role("region", name="Ask a customer for access")
    ask.get_by_label("Customer").select_option(label=customer)
    ask.get_by_label("Why you need access").fill("Ticket 5120: the annex of your agreement fails.")
    expect(ask.get_by_text("as an auditor would, and change nothing")).to_be_visible()
    ask.get_by_label("Read only").check()
    ask.get_by_label("For how long").select_option(label="2 hours")
    ask.get_by_role("button", name="Send the request").click()
    expect_done(page, "The request is sent.")
    requests = page.get_by_role("region", name="Requests for access")
    row = requests.get_by_role("row", name=re.compile("Ticket 5120"))
    expect(row).to_contain_text(customer)
    expect(row).to_contain_text("read only, 2 hours")
    expect(row).to_contain_text("waiting for the customer's decision")
    grant_row_id = row.get_attribute("id") or ""
    assert re.fullmatch(r"grant-[0-9a-f-]{36}", grant_row_id), grant_row_id
    assert page.url.endswith(f"#{grant_row_id}")

    # The customer's admin approves it on her own page.
    spage = sofie.open("/organisation/access")
    waiting = spage.get_by_role("region", name="Requests waiting for a decision")
    request = waiting.get_by_role("article").filter(has_text="Ticket 5120")
    expect(request).to_contain_text("Read only")
    request.get_by_role("link", name="Approve…").click()
    spage.get_by_role("button", name="Yes, approve this access").click()
    expect_done(spage, "Access is approved.")

    # The operator sees it approved, with the time left; the mailed /grants link lands on it.
    page = marc.open(f"/grants/{grant_row_id.removeprefix('grant-')}")
    expect(page).to_have_url(f"{console_platform.url()}/operator/access#{grant_row_id}")
    row = page.locator(f"#{grant_row_id}")
    expect(row).to_contain_text("approved")
    expect(row).to_contain_text("left")
    expect(row).to_contain_text("(Brussels time)")

    # A notice in the past: identity refuses it, and its reason is on the form.
    yesterday = datetime.now(UTC) - timedelta(days=1)
    fill_notice(
        page, customer, yesterday, yesterday + timedelta(hours=2), "Retroactive maintenance."
    )
    expect(page.get_by_role("heading", name="Send this maintenance notice?")).to_be_visible()
    page.get_by_role("button", name="Yes, send the notice").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The platform refused this notice")
    expect(alert).to_contain_text("must not be in the past")
    send = page.get_by_role("region", name="Send a maintenance notice")
    expect(send.get_by_label("What the work is")).to_have_value("Retroactive maintenance.")
    expect(send.get_by_label("Customer")).to_have_value(re.compile("[0-9a-f-]{36}"))
    check_accessibility(page)

    # A window at least the customer's notice period ahead, three hours long: checked, then sent.
    lead = timedelta(hours=notice_lead_hours(console_platform))
    starts = (datetime.now(UTC) + lead + timedelta(hours=2)).replace(second=0, microsecond=0)
    reason = "Upgrade of the database servers to version 17."
    fill_notice(page, customer, starts, starts + timedelta(hours=3), reason)
    expect(page.get_by_role("heading", name="Send this maintenance notice?")).to_be_visible()
    expect(page.get_by_text(reason)).to_be_visible()
    expect(page.get_by_text("cannot be withdrawn")).to_be_visible()
    check_accessibility(page)
    # "No, change it" goes back to the form as filled.
    page.get_by_role("button", name="No, change it").click()
    send = page.get_by_role("region", name="Send a maintenance notice")
    expect(send.get_by_label("What the work is")).to_have_value(reason)
    send.get_by_role("button", name="Check the notice").click()
    page.get_by_role("button", name="Yes, send the notice").click()
    expect_done(page, "The maintenance notice is sent.")
    notices = page.get_by_role("region", name="Maintenance notices sent")
    notice_row = notices.get_by_role("row", name=re.compile("Upgrade of the database servers"))
    expect(notice_row).to_contain_text(customer)
    expect(notice_row).to_contain_text("no objection")
    expect(notice_row).to_contain_text("(Brussels time)")
    expect(notices.get_by_role("row", name=re.compile("Retroactive"))).to_have_count(0)

    # The customer objects, after a page that says what an objection does; a reason is needed.
    spage = sofie.open("/organisation/access")
    received = spage.get_by_role("region", name="Maintenance notices")
    received.get_by_role("row", name=re.compile("Upgrade of the database servers")).get_by_role(
        "link", name="Object to this notice…"
    ).click()
    expect(spage.get_by_role("heading", name="Object to this maintenance notice?")).to_be_visible()
    expect(spage.get_by_text("cannot be taken back")).to_be_visible()
    check_accessibility(spage)
    spage.get_by_role("button", name="Yes, object to this notice").click()
    expect(spage.get_by_role("alert")).to_contain_text("Give the reason in at least 10 characters.")
    check_accessibility(spage)
    objection = "Our year-end closing runs that night; choose another date."
    spage.get_by_label("Reason for your objection").fill(objection)
    spage.get_by_role("button", name="Yes, object to this notice").click()
    expect_done(spage, "Your objection is recorded")
    received = spage.get_by_role("region", name="Maintenance notices")
    objected = received.get_by_role("row", name=re.compile("Upgrade of the database servers"))
    expect(objected).to_contain_text("objected")
    expect(objected).to_contain_text(objection)
    expect(objected.get_by_role("link", name="Object to this notice…")).to_have_count(0)
    check_accessibility(spage)

    # ... and the operator sees the objection and its reason.
    page = marc.open("/operator/access")
    notice_row = page.get_by_role("region", name="Maintenance notices sent").get_by_role(
        "row", name=re.compile("Upgrade of the database servers")
    )
    expect(notice_row).to_contain_text("objected")
    expect(notice_row).to_contain_text(objection)
    check_accessibility(page)
    shot(page, screenshots, "operator-access")

    # A customer's admin: the operator's page does not exist for her, nor its forms.
    answer = spage.goto(console_platform.url() + "/operator/access")
    assert answer is not None and answer.status == 404
    expect(spage.get_by_role("heading", name="Page not found")).to_be_visible()
    check_accessibility(spage)
    token = spage.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    for path in (
        "/operator/access/grants",
        "/operator/access/notices/check",
        "/operator/access/notices",
    ):
        posted = spage.request.post(console_platform.url() + path, form={"csrf_token": token})
        assert posted.status == 404, path
    sofie.context.close()
    marc.context.close()


def test_a_window_typed_in_brussels_time_goes_to_identity_in_utc_in_winter_and_summer() -> None:
    assert brussels_moment("2026-12-07T10:00") == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert brussels_moment("2027-07-01T10:00") == datetime(2027, 7, 1, 8, 0, tzinfo=UTC)
    assert brussels_moment("tomorrow at ten") is None
    assert brussels_moment("") is None


def test_the_operator_reads_each_request_as_waiting_approved_refused_or_ended() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    later, earlier = (now + timedelta(hours=1)).isoformat(), (now - timedelta(hours=1)).isoformat()
    assert grant_state({"status": "requested"}, now) == "waiting"
    assert grant_state({"status": "approved", "expires_at": later}, now) == "approved"
    # Past its end but not yet swept by identity: ended, never "approved".
    assert grant_state({"status": "approved", "expires_at": earlier}, now) == "ended"
    assert grant_state({"status": "denied"}, now) == "refused"
    assert grant_state({"status": "revoked"}, now) == "ended_early"
    assert grant_state({"status": "expired"}, now) == "ended"
