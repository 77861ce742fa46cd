"""What the parties owe each other beside instructions, in Chromium.

Lotte (the processor's admin) collects citizens' data herself, so she submits her privacy notice
to Sofie (the municipality's DPO) before processing starts. Sofie comments, Lotte submits a new
version, Sofie approves it, and only then can the agreement be activated (DPA-10). Lotte forwards
a citizen's request, helps with it and Sofie closes it (DPA-15). Sofie asks Lotte's help with a
DPIA (DPA-16) and her intervention in a claim (DPA-19); Lotte answers. A third organisation's
admin finds none of it.
"""

import pytest
from playwright.sync_api import Browser, expect

from tests.console.people import check_accessibility
from tests.console.platform import ConsolePlatform, unique_email
from tests.console.test_agreements import admin_of, draft_and_signed, draft_signed_and_active

pytestmark = pytest.mark.timeout(300)


def test_dpa_10_the_processor_submits_its_privacy_notice_and_the_controller_approves_it_first(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    stamp = unique_email("x").split("@")[0][-8:]
    sofie, controller_id = admin_of(
        console_platform, browser, f"Gemeente Beekdorp {stamp}", "controller", "sofie"
    )
    lotte, _ = admin_of(console_platform, browser, f"Afspraakwerk BV {stamp}", "processor", "lotte")
    title = f"Verwerkersovereenkomst Beekdorp {stamp}"
    agreement_url = draft_and_signed(console_platform, lotte, sofie, controller_id, title)

    # Lotte submits her privacy notice; an empty form says what is missing.
    page = lotte.open(f"{agreement_url}/privacy-notice")
    expect(page.get_by_text("The processor has submitted no privacy notice.")).to_be_visible()
    page.get_by_role("button", name="Submit it to the controller").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Write what the people concerned are told.")
    expect(alert).to_contain_text("Say how and when they are told.")
    check_accessibility(page)
    page.get_by_label("What the people concerned are told").fill(
        "Afspraakwerk records your name and phone number to plan your appointment."
    )
    page.get_by_label("How and when they are told").fill("On the booking form, before sending")
    page.get_by_role("button", name="Submit it to the controller").click()
    expect(page.get_by_text("The privacy notice is submitted.")).to_be_visible()
    expect(page.locator("#notice-standing")).to_contain_text("Version 1 awaits")

    # Sofie cannot activate yet; she comments on version 1.
    page = sofie.open(agreement_url)
    page.get_by_role("button", name="Activate the agreement").click()
    expect(page.get_by_role("alert")).to_contain_text("privacy notice")
    page = sofie.open(f"{agreement_url}/privacy-notice")
    check_accessibility(page)
    page.get_by_label("Comment: the processor must change it").check()
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_role("alert")).to_contain_text("Say what the processor must change.")
    page.get_by_label("Comment: the processor must change it").check()
    page.get_by_label("Your comments (required to comment)").fill("Say how long you keep it.")
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_text("Your comments are sent.")).to_be_visible()

    # Lotte reads the comment and submits version 2; Sofie approves it and activates.
    page = lotte.open(f"{agreement_url}/privacy-notice")
    expect(page.get_by_text("Say how long you keep it.")).to_be_visible()
    page.get_by_label("What the people concerned are told").fill(
        "Afspraakwerk records your name and phone number to plan your appointment; "
        "we keep them for one year."
    )
    page.get_by_label("How and when they are told").fill("On the booking form, before sending")
    page.get_by_role("button", name="Submit it to the controller").click()
    expect(page.locator("#notice-standing")).to_contain_text("Version 2 awaits")
    page = sofie.open(f"{agreement_url}/privacy-notice")
    page.get_by_label("Approve it: processing may start").check()
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_text("The privacy notice is approved.")).to_be_visible()
    expect(page.locator("#notice-standing")).to_contain_text("approved version 2")
    page = sofie.open(agreement_url)
    page.get_by_role("button", name="Activate the agreement").click()
    expect(page.get_by_text("The agreement is active.")).to_be_visible()

    # The same page in Dutch and French.
    page = sofie.open(f"{agreement_url}/privacy-notice")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Privacyverklaring", exact=True)).to_be_visible()
    page.get_by_role("button", name="Français").click()
    expect(
        page.get_by_role("heading", name="Déclaration de confidentialité", exact=True)
    ).to_be_visible()
    page.get_by_role("button", name="English").click()

    # A third organisation's admin finds nothing.
    stranger, _ = admin_of(
        console_platform, browser, f"Gemeente Elders {stamp}", "controller", "eva"
    )
    page = stranger.open(f"{agreement_url}/privacy-notice")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text(title)).to_have_count(0)
    for person in (sofie, lotte, stranger):
        person.context.close()


def test_dpa_15_a_data_subjects_request_is_forwarded_helped_with_and_closed(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    stamp = unique_email("x").split("@")[0][-8:]
    sofie, controller_id = admin_of(
        console_platform, browser, f"Gemeente Veldhoven {stamp}", "controller", "sofie"
    )
    lotte, _ = admin_of(console_platform, browser, f"Loketwerk BV {stamp}", "processor", "lotte")
    title = f"Verwerkersovereenkomst Veldhoven {stamp}"
    agreement_url = draft_signed_and_active(console_platform, lotte, sofie, controller_id, title)

    # Lotte forwards a request that reached her; an empty form says what is missing.
    page = lotte.open(f"{agreement_url}/subject-requests")
    page.get_by_role("button", name="Forward it to the controller").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Choose the right the person invokes.")
    expect(alert).to_contain_text("Enter when the request reached you.")
    expect(alert).to_contain_text("Say what is asked and how it arrived.")
    check_accessibility(page)
    page.get_by_label("The right the person invokes").select_option("erasure")
    page.get_by_label("When the request reached you (Brussels time)").fill("2026-12-03T10:30")
    page.get_by_label("What is asked and how it arrived").fill(
        "Letter of 3 December: a citizen asks to erase her appointment history"
    )
    page.get_by_role("button", name="Forward it to the controller").click()
    expect(page.get_by_text("The request is forwarded.")).to_be_visible()
    row = page.locator("#request-1")
    expect(row).to_contain_text("erasure")
    expect(row).to_contain_text("waiting for the processor's help")

    # Lotte records her help; Sofie sees it and closes the request.
    page.get_by_label("What you did to help with request 1").fill(
        "Appointment history erased from the booking module and its backups"
    )
    page.get_by_role("button", name="Record your help").click()
    expect(page.get_by_text("Your assistance is recorded.")).to_be_visible()
    page = sofie.open(f"{agreement_url}/subject-requests")
    expect(page.locator("#request-1")).to_contain_text("help given")
    check_accessibility(page)
    page.get_by_role("button", name="Close the request").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose how the request ended.")
    page.get_by_label("answered").check()
    page.get_by_role("button", name="Close the request").click()
    expect(page.get_by_text("The request is closed.")).to_be_visible()
    expect(page.locator("#request-1")).to_contain_text("closed")

    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Verzoeken van betrokkenen")).to_be_visible()
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Demandes des personnes concernées")).to_be_visible()
    page.get_by_role("button", name="English").click()

    stranger, _ = admin_of(
        console_platform, browser, f"Gemeente Anders {stamp}", "controller", "eva"
    )
    page = stranger.open(f"{agreement_url}/subject-requests")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text(title)).to_have_count(0)
    for person in (sofie, lotte, stranger):
        person.context.close()


def test_dpa_16_dpa_19_the_controller_asks_help_and_intervention_and_the_processor_answers(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    stamp = unique_email("x").split("@")[0][-8:]
    sofie, controller_id = admin_of(
        console_platform, browser, f"Gemeente Bosdorp {stamp}", "controller", "sofie"
    )
    lotte, _ = admin_of(console_platform, browser, f"Dossierwerk BV {stamp}", "processor", "lotte")
    title = f"Verwerkersovereenkomst Bosdorp {stamp}"
    agreement_url = draft_signed_and_active(console_platform, lotte, sofie, controller_id, title)

    # Sofie asks help with a DPIA, then intervention in a claim; an empty form says what lacks.
    page = sofie.open(f"{agreement_url}/assistance")
    page.get_by_role("button", name="Send the request").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Choose what you need the processor's help with.")
    expect(alert).to_contain_text("Say what you ask of the processor.")
    check_accessibility(page)
    page.get_by_label("a data protection impact assessment (DPIA)").check()
    page.get_by_label("What you ask").fill("Describe your hosting and access controls")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request is sent.")).to_be_visible()
    page.get_by_label("intervening in a claim a person brought against the controller").check()
    page.get_by_label("What you ask").fill("Court of first instance Ghent, ref. 26/1234/A")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request is sent.")).to_be_visible()

    # Lotte answers both: the claim needs her yes or no.
    page = lotte.open(f"{agreement_url}/assistance")
    check_accessibility(page)
    page.get_by_label("Your answer to request 1").fill("Our security annex and pen-test report")
    page.locator("#assistance-1").get_by_role("button", name="Send your answer").click()
    expect(page.get_by_text("Your answer is recorded.")).to_be_visible()
    page.get_by_label("Your answer to request 2").fill("Our counsel joins the proceedings")
    page.locator("#assistance-2").get_by_role("button", name="Send your answer").click()
    expect(page.get_by_role("alert")).to_contain_text("Say whether you intervene.")
    page.get_by_label("Yes, we intervene").check()
    page.get_by_label("Your answer to request 2").fill("Our counsel joins the proceedings")
    page.locator("#assistance-2").get_by_role("button", name="Send your answer").click()
    expect(page.get_by_text("Your answer is recorded.")).to_be_visible()

    page = sofie.open(f"{agreement_url}/assistance")
    expect(page.locator("#assistance-2")).to_contain_text("intervenes")
    expect(page.locator("#assistance-1")).to_contain_text("pen-test report")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Hulp gevraagd aan de verwerker")).to_be_visible()
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Aide demandée au sous-traitant")).to_be_visible()
    page.get_by_role("button", name="English").click()

    stranger, _ = admin_of(
        console_platform, browser, f"Gemeente Ginder {stamp}", "controller", "eva"
    )
    page = stranger.open(f"{agreement_url}/assistance")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text(title)).to_have_count(0)
    for person in (sofie, lotte, stranger):
        person.context.close()
