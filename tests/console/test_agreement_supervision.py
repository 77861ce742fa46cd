"""The controller's side of art. 6 (DPA-18) on the agreement's Supervision tab, in Chromium.

Sofie (the municipality's DPO) records the risk assessment Annex 2 is matched to, a measure of
her own, and her review of one of Lotte's (the processor's) measures with a follow-up; Lotte sees
the review; Sofie closes it. A third organisation's admin finds none of it.
"""

from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests.console.people import check_accessibility
from tests.console.platform import ConsolePlatform, unique_email
from tests.console.test_agreements import admin_of, draft_signed_and_active

pytestmark = pytest.mark.timeout(300)


def test_dpa_18_the_controller_assesses_risks_reviews_a_measure_and_closes_the_review(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    stamp = unique_email("x").split("@")[0][-8:]
    sofie, controller_id = admin_of(
        console_platform, browser, f"Gemeente Bosdorp {stamp}", "controller", "sofie"
    )
    lotte, _ = admin_of(console_platform, browser, f"Dossierwerk BV {stamp}", "processor", "lotte")
    title = f"Verwerkersovereenkomst Bosdorp {stamp}"
    agreement_url = draft_signed_and_active(console_platform, lotte, sofie, controller_id, title)
    today = date.today()

    # An empty risk assessment says what is missing, and nothing is recorded.
    page = sofie.open(f"{agreement_url}/supervision")
    expect(page.get_by_text("No risk assessment recorded yet.")).to_be_visible()
    page.get_by_role("button", name="Record the risk assessment").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Describe at least one risk.")
    expect(alert).to_contain_text("Give the date of the assessment.")
    check_accessibility(page)
    expect(page.get_by_text("No risk assessment recorded yet.")).to_be_visible()

    risk = page.get_by_role("group", name="Risk 1")
    risk.get_by_label("What could go wrong").fill("Citizens' files read by an outsider")
    risk.get_by_label("How likely").select_option("medium")
    risk.get_by_label("How grave for the people concerned").select_option("high")
    risk.get_by_label("Measures of Annex 2 that address it").fill("TOM-T5")
    risk = page.get_by_role("group", name="Risk 2")
    risk.get_by_label("What could go wrong").fill("Backups lost")
    risk.get_by_label("How likely").select_option("low")
    risk.get_by_label("How grave for the people concerned").select_option("medium")
    page.get_by_label("Date of the assessment").fill(today.isoformat())
    page.get_by_label("Assessed by").fill("Sofie Claes")
    page.get_by_role("button", name="Record the risk assessment").click()
    expect(page.get_by_text("The risk assessment is recorded.")).to_be_visible()
    expect(page.locator("#risk-row-1")).to_contain_text("high")
    expect(page.locator("#risk-row-2")).to_contain_text("no measure addresses it")

    # Her own measure, then a review with a follow-up.
    page.get_by_label("The measure", exact=True).fill("Quarterly access review")
    page.get_by_role("button", name="Record the measure").click()
    expect(page.get_by_text("Your measure is recorded.")).to_be_visible()
    page.get_by_label("The measure you reviewed").select_option("TOM-T5")
    page.get_by_label("Date of the review").fill((today - timedelta(days=1)).isoformat())
    page.get_by_label("Reviewed by").fill("Sofie Claes")
    page.get_by_label("What you found").fill("Lockout after 10 attempts, not 5")
    page.get_by_label("What the processor must do (optional)").fill("Lock out after 5 attempts")
    page.get_by_label("Follow-up due by (with a follow-up)").fill(
        (today + timedelta(days=14)).isoformat()
    )
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_text("Your review is recorded.")).to_be_visible()
    check_accessibility(page)

    # Lotte sees the review and its follow-up, and no form to close it.
    page = lotte.open(f"{agreement_url}/supervision")
    expect(page.get_by_text("Lock out after 5 attempts")).to_be_visible()
    expect(page.get_by_text("Quarterly access review")).to_be_visible()
    expect(page.get_by_role("button", name="Close the review")).to_have_count(0)
    check_accessibility(page)

    page = sofie.open(f"{agreement_url}/supervision")
    page.get_by_label("How the follow-up of TOM-T5 was done (optional)").fill("Lockout now 5")
    page.get_by_role("button", name="Close the review").click()
    expect(page.get_by_text("The review is closed.")).to_be_visible()
    expect(page.get_by_text("Lockout now 5")).to_be_visible()
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Risicobeoordeling", exact=True)).to_be_visible()
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Analyse des risques", exact=True)).to_be_visible()
    page.get_by_role("button", name="English").click()

    stranger, _ = admin_of(
        console_platform, browser, f"Gemeente Ginder {stamp}", "controller", "eva"
    )
    page = stranger.open(f"{agreement_url}/supervision")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text(title)).to_have_count(0)
    expect(page.get_by_text("Lockout")).to_have_count(0)
    for person in (sofie, lotte, stranger):
        person.context.close()
