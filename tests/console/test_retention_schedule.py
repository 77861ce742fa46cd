"""The retention schedule of Annex 1 (TOM-T1, DPA-4b) on the agreement's Annexes tab, in
Chromium: both parties see, per category, how long a request's free text is kept after it ended
and when it was last deleted."""

import pytest
from playwright.sync_api import Browser, expect

from tests.console.people import check_accessibility
from tests.console.platform import ConsolePlatform, unique_email
from tests.console.test_agreements import admin_of, draft_signed_and_active

pytestmark = pytest.mark.timeout(300)


def test_both_parties_see_the_retention_of_each_annex_1_category__TOM_T1_DPA_4b(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    stamp = unique_email("x").split("@")[0][-8:]
    sofie, controller_id = admin_of(
        console_platform, browser, f"Gemeente Veldhoven {stamp}", "controller", "sofie"
    )
    lotte, _ = admin_of(console_platform, browser, f"Bewaarwerk BV {stamp}", "processor", "lotte")
    title = f"Verwerkersovereenkomst Veldhoven {stamp}"
    agreement_url = draft_signed_and_active(console_platform, lotte, sofie, controller_id, title)

    for person in (sofie, lotte):
        page = person.open(f"{agreement_url}/annexes")
        expect(page.get_by_role("heading", name="Retention per category")).to_be_visible()
        contact = page.get_by_role("row", name="contactgegevens")
        expect(contact).to_contain_text("730 days")
        expect(contact).to_contain_text("not yet")
        expect(page.get_by_role("row", name="afspraakgegevens")).to_contain_text("365 days")
        check_accessibility(page)
