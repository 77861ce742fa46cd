"""People in a browser: what a municipal admin, a colleague or a stranger does on the console.

Every step goes through the pages, as a person would: links from their mailbox, labels they
read, buttons they press. Nothing here calls an API.
"""

import re
import time
from dataclasses import dataclass, field
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, expect

from services.identity.totp import DRIFT_STEPS, code_at, current_step
from tests.console.platform import ConsolePlatform

PASSWORD = "a long and private sentence 42"
SERIOUS = {"serious", "critical"}


@dataclass
class Authenticator:
    """The person's phone app: it never shows the same code twice to one account.

    A second code within the same 30-second step is the next step's, as an app whose clock runs
    up to one step ahead shows it (identity accepts one step of drift either way, DRIFT_STEPS);
    only when that one is used too does it wait. Before, it always waited for the next step: up
    to 30 s of a browser test's time per sign-in after an enrolment.
    """

    secret: str
    last_step: int = 0

    def code(self) -> str:
        step = current_step()
        while step + DRIFT_STEPS <= self.last_step:
            time.sleep(0.5)
            step = current_step()
        step = max(step, self.last_step + 1)
        self.last_step = step
        return code_at(self.secret, step)


@dataclass
class Person:
    platform: ConsolePlatform
    context: BrowserContext
    email: str
    password: str = PASSWORD
    authenticator: Authenticator | None = None
    recovery_codes: list[str] = field(default_factory=list)

    @property
    def page(self) -> Page:
        return self.context.pages[0] if self.context.pages else self.context.new_page()

    def open(self, path: str) -> Page:
        page = self.page
        page.goto(self.platform.url() + path if path.startswith("/") else path)
        return page

    def accept_invitation(self, *, after: int = 0, enrol: bool = True) -> Page:
        """From the mailed link to a secured account: password, authenticator app, codes kept."""
        link = self.platform.link_in_mail(self.email, purpose="invitation", after=after)
        page = self.open(link)
        page.get_by_label("Choose a password").fill(self.password)
        page.get_by_label("Type the password again").fill(self.password)
        page.get_by_role("button", name="Create my account").click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).not_to_have_text("Set up your account")
        if enrol:
            if heading.inner_text() != "Set up your second step":  # not required by the policy
                page.get_by_role("button", name="Set up a second step").click()
            self.set_up_authenticator(page)
        return page

    def set_up_authenticator(self, page: Page) -> None:
        expect(page.get_by_role("heading", name="Set up your second step")).to_be_visible()
        secret = page.locator("#manual-key").inner_text().replace(" ", "")
        self.authenticator = Authenticator(secret)
        page.get_by_label("Enter the 6-digit code the app now shows").fill(
            self.authenticator.code()
        )
        page.get_by_role("button", name="Confirm").click()
        expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
        self.recovery_codes = page.locator(".codes code").all_inner_texts()
        page.get_by_role("link", name="I have kept my codes, continue").click()

    def sign_in(self, *, code: str | None = None) -> Page:
        page = self.open("/sign-in")
        page.get_by_label("E-mail address").fill(self.email)
        page.get_by_label("Password").fill(self.password)
        page.get_by_role("button", name="Sign in").click()
        if self.authenticator is not None or code is not None:
            page.get_by_label("6-digit code from your authenticator app").fill(
                code or self.authenticator.code()  # type: ignore[union-attr]
            )
            page.get_by_role("button", name="Continue").click()
        return page

    def sign_out(self) -> Page:
        page = self.page
        page.get_by_role("button", name="Sign out", exact=True).click()
        expect(page.get_by_text("You are signed out.")).to_be_visible()
        return page


AXE = Axe()  # axe-core's script, read once


def check_accessibility(page: Page) -> None:
    """axe-core in the page: no serious or critical violation (WCAG 2.1 A and AA rules)."""
    results = AXE.run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            # Only the violations are read: axe skips building the passes and the rules that
            # did not apply, most of its work on a long page (167 checks in the suite).
            "resultTypes": ["violations"],
        },
    )
    violations: list[dict[str, Any]] = results.response["violations"]
    serious = [v for v in violations if v.get("impact") in SERIOUS]
    assert not serious, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in serious
    )


def shot(page: Page, directory: Any, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
