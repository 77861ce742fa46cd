"""Breaches in Chromium: the processor reports one (checking its answers first), the controller
follows the mailed link to its 72-hour clock, acknowledges, records its decision about the
authority; the processor completes the report; nobody else sees any of it (TOM-O4, art. 33).

The setting (two fresh organisations with an active agreement) is made over the public APIs, as
``deploy/demo.py`` drives the story; the people under test use only the browser.
"""

import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.agreements.contract import SIGNATURE
from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, text_of, unique_email

pytestmark = pytest.mark.timeout(300)

BRUSSELS = ZoneInfo("Europe/Brussels")
ANNEX1: dict[str, Any] = {  # as tests/agreements/contract.py
    "subject": "Online booking of appointments at the municipal beauty service",
    "duration": "For as long as the main contract runs",
    "nature": "Storage and consultation",
    "purpose": "Planning appointments for citizens",
    "data_categories": [
        {"name": "identification data", "retention_days": 365},
        {"name": "contact data", "retention_days": 365},
    ],
    "data_subject_categories": ["citizens"],
    "legal_basis": "GDPR art. 6(1)(e)",
}
NOT_FOUND = "Page not found"


@dataclass
class Api:
    """One person's session on the public APIs (for setting the scene, never for the test)."""

    platform: ConsolePlatform
    email: str
    password: str
    token: str = ""
    user_id: str = ""
    organisation_id: str = ""

    def login(self) -> "Api":
        with httpx.Client(trust_env=False, timeout=30) as http:
            answer = http.post(
                self.platform.url("identity") + "/login",
                json={"email": self.email, "password": self.password},
            )
            assert answer.status_code == 200, answer.text
            self.token = answer.json()["access_token"]
        me = self.call("GET", "identity", "/me")
        self.user_id, self.organisation_id = str(me["id"]), str(me["organisation_id"])
        return self

    def call(
        self, method: str, service: str, path: str, *, expect: int | None = None, **kw: Any
    ) -> Any:
        with httpx.Client(trust_env=False, timeout=60) as http:
            answer = http.request(
                method,
                self.platform.url(service) + path,
                headers={"authorization": f"Bearer {self.token}"},
                **kw,
            )
        if expect is not None:
            assert answer.status_code == expect, (method, path, answer.status_code, answer.text)
        elif answer.status_code >= 400:
            raise AssertionError(f"{method} {path}: {answer.status_code} {answer.text}")
        return answer.json() if answer.content else None


@dataclass
class Parties:
    """A fresh controller and processor with an active agreement, each admin in a browser."""

    platform: ConsolePlatform
    controller_id: str
    processor_id: str
    dpo: Person  # the controller's admin (Sofie)
    support: Person  # the processor's admin (Lotte)
    controller: Api
    processor: Api
    agreement_id: str = ""
    names: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        self.dpo.context.close()
        self.support.context.close()


def admin_of(platform: ConsolePlatform, browser: Browser, organisation: str, label: str) -> Person:
    """The organisation's first admin, who took her account from the mailed invitation."""
    person = Person(platform, browser.new_context(locale="en-GB"), unique_email(label))
    platform.invite_first_admin(organisation, person.email)
    person.accept_invitation(enrol=False)
    expect(person.page).to_have_url(f"{platform.url()}/account")
    return person


def stranger_of(platform: ConsolePlatform, browser: Browser) -> Person:
    """An admin of an organisation that has nothing to do with the parties."""
    other = platform.new_organisation(f"Gemeente Elders {uuid.uuid4().hex[:6]}", "controller")
    return admin_of(platform, browser, other, "stranger")


def eventually(check: Any, what: str, within: float = 30.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        try:
            found = check()
        except AssertionError:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        time.sleep(0.3)


def parties(platform: ConsolePlatform, browser: Browser, label: str) -> Parties:
    suffix = uuid.uuid4().hex[:6]
    names = {
        "controller": f"Gemeente {label} {suffix}",
        "processor": f"{label} Software BV {suffix}",
    }
    controller_id = platform.new_organisation(names["controller"], "controller")
    processor_id = platform.new_organisation(names["processor"], "processor")
    dpo = admin_of(platform, browser, controller_id, "dpo")
    support = admin_of(platform, browser, processor_id, "support")
    controller = Api(platform, dpo.email, dpo.password).login()
    processor = Api(platform, support.email, support.password).login()
    found = Parties(platform, controller_id, processor_id, dpo, support, controller, processor)
    found.names = names

    def drafted() -> Any:
        with httpx.Client(trust_env=False, timeout=30) as http:
            answer = http.post(
                platform.url("agreements") + "/agreements",
                headers={"authorization": f"Bearer {controller.token}"},
                json={
                    "title": f"Verwerkersovereenkomst {label} {suffix}",
                    "counterparty_id": processor_id,
                    "party": "controller",
                    "annex1": ANNEX1,
                },
            )
        assert answer.status_code == 201, answer.text  # 409/422 until both are known
        return answer.json()

    for side, person in ((controller, dpo), (processor, support)):
        side.call(
            "POST",
            "notifier",
            "/notifier/contacts",
            json={
                "topics": ["breach", "subprocessor", "security", "agreement"],
                "email": person.email,
                "user_id": side.user_id,
                "locale": "en",
            },
            expect=201,
        )
    agreement = eventually(drafted, "the agreements service knows both organisations")
    found.agreement_id = str(agreement["id"])
    path = f"/agreements/{found.agreement_id}"
    controller.call("POST", "agreements", f"{path}/signatures", json=SIGNATURE)
    processor.call("POST", "agreements", f"{path}/signatures", json=SIGNATURE)
    controller.call("POST", "agreements", f"{path}/activation")
    return found


def brussels_now(minus: timedelta = timedelta()) -> str:
    return (datetime.now(BRUSSELS) - minus).strftime("%Y-%m-%dT%H:%M")


def link_to(platform: ConsolePlatform, address: str, path: str, *, after: int = 0) -> str:
    """The console link in the mail to ``address`` that opens ``path``."""
    message = platform.wait_for_mail(address, containing=path, after=after, within=60)
    found = re.search(r"https?://\S+" + re.escape(path), text_of(message))
    assert found, text_of(message)
    return found.group(0)


def report_in_browser(page: Page, screenshots: Path | None = None) -> None:
    """Lotte fills in the report form and goes on to check her answers."""
    page.get_by_label("When you became aware of the breach (Brussels time)").fill(
        brussels_now(timedelta(hours=2))
    )
    page.get_by_label("What happened").fill("A laptop with the booking data was stolen.")
    page.get_by_label("contact data").check()
    page.get_by_label("Categories of people concerned (one per line)").fill("citizens")
    page.get_by_label("Approximate number of people concerned").fill("1200")
    page.get_by_label("Approximate number of records concerned").fill("3400")
    page.get_by_label("Likely consequences").fill("Phishing mails to citizens.")
    page.get_by_label("Measures taken or proposed").fill("Remote wipe; passwords reset.")
    page.get_by_label("Contact point for more information").fill("Lotte, +32 2 555 01 01")
    if screenshots is not None:
        shot(page, screenshots, "report-breach")
    page.get_by_role("button", name="Continue").click()


def test_the_processor_reports_a_breach_after_checking_who_will_be_told__TOM_O4(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    scene = parties(console_platform, browser, "Zonnedorp")
    page = scene.support.open("/breaches")
    expect(page.get_by_role("heading", name="Personal data breaches")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("link", name="Report a breach").click()
    expect(page.get_by_role("heading", name="Report a personal data breach")).to_be_visible()
    check_accessibility(page)

    # Nothing filled in: every missing field is named, nothing is sent.
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the date and time you became aware")
    expect(page.get_by_role("alert")).to_contain_text("Choose or enter at least one data category")
    check_accessibility(page)
    # A category none of the agreements covers reaches nobody: said, not sent.
    page.get_by_label("Other data categories (one per line)").fill("health data")
    report_in_browser(page, screenshots)
    expect(page.get_by_role("heading", name="Check your report before sending it")).to_be_visible()
    expect(page.get_by_role("cell", name=scene.names["controller"])).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "check-breach-report")

    # She changes her answers (the form comes back filled in), then checks again.
    page.get_by_role("button", name="Change your answers").click()
    expect(page.get_by_label("What happened")).to_have_value(
        "A laptop with the booking data was stolen."
    )
    expect(page.get_by_label("contact data")).to_be_checked()
    page.get_by_label("Other data categories (one per line)").fill("")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your report before sending it")).to_be_visible()
    with httpx.Client(trust_env=False) as http:
        before = http.get(
            console_platform.url("agreements") + "/breaches",
            headers={"authorization": f"Bearer {scene.processor.token}"},
        ).json()["items"]
    assert before == []  # checking the answers sent nothing
    page.get_by_role("button", name="Report the breach to these controllers").click()
    expect(page.get_by_text("The breach is reported.")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(scene.names["controller"]))).to_be_visible()
    check_accessibility(page)
    breach_id = page.url.split("/breaches/")[1].split("?")[0]

    # A later phase completes the report.
    page.get_by_role("link", name="Add a phase to the report").click()
    check_accessibility(page)
    page.get_by_label("Approximate number of records concerned").fill("lots")
    page.get_by_role("button", name="Add the phase").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a whole number")
    page.get_by_label("Approximate number of records concerned").fill("4100")
    page.get_by_label("Note to the controllers").fill("The backup tape was on the laptop too.")
    page.get_by_role("button", name="Add the phase").click()
    expect(page.get_by_text("The report is completed with a new phase.")).to_be_visible()
    expect(page.get_by_text("Phase 2", exact=True)).to_be_visible()

    # The controller's DPO cannot report or add phases; a stranger sees nothing at all.
    for path in ("/breaches/new", f"/breaches/{breach_id}/phases/new"):
        scene.dpo.open(path)
        expect(scene.dpo.page.get_by_role("heading", name=NOT_FOUND)).to_be_visible()
    stranger = stranger_of(console_platform, browser)
    for path in (
        f"/breaches/{breach_id}",
        f"/breaches/{breach_id}/phases/new",
        "/breaches/new",
        "/breaches/not-a-breach",
    ):
        stranger.open(path)
        expect(stranger.page.get_by_role("heading", name=NOT_FOUND)).to_be_visible()
    stranger.open("/breaches")
    expect(stranger.page.get_by_text("No breaches.")).to_be_visible()
    check_accessibility(stranger.page)
    stranger.context.close()
    scene.close()


def test_a_report_sent_twice_from_the_check_page_opens_one_breach_and_tells_once__TOM_O4(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    """A double click, a resent form or a retry after a lost answer: the check page's report
    key goes to the agreements API as the Idempotency-Key, so the second sending finds the
    first breach instead of reporting a second one (issue 16.2)."""
    scene = parties(console_platform, browser, "Tweemaal")
    page = scene.support.open("/breaches/new")
    report_in_browser(page)
    expect(page.get_by_role("heading", name="Check your report before sending it")).to_be_visible()
    sent_form: dict[str, Any] = page.evaluate(
        """() => Object.fromEntries(new FormData(document.querySelector('form.actions')))"""
    )
    assert sent_form["report_key"]
    sent_form["step"] = "send"
    answers = [
        page.request.post(console_platform.url() + "/breaches/new", form=sent_form, max_redirects=0)
        for _ in range(2)
    ]

    assert [answer.status for answer in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    with httpx.Client(trust_env=False) as http:
        reported = http.get(
            console_platform.url("agreements") + "/breaches",
            headers={"authorization": f"Bearer {scene.processor.token}"},
        ).json()["items"]
    assert len(reported) == 1
    scene.close()


def test_the_controller_opens_the_mailed_link_sees_its_72_hours_and_records_its_decision__TOM_O4(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    scene = parties(console_platform, browser, "Bergdal")
    aware = datetime.now(BRUSSELS) - timedelta(hours=3)
    breach = scene.processor.call(
        "POST",
        "agreements",
        "/breaches",
        json={
            "aware_at": aware.isoformat(),
            "nature": "Ransomware on the booking server",
            "data_categories": ["Identification data"],
            "data_subject_categories": ["citizens"],
            "approx_data_subjects": 800,
            "approx_records": 2000,
            "consequences": "Appointments may be read by the attacker",
            "measures": "Server isolated and restored from backup",
            "contact_point": "security@processor.example",
        },
        expect=201,
    )
    link = link_to(console_platform, scene.dpo.email, f"/breaches/{breach['id']}")

    page = scene.dpo.open(link)
    expect(page.get_by_role("heading", name="Personal data breach")).to_be_visible()
    deadline = page.locator(".breach-clock .deadline")
    expect(deadline).to_contain_text("Notify the supervisory authority")
    expect(deadline).to_contain_text("(Brussels time)")
    expect(deadline).to_contain_text(re.compile(r"2 days 23 hours left|3 days 0 hours left"))
    expect(deadline).to_contain_text(
        re.compile(
            r"by (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) "
            r"\d+ \w+ \d{4}, \d\d:\d\d"
        )
    )
    expect(page.get_by_text("Ransomware on the booking server")).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "breach")

    # In Dutch, as a Flemish DPO reads it: the deadline in Brussels time, the time left.
    page.get_by_role("button", name="Nederlands").click()
    expect(page.locator(".breach-clock .deadline")).to_contain_text(
        "Verwittig de toezichthouder (de Gegevensbeschermingsautoriteit) uiterlijk"
    )
    expect(page.locator(".breach-clock .deadline")).to_contain_text("(Brusselse tijd)")
    check_accessibility(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Personal data breach")).to_be_visible()

    page.get_by_role("button", name="Acknowledge receipt").click()
    expect(page.get_by_text("Acknowledged. The sender can see")).to_be_visible()
    page = scene.dpo.open(f"/breaches/{breach['id']}")
    expect(page.locator(".breach-clock").get_by_text("acknowledged", exact=True)).to_be_visible()

    # Deciding not to notify needs a reason: asked for, nothing recorded.
    page.get_by_label("We decided not to notify the authority").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why you do not notify the authority")
    check_accessibility(page)
    page.get_by_label("We decided not to notify the authority").check()
    page.get_by_label("Reason").fill("The data was encrypted; no risk to citizens.")
    page.get_by_role("button", name="Record the decision").click()
    expect(
        page.get_by_text("Your decision about the supervisory authority is recorded.")
    ).to_be_visible()
    expect(page.get_by_text("decided not to notify the authority").first).to_be_visible()
    assert page.get_by_role("button", name="Record the decision").count() == 0

    # The processor sees the controller's decision; the list shows the breach to both.
    page = scene.support.open(f"/breaches/{breach['id']}")
    expect(page.get_by_role("cell", name="decided not to notify the authority")).to_be_visible()
    page = scene.dpo.open("/breaches")
    expect(page.get_by_role("link", name="Ransomware on the booking server")).to_be_visible()
    check_accessibility(page)

    # Nobody of another organisation opens the mailed link.
    stranger = stranger_of(console_platform, browser)
    stranger.open(link)
    expect(stranger.page.get_by_role("heading", name=NOT_FOUND)).to_be_visible()
    check_accessibility(stranger.page)
    stranger.context.close()
    scene.close()
