"""The operator's pages, in Chromium: an operator admin creates an organisation, invites its first
admin (who gets the mail and accepts it), renames, disables and enables it, and reads the
platform's health; an admin of a customer organisation gets the 404 page on all of them."""

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from starlette.requests import Request

from services.console.apis import ApiRefused, ServiceUnavailable
from services.console.operator import health
from services.console.render import render
from services.console.sessions import Person as SignedInPerson
from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, unique_email

pytestmark = pytest.mark.timeout(300)


def operator_admin(platform: ConsolePlatform, browser: Browser) -> Person:
    """Marc: the first admin of a fresh operator organisation, with an authenticator app."""
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


def expect_not_found(page: Page, path: str, platform: ConsolePlatform) -> None:
    answer = page.goto(platform.url() + path)
    assert answer is not None and answer.status == 404, path
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_an_operator_admin_creates_an_organisation_invites_its_first_admin_renames_and_disables_it(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    marc = operator_admin(console_platform, browser)
    page = marc.open("/operator/organisations")
    expect(page.get_by_role("heading", name="Organisations", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Platform")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Organisations")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="UTOPIA", exact=False).first).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "operator-organisations")

    # Pages of two, by name: the cursor carries on where the page ended.
    page = marc.open("/operator/organisations?size=2")
    table = page.get_by_role("table")
    first_names = table.get_by_role("rowheader").all_inner_texts()
    assert len(first_names) == 2
    page.get_by_role("link", name="Next page").click()
    next_names = table.get_by_role("rowheader").all_inner_texts()
    assert next_names and not set(next_names) & set(first_names)
    expect(page.get_by_role("link", name="First page")).to_be_visible()
    # An edited or stale cursor starts again from the first page, not a crash.
    page = marc.open("/operator/organisations?cursor=not-a-cursor")
    expect(page.get_by_role("heading", name="Organisations", exact=True)).to_be_visible()

    # Create: the form says what is missing, then the organisation exists.
    page.get_by_role("link", name="Create an organisation").click()
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the organisation's name.")
    expect(page.get_by_role("alert")).to_contain_text("controller or a processor")
    check_accessibility(page)
    name = f"Gemeente Nieuwdorp {uuid.uuid4().hex[:6]}"
    page.get_by_label("Name").fill(name)
    page.get_by_label("Controller").check()
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_text("The organisation is created.")).to_be_visible()
    organisation_url = page.url.split("?")[0]
    organisation_path = organisation_url.removeprefix(console_platform.url())
    check_accessibility(page)

    # Its first admin gets the invitation by mail (never on this page) and accepts it.
    nora = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("nora"))
    page.get_by_label("E-mail address").fill("not an address")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an e-mail address like")
    page.get_by_label("E-mail address").fill(nora.email)
    page.get_by_label("Name (optional)").fill("Nora Peeters")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("The invitation is on its way by e-mail.")).to_be_visible()
    assert "#token=" not in page.content()
    # A new organisation asks its admins for a second factor: she sets one up before she is in.
    nora_page = nora.accept_invitation(enrol=False)
    expect(nora_page.get_by_role("heading", level=1)).to_have_text("Set up your second step")
    nora.set_up_authenticator(nora_page)
    expect(nora_page).to_have_url(f"{console_platform.url()}/account")
    expect(nora_page.get_by_text(name, exact=True)).to_be_visible()
    # The same address twice: a clear error, nothing sent.
    page.get_by_label("E-mail address").fill(nora.email)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("This address already has an account.")

    # Rename.
    page.get_by_label("Name", exact=True).fill("   ")
    page.get_by_role("button", name="Save the name").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the organisation's name.")
    renamed = f"Stad Nieuwdorp {uuid.uuid4().hex[:6]}"
    page.get_by_label("Name", exact=True).fill(renamed)
    page.get_by_role("button", name="Save the name").click()
    expect(page.get_by_text("The new name is saved.")).to_be_visible()
    expect(page.get_by_role("heading", name=renamed)).to_be_visible()

    # Disable, after a page that says what it does; Nora is signed out.
    page.get_by_role("link", name="Disable this organisation").click()
    expect(page.get_by_role("heading", name=f"Disable {renamed}?")).to_be_visible()
    expect(page.get_by_text("signed out at once")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Yes, disable this organisation").click()
    expect(page.get_by_text("The organisation is disabled.")).to_be_visible()
    expect(page.get_by_text("disabled", exact=True).first).to_be_visible()
    nora_page = nora.open("/account")
    expect(nora_page.get_by_role("heading", name="Sign in to pactum")).to_be_visible()
    nora.context.close()

    # Enable again.
    page.get_by_role("button", name="Enable this organisation again").click()
    expect(page.get_by_text("The organisation is enabled again.")).to_be_visible()
    expect(page.get_by_role("link", name="Disable this organisation")).to_be_visible()

    # The platform's health: all four services, read in parallel.
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Platform").click()
    page.get_by_role("link", name="Health").click()
    expect(page.get_by_role("heading", name="Health", exact=True)).to_be_visible()
    for service in ("Identity", "Agreements", "Audit log", "Notifier"):
        expect(page.get_by_role("heading", name=re.compile(f"^{service}"), level=3)).to_be_visible()
    expect(page.locator(".tag-good", has_text="ready")).to_have_count(4)
    expect(page.get_by_text("Newest signed checkpoint")).to_be_visible()
    expect(page.get_by_role("table", name="Consumer lag per durable").first).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "operator-health")

    # A customer's admin: the 404 page on every operator page, and nothing changes.
    customer = console_platform.new_organisation("Gemeente Klantdorp")
    sofie = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("sofie"))
    console_platform.invite_first_admin(customer, sofie.email)
    spage = sofie.accept_invitation(enrol=False)
    expect(spage.get_by_role("link", name="Platform")).to_have_count(0)
    for path in (
        "/operator/organisations",
        "/operator/organisations/new",
        organisation_path,
        f"{organisation_path}/disable",
        "/operator/health",
    ):
        expect_not_found(spage, path, console_platform)
    check_accessibility(spage)
    token = spage.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    for path in (f"{organisation_path}/disable", "/operator/organisations/new"):
        answer = spage.request.post(
            console_platform.url() + path, form={"csrf_token": token, "name": "Mine now"}
        )
        assert answer.status == 404, path
    sofie.context.close()
    page = marc.open(organisation_path)
    expect(page.get_by_role("heading", name=renamed)).to_be_visible()
    expect(page.get_by_role("link", name="Disable this organisation")).to_be_visible()
    marc.context.close()


def test_the_health_page_shows_a_service_that_does_not_answer_as_unreachable_not_a_crash() -> None:
    """Without the platform: audit down, agreements refusing; the page still renders."""

    class Apis:
        async def json(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
            if service == "audit":
                raise ServiceUnavailable(service, "ConnectError")
            if service == "agreements":
                raise ApiRefused(403, "Not allowed")
            return {
                "service": service,
                "ready": {"database": True, "nats": service != "notifier"},
                "outbox": {"pending": 3, "oldest_age_seconds": 120.0},
                "consumers": {service: {"pending": 5, "ack_pending": 1, "redelivered": 0}},
            }

    app = SimpleNamespace(state=SimpleNamespace(apis=Apis()))
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/operator/health",
            "headers": [],
            "query_string": b"",
            "app": app,
        }
    )
    request.state.language = "en"
    request.state.csrf_token = "token"
    marc = SignedInPerson(
        key="k",
        user_id="u",
        email="marc@pactum.example",
        display_name="Marc",
        organisation_id="o",
        organisation_name="pactum",
        organisation_kind="operator",
        roles=frozenset({"admin"}),
        language="en",
        identity_session_id="s",
        access_token="t",
    )
    request.state.person = marc

    async def statuses() -> list[dict[str, Any]]:
        return [await health._status(request, marc, s) for s in health.SERVICES]

    # In a thread of its own: Playwright's sync API may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        found = pool.submit(asyncio.run, statuses()).result()
    states = {status["service"]: status["state"] for status in found}
    assert states == {
        "identity": "ready",
        "agreements": "refused",
        "audit": "unreachable",
        "notifier": "not_ready",
    }
    assert "outbox_old" in found[0]["warnings"]
    page = render(
        request,
        "operator/platform_health.html",
        {"statuses": found, "checked_at": datetime.now(UTC)},
    )
    html = bytes(page.body).decode()
    assert page.status_code == 200
    assert "unreachable" in html and "HTTP 403" in html and "not ready" in html


def test_agreements_past_their_return_or_destruction_deadline_need_attention__DPA_13() -> None:
    answer = {
        "ready": {"database": True, "nats": True},
        "outbox": {"pending": 0, "oldest_age_seconds": 0.0},
        "consumers": {},
        "closures": {"overdue": 2},
    }
    now = datetime.now(UTC)
    found = health.judged("agreements", answer, now=now)
    assert ("closure_overdue" in found["warnings"], found["closures_overdue"]) == (True, 2)
    calm = health.judged("agreements", answer | {"closures": {"overdue": 0}}, now=now)
    assert ("closure_overdue" in calm["warnings"], calm["closures_overdue"]) == (False, 0)
    assert (
        health.judged("identity", answer | {"closures": None}, now=now)["closures_overdue"] is None
    )
