"""Who is told and webhooks, in Chromium: an admin chooses contacts and her own notices, adds a
webhook endpoint (the secret shown once), follows a delivery's attempts and replays it; an admin
of another organisation finds none of it."""

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from services.notifier import webhook_signatures
from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, unique_email
from tests.support.nats import free_port

pytestmark = pytest.mark.timeout(300)


@dataclass
class Call:
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    """The organisation's own system: a webhook receiver on loopback that checks signatures."""

    port: int
    secrets: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pactum-hooks"

    def wait_for_calls(self, count: int, within: float = 30.0) -> list[Call]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if len(self.calls) >= count:
                return self.calls
            time.sleep(0.2)
        raise AssertionError(f"{len(self.calls)} webhook calls, expected {count}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {key.lower(): value for key, value in self.headers.items()}
            verified = any(
                webhook_signatures.verify(
                    secret=secret, headers_=headers, body=body, now=int(time.time())
                )
                for secret in state.secrets
            )
            state.calls.append(Call(headers, body, verified))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def new_admin(platform: ConsolePlatform, browser: Browser, organisation: str, label: str) -> Person:
    person = Person(platform, browser.new_context(locale="en-GB"), unique_email(label))
    platform.invite_first_admin(organisation, person.email)
    page = person.accept_invitation(enrol=False)
    expect(page).to_have_url(f"{platform.url()}/account")
    return person


def expect_not_found(page: Page, path: str, platform: ConsolePlatform) -> None:
    answer = page.goto(platform.url() + path)
    assert answer is not None and answer.status == 404, path
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def csrf_token_of(page: Page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value") or ""


def test_an_admin_chooses_who_is_told_of_what_and_which_notices_she_receives_herself__USE_3(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    organisation = console_platform.new_organisation("Gemeente Klokdorp")
    sofie = new_admin(console_platform, browser, organisation, "sofie")

    page = sofie.open("/organisation/contacts")
    expect(page.get_by_role("heading", name="Who is told", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Who is told")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No contacts yet")).to_be_visible()
    check_accessibility(page)

    # Nothing chosen: the form says what to change, nothing is added.
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one kind of notice.")
    expect(page.get_by_role("alert")).to_contain_text("Enter an e-mail address, choose a")
    check_accessibility(page)
    page.get_by_label("E-mail address (optional)").fill("not an address")
    page.get_by_label("Personal data breaches").check()
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an e-mail address like")
    expect(page.get_by_label("Personal data breaches")).to_be_checked()

    # The DPO's shared mailbox, in French, and Sofie's own pactum inbox.
    page.get_by_label("E-mail address (optional)").fill("dpo@klokdorp.example")
    page.get_by_label("Also in the pactum inbox of (optional)").select_option(index=1)
    page.get_by_label("Security and supplier access").check()
    page.get_by_label("Language of the notices").select_option("fr")
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_text("The contact is added.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("dpo@klokdorp.example"))
    expect(row).to_contain_text("Personal data breaches")
    expect(row).to_contain_text("Security and supplier access")
    expect(row).to_contain_text("Français")
    expect(row).to_contain_text("Inbox of")
    check_accessibility(page)
    shot(page, screenshots, "organisation-contacts")

    # A second contact, removed again after the check page.
    page.get_by_label("E-mail address (optional)").fill("it@klokdorp.example")
    page.get_by_label("Agreements", exact=True).check()
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("row", name=re.compile("it@klokdorp.example"))).to_be_visible()
    page.get_by_role("link", name="Remove it@klokdorp.example").click()
    expect(page.get_by_role("heading", name="Remove this contact?")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Yes, remove this contact").click()
    expect(page.get_by_text("The contact is removed.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("it@klokdorp.example"))).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile("dpo@klokdorp.example"))).to_be_visible()

    # The organisation's notice language.
    page.get_by_label("Language", exact=True).select_option("en")
    page.get_by_role("button", name="Save language").click()
    expect(
        page.get_by_text("The language of your organisation's notices is saved.")
    ).to_be_visible()
    expect(page.get_by_label("Language", exact=True)).to_have_value("en")

    # Her own notices: no agreement news, nothing by e-mail that may be muted.
    page.get_by_role("link", name="Choose which notices you receive yourself").click()
    expect(page.get_by_role("heading", name="Your notices")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Your own address for notices (optional)").fill("nope")
    page.get_by_role("button", name="Save my preferences").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an e-mail address like")
    page.get_by_label("Your own address for notices (optional)").fill("sofie.dpo@klokdorp.example")
    page.get_by_label("Agreements", exact=True).check()
    page.get_by_label("No notices by e-mail").check()
    page.get_by_label("Language of your notices").select_option("nl")
    page.get_by_role("button", name="Save my preferences").click()
    expect(page.get_by_text("Your notice preferences are saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Agreements", exact=True)).to_be_checked()
    expect(page.get_by_label("Personal data breaches")).not_to_be_checked()
    expect(page.get_by_label("No notices by e-mail")).to_be_checked()
    expect(page.get_by_label("No notices by pactum inbox")).not_to_be_checked()
    expect(page.get_by_label("Language of your notices")).to_have_value("nl")
    expect(page.get_by_label("Your own address for notices (optional)")).to_have_value(
        "sofie.dpo@klokdorp.example"
    )

    # In Dutch, on a phone.
    page = sofie.open("/organisation/contacts")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Wie verwittigd wordt", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Contact toevoegen")).to_be_visible()
    expect(page.get_by_label("Datalekken")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("dpo@klokdorp.example"))).to_contain_text(
        "Beveiliging en toegang van leveranciers"
    )
    page.set_viewport_size({"width": 375, "height": 800})
    check_accessibility(page)
    shot(page, screenshots, "organisation-contacts-nl-phone")
    sofie.context.close()


def test_an_admin_gets_signed_webhooks_follows_each_attempt_and_replays_one__TOM_O4(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path, receiver: Receiver
) -> None:
    organisation = console_platform.new_organisation("Gemeente Haakdorp")
    sofie = new_admin(console_platform, browser, organisation, "sofie")

    page = sofie.open("/organisation/webhooks")
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    expect(page.get_by_text("No endpoints yet.")).to_be_visible()
    check_accessibility(page)

    page.get_by_label("Address of your receiver").fill("ftp://files.haakdorp.example/in")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("starting with https://")
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one kind of notice.")

    page.get_by_label("Address of your receiver").fill(receiver.url)
    page.get_by_label("Security and supplier access").check()
    page.get_by_label("Personal data breaches").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("heading", name="The endpoint's signing secret")).to_be_visible()
    secret = page.locator("#signing-secret").inner_text().strip()
    assert secret.startswith("whsec_")
    receiver.secrets.append(secret)
    expect(page.get_by_role("heading", name="How your receiver checks")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("link", name="I have kept the secret, continue").click()
    expect(page.get_by_role("row").filter(has_text=receiver.url)).to_be_visible()
    assert secret not in page.content()  # shown once, never again
    rotate_link = page.get_by_role("link", name=f"New signing secret {receiver.url}")
    endpoint_id = (rotate_link.get_attribute("href") or "").split("/")[3]
    # The same address twice (or the secret's page reloaded): refused, no second endpoint.
    page.get_by_label("Address of your receiver").fill(receiver.url)
    page.get_by_label("Personal data breaches").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("already an endpoint")
    expect(page.get_by_role("link", name=f"Remove {receiver.url}")).to_have_count(1)

    # Something happens in the organisation: a colleague's account is locked (TOM-T5).
    colleague = new_admin(console_platform, browser, organisation, "koen")
    colleague.context.close()
    with httpx.Client(trust_env=False) as http:
        for _ in range(5):
            http.post(
                f"{console_platform.url('identity')}/login",
                json={"email": colleague.email, "password": "not my password at all"},
            )
    first = receiver.wait_for_calls(1)[0]
    assert first.verified, first.headers
    assert b'"account_locked"' in first.body

    # The log shows the webhook and the mail to the administrators; the attempt, its answer.
    page.reload()
    log = page.get_by_role("table", name="Deliveries, newest first")
    webhook_row = log.get_by_role("row").filter(has_text=receiver.url)
    expect(webhook_row).to_contain_text("Account locked")
    expect(webhook_row).to_contain_text("delivered")
    expect(log.get_by_role("row").filter(has_text="administrators")).to_contain_text("e-mail")
    check_accessibility(page)
    shot(page, screenshots, "organisation-webhooks")
    webhook_row.get_by_role("link", name="Account locked").click()
    expect(page.get_by_role("heading", name="Account locked")).to_be_visible()
    delivery_id = page.url.rsplit("/", 1)[1]
    attempts = page.get_by_role("table", name="Every attempt, first to last")
    expect(attempts.get_by_role("row")).to_have_count(2)
    expect(attempts).to_contain_text("delivered")
    expect(attempts).to_contain_text("204")
    check_accessibility(page)
    expect(page.get_by_text(first.headers["webhook-id"])).to_be_visible()
    shot(page, screenshots, "webhook-delivery")

    # Replayed: a second signed call with the same webhook-id, a second attempt in the log.
    page.get_by_role("button", name="Send again").click()
    expect(page.get_by_text("The delivery is sent again.")).to_be_visible()
    second = receiver.wait_for_calls(2)[1]
    assert second.verified
    webhook_id = f"msg_{delivery_id.replace('-', '')}"
    assert second.headers["webhook-id"] == first.headers["webhook-id"] == webhook_id
    deadline = time.monotonic() + 20
    while attempts.get_by_role("row").count() < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(attempts.get_by_role("row")).to_have_count(3)

    # A new secret, also shown once, different from the first.
    page = sofie.open("/organisation/webhooks")
    page.get_by_role("link", name=f"New signing secret {receiver.url}").click()
    expect(page.get_by_role("heading", name="Make a new signing secret?")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Yes, make a new secret").click()
    rotated = page.locator("#signing-secret").inner_text().strip()
    assert rotated.startswith("whsec_") and rotated != secret
    expect(page.get_by_text("both the old and the new secret")).to_be_visible()

    # A contact, to ask the stranger about too.
    page = sofie.open("/organisation/contacts")
    page.get_by_label("E-mail address (optional)").fill("dpo@haakdorp.example")
    page.get_by_label("Personal data breaches").check()
    page.get_by_role("button", name="Add contact").click()
    remove_link = page.get_by_role("link", name="Remove dpo@haakdorp.example")
    contact_id = (remove_link.get_attribute("href") or "").split("/")[3]

    # An admin of another organisation: the 404 page on every one of these, nothing of them.
    stranger_org = console_platform.new_organisation("Gemeente Vreemdegem")
    stranger = new_admin(console_platform, browser, stranger_org, "stranger")
    spage = stranger.open("/organisation/webhooks")
    expect(spage.get_by_text("No endpoints yet.")).to_be_visible()
    assert receiver.url not in spage.content()
    expect(spage.get_by_text("Account locked")).to_have_count(0)
    token = csrf_token_of(spage)
    for path in (
        f"/organisation/webhooks/{endpoint_id}/rotate",
        f"/organisation/webhooks/{endpoint_id}/remove",
        f"/organisation/webhooks/deliveries/{delivery_id}",
        f"/organisation/contacts/{contact_id}/remove",
        "/organisation/webhooks/deliveries/not-an-id",
    ):
        expect_not_found(spage, path, console_platform)
    check_accessibility(spage)
    for path in (
        f"/organisation/webhooks/deliveries/{delivery_id}/replay",
        f"/organisation/webhooks/{endpoint_id}/rotate",
        f"/organisation/webhooks/{endpoint_id}/remove",
        f"/organisation/contacts/{contact_id}/remove",
    ):
        answer = spage.request.post(console_platform.url() + path, form={"csrf_token": token})
        assert answer.status == 404, path
    assert len(receiver.calls) == 2  # the stranger's replay sent nothing
    stranger.context.close()

    # Sofie's endpoint and contact are still there; she removes the endpoint after the check.
    page = sofie.open("/organisation/webhooks")
    page.get_by_role("link", name=f"Remove {receiver.url}").click()
    expect(page.get_by_role("heading", name="Remove this endpoint?")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Yes, remove this endpoint").click()
    expect(page.get_by_text("The endpoint is removed.")).to_be_visible()
    expect(page.get_by_text("No endpoints yet.")).to_be_visible()
    page = sofie.open("/organisation/contacts")
    expect(page.get_by_role("row", name=re.compile("dpo@haakdorp.example"))).to_be_visible()
    sofie.context.close()


def test_a_member_chooses_her_own_notices_but_gets_the_404_page_on_the_organisation_ones(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    organisation = console_platform.new_organisation("Gemeente Ledendorp")
    admin = new_admin(console_platform, browser, organisation, "admin")
    admin.context.close()
    # The admin invites a colleague as a member (her own act, through identity's API).
    lotte = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("lotte"))
    identity = console_platform.url("identity")
    with httpx.Client(trust_env=False) as http:
        signed_in = http.post(
            f"{identity}/login", json={"email": admin.email, "password": admin.password}
        )
        token = signed_in.json()["access_token"]
        invited = http.post(
            f"{identity}/users",
            json={"email": lotte.email, "role": "member", "display_name": "Lotte"},
            headers={"authorization": f"Bearer {token}"},
        )
        assert invited.status_code == 201, invited.text
    lotte.accept_invitation(enrol=False)

    page = lotte.open("/account/notices")
    expect(page.get_by_role("heading", name="Your notices")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Subprocessor changes").check()
    page.get_by_role("button", name="Save my preferences").click()
    expect(page.get_by_text("Your notice preferences are saved.")).to_be_visible()
    expect(page.get_by_label("Subprocessor changes")).to_be_checked()
    for path in ("/organisation/contacts", "/organisation/webhooks"):
        expect_not_found(page, path, console_platform)
    lotte.context.close()
