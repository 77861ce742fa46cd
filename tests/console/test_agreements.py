"""Agreements in Chromium: a controller and a processor draft, sign and work under their agreement.

A fresh controller (Sofie, a municipal DPO) and a fresh processor (Lotte, its supplier's admin)
each secure their account from the mailed invitation with an authenticator app. Lotte drafts the
agreement, both sign it after checking it, Lotte announces a subprocessor; Sofie opens the change
from her mail, sees its deadline and objects with a reason. Lotte keeps the staff list and records
a disclosure; Sofie issues an instruction that Lotte acknowledges. A third organisation's admin
opens every one of these pages and finds nothing.
"""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, text_of, unique_email

pytestmark = pytest.mark.timeout(300)

NOTICE_LINK = re.compile(
    r"https?://\S+/agreements/[0-9a-f-]{36}/subprocessor-notices/[0-9a-f-]{36}"
)


def admin_of(
    platform: ConsolePlatform, browser: Browser, name: str, kind: str, label: str
) -> tuple[Person, str]:
    """A fresh organisation and its first admin, signed in with password and authenticator."""
    organisation = platform.new_organisation(name, kind)
    person = Person(platform, browser.new_context(locale="en-GB"), unique_email(label))
    platform.invite_first_admin(organisation, person.email)
    page = person.accept_invitation(enrol=False)
    if page.get_by_role("heading", name="Set up your second step").count() == 0:
        page = person.open("/account")
        page.get_by_role("button", name="Set up a second step").click()
    person.set_up_authenticator(page)
    return person, organisation


def save_draft(page: Page, attempts: int = 20) -> None:
    """Save the filled-in draft, again until the agreements service knows the new controller
    (it learns organisations from identity's events)."""
    saved = page.get_by_text("The draft is saved.")
    for _attempt in range(attempts):
        page.get_by_role("button", name="Save the draft").click()
        # Wait for the answer (saved, or the form again with its problem) before looking: on a
        # loaded machine the next page may not be there yet right after the click.
        expect(saved.or_(page.locator(".error-summary"))).to_be_visible()
        if saved.count():
            break
        time.sleep(0.5)
    expect(saved).to_be_visible()


def no_problem(page: Page) -> None:
    expect(page.locator(".error-summary")).to_have_count(0)


def fill_annex1(page: Page) -> None:
    page.get_by_label("Subject of the processing").fill("Hosting of the appointment module")
    page.get_by_label("Duration", exact=True).fill("As long as the main contract runs")
    page.get_by_label("Nature of the processing").fill("Hosting, storage, support, back-up")
    page.get_by_label("Purpose", exact=True).fill("Citizens book appointments with the town hall")
    page.get_by_label("Categories of personal data and how long they are kept").fill(
        "contactgegevens, 730\nafspraakgegevens, 365"
    )
    page.get_by_label("Categories of data subjects").fill("citizens")
    page.get_by_label("Legal basis").fill("GDPR art. 6.1(e): a task in the public interest")


def sign(
    person: Person, agreement_url: str, screenshots: Path | None = None, place: str = "Utopia"
) -> None:
    """Check and sign, filling in the signature block (DPA-20): place, name and capacity."""
    page = person.open(agreement_url)
    page.get_by_role("link", name="Check and sign").click()
    expect(page.get_by_role("heading", name="Check before you sign")).to_be_visible()
    expect(page.get_by_text("Fingerprint of this version (SHA-256):")).to_be_visible()
    check_accessibility(page)
    if screenshots is not None:
        shot(page, screenshots, "agreement-signing")
    # Without the signature block or confirming, nothing is signed and the page says why.
    page.get_by_role("button", name="Sign the agreement").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Enter the place where you sign.")
    expect(alert).to_contain_text("Enter the capacity in which they sign")
    expect(alert).to_contain_text("Confirm that you may sign")
    check_accessibility(page)
    page.get_by_label("Place of signing").fill(place)
    page.get_by_label("Name of the person who signs").fill(f"Signer in {place}")
    page.get_by_label("Capacity in which they sign").fill("data protection officer")
    page.get_by_label("I may sign for my organisation and I agree to this version").check()
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.get_by_text("Signed for your organisation.")).to_be_visible()


def test_a_controller_and_a_processor_sign_and_work_under_their_agreement__DPA_1_DPA_5_DPA_8_DPA_4a(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    stamp = unique_email("x").split("@")[0][-8:]
    sofie, controller_id = admin_of(
        console_platform, browser, f"Gemeente Zonnedorp {stamp}", "controller", "sofie"
    )
    lotte, _processor_id = admin_of(
        console_platform, browser, f"Cloudwerk BV {stamp}", "processor", "lotte"
    )

    # Sofie tells Lotte her organisation number: it is on her Agreements page.
    page = sofie.open("/agreements")
    expect(page.get_by_role("heading", name="Agreements", exact=True)).to_be_visible()
    expect(page.locator(".organisation-number")).to_have_text(controller_id)

    # -- Lotte drafts the agreement; bad input first, then a complete draft --------------------
    page = lotte.open("/agreements")
    page.get_by_role("link", name="Draft a new agreement").click()
    expect(page.get_by_role("heading", name="Draft a new agreement")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("The controller's organisation number").fill("not a number")
    page.get_by_label("Days to object to a new subprocessor").fill("0")
    closure_days = page.get_by_label("Days after termination to return or destroy the data")
    closure_days.fill("400")
    page.get_by_role("button", name="Save the draft").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter a title for the agreement.")
    expect(summary).to_contain_text("This is not an organisation number")
    expect(summary).to_contain_text("Enter a whole number from 1 to 365.")
    expect(page.locator("#closure_days-error")).to_contain_text("from 1 to 365")  # DPA-13
    check_accessibility(page)

    title = f"Verwerkersovereenkomst Zonnedorp - Cloudwerk {stamp}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("The controller's organisation number").fill(controller_id)
    page.get_by_label("Days to object to a new subprocessor").fill("30")
    page.get_by_label("Days after termination to return or destroy the data").fill("45")
    fill_annex1(page)
    save_draft(page)
    agreement_url = page.url.split("?")[0].removeprefix(console_platform.url())
    agreement_id = agreement_url.rsplit("/", 1)[1]
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    # The period to return or destroy is a term of the agreement (DPA-13), shown with the others.
    period = page.locator(".annex-summary dt", has_text="Days after termination to return")
    expect(period.locator("xpath=following-sibling::dd[1]")).to_have_text("45")
    expect(page.locator(".agreement-parties")).to_contain_text(f"Gemeente Zonnedorp {stamp}")

    # -- both parties sign after checking; Sofie activates ---------------------------------------
    sign(lotte, agreement_url, screenshots)
    expect(page.get_by_text("Your organisation has signed.")).to_be_visible()

    page = sofie.open("/agreements")
    expect(page.get_by_role("link", name=title)).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "agreements")
    sign(sofie, agreement_url, place="Gent")
    page = sofie.page
    page.get_by_role("button", name="Activate the agreement").click()
    expect(page.get_by_text("The agreement is active.")).to_be_visible()
    expect(page.locator(".agreement-parties")).to_contain_text("active")
    check_accessibility(page)
    shot(page, screenshots, "agreement-detail")

    page = sofie.open(f"{agreement_url}/versions")
    expect(page.get_by_role("heading", name=re.compile("Version 1"))).to_be_visible()
    # Each signature as the signature block has it: when, where, by whom and as what (DPA-20).
    signatures = page.locator("dd").filter(has_text="in Utopia, by Signer in Utopia")
    expect(signatures).to_contain_text("data protection officer")
    expect(signatures).to_contain_text("in Gent, by Signer in Gent, data protection officer")
    check_accessibility(page)
    page = sofie.open(f"{agreement_url}/annexes")
    expect(page.get_by_role("heading", name="Annex 2: security measures")).to_be_visible()
    check_accessibility(page)

    # Sofie wants subprocessor changes by mail: she is her organisation's contact for them.
    page = sofie.open("/organisation/contacts")
    page.get_by_label("E-mail address (optional)").fill(sofie.email)
    page.get_by_label("Subprocessor changes").check()
    page.get_by_role("button", name="Add contact").click()
    no_problem(page)

    # -- Lotte announces a subprocessor: it reaches Sofie's agreement with a deadline (DPA-5) ---
    mails_before = len(console_platform.mails_to(sofie.email))
    page = lotte.open("/agreements")
    page.get_by_role("link", name="Announce a subprocessor change").click()
    check_accessibility(page)
    page.get_by_label("Name of the subprocessor").fill(f"Datacenter Noord {stamp}")
    page.get_by_label("What it does for you").fill("Hosting of the database")
    page.get_by_label("Where the data is processed").fill("Belgium, EU")
    page.get_by_label("Safeguard for a transfer outside the EU").fill("none needed (EU)")
    page.get_by_label("Personal data it processes").fill("contactgegevens")
    page.get_by_role("button", name="Announce the change").click()
    expect(page.get_by_text("The change is announced to every controller below.")).to_be_visible()
    reached = page.get_by_role("row", name=re.compile(f"Gemeente Zonnedorp {stamp}"))
    expect(reached).to_contain_text("left")
    change_url = page.url.split("?")[0].removeprefix(console_platform.url())
    check_accessibility(page)

    # -- Sofie opens the change from her mail, sees the deadline and objects with a reason ------
    mail = console_platform.wait_for_mail(
        sofie.email, containing="/subprocessor-notices/", after=mails_before, within=60
    )
    found = NOTICE_LINK.search(text_of(mail))
    assert found, text_of(mail)
    notice_url = found.group(0).removeprefix(console_platform.url())
    assert notice_url.startswith(agreement_url)
    page = sofie.open(notice_url)
    expect(
        page.get_by_role("heading", name=re.compile("wants to add Datacenter Noord"))
    ).to_be_visible()
    deadline = page.locator(".deadline-box")
    expect(deadline).to_contain_text("You can object by")
    expect(deadline).to_contain_text("(Brussels time)")
    expect(deadline).to_contain_text("days")
    expect(deadline).to_contain_text("left")
    check_accessibility(page)
    page.get_by_role("button", name="Object", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Give the reason for your objection.")
    check_accessibility(page)
    page.get_by_label("Reason for your objection").fill("Our data stays with our own supplier.")
    shot(page, screenshots, "object-subprocessor")
    page.get_by_role("button", name="Object", exact=True).click()
    expect(page.get_by_text("Your objection is recorded.")).to_be_visible()
    expect(page.get_by_text("Our data stays with our own supplier.")).to_be_visible()
    page = sofie.open(f"{agreement_url}/subprocessors")
    expect(page.get_by_role("row", name=re.compile("Datacenter Noord"))).to_contain_text("objected")
    expect(page.get_by_role("heading", name="Listed when the agreement was signed")).to_be_visible()
    expect(page.get_by_text("The signed agreement lists no subprocessors.")).to_be_visible()
    check_accessibility(page)

    # -- Lotte records how she closed the objection; Sofie reads it (DPA-5) --------------------
    page = lotte.open(notice_url)
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose how the objection was closed.")
    check_accessibility(page)
    page.get_by_label(
        "This controller's processing runs where the subprocessor plays no part"
    ).check()
    page.get_by_label("Note for the controller (optional)").fill(
        "Your data stays in our Gent room."
    )
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.get_by_text("The controller sees how the objection was closed.")).to_be_visible()
    expect(page.get_by_role("button", name="Record the outcome")).to_have_count(0)
    # -- and records her agreement with the subprocessor, which Sofie reads (DPA-17) ---------
    page = lotte.open(change_url)
    page.get_by_role("button", name="Record the agreement").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Enter its reference.")
    expect(alert).to_contain_text("It must impose the same obligations as your agreements")
    check_accessibility(page)
    page.get_by_label("Date it was signed").fill("2026-11-20")
    page.get_by_label("Its reference").fill(f"SUB-{stamp}")
    page.get_by_label("Guarantees it gives").fill("ISO 27001, encryption at rest, audit right")
    page.get_by_label("It imposes the same obligations as my agreements").check()
    page.get_by_label("Personal data goes outside the EEA").check()
    page.get_by_label("Countries outside the EEA").fill("Switzerland")
    page.get_by_label("Basis of the transfer").fill("adequacy decision")
    page.get_by_role("button", name="Record the agreement").click()
    expect(page.get_by_text("Your controllers see your agreement with")).to_be_visible()
    page = sofie.open(notice_url)
    expect(page.locator("dd").filter(has_text=f"reference SUB-{stamp}")).to_contain_text(
        "transfer outside the EEA to Switzerland on the basis of adequacy decision"
    )
    closed = page.locator("dd").filter(has_text="Your data stays in our Gent room.")
    expect(closed).to_contain_text("moved where this subprocessor plays no part")
    expect(page.get_by_role("button", name="Record the outcome")).to_have_count(0)
    check_accessibility(page)

    # -- Lotte keeps the staff list and records a disclosure (DPA-8, DPA-4a) ---------------------
    page = lotte.open(f"{agreement_url}/staff")
    page.get_by_role("button", name="Add to the list").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the person's or department's name.")
    page.get_by_label("Name of the person or department").fill("Jan Peeters")
    page.get_by_label("Function", exact=True).fill("Support engineer")
    page.get_by_label("Date the confidentiality commitment was signed").fill("2026-11-02")
    page.get_by_label("They were informed of the GDPR and of their duties").check()
    page.get_by_role("button", name="Add to the list").click()
    expect(page.get_by_text("Added to the list of staff with access.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Jan Peeters"))).to_be_visible()
    check_accessibility(page)

    page = lotte.open(f"{agreement_url}/disclosures")
    page.get_by_label("Authority that demands the data").fill("Federale politie")
    page.get_by_label("Legal basis of the demand").fill("Wetboek van strafvordering art. 46bis")
    page.get_by_label("Which data the demand covers").fill("Contact details of one citizen")
    page.get_by_role("button", name="Record the demand").click()
    expect(page.get_by_text("The demand is recorded.")).to_be_visible()
    disclosure_url = page.url.split("?")[0].removeprefix(console_platform.url())
    check_accessibility(page)

    page = sofie.open(f"{agreement_url}/staff")
    expect(page.get_by_role("row", name=re.compile("Jan Peeters"))).to_be_visible()
    page = sofie.open(f"{agreement_url}/disclosures")
    page.get_by_role("link", name="Federale politie").click()
    expect(page.get_by_role("heading", name="Demand by Federale politie")).to_be_visible()
    check_accessibility(page)

    # -- Sofie issues an instruction; Lotte acknowledges it (DPA-1) ------------------------------
    page = sofie.open(f"{agreement_url}/instructions")
    page.get_by_role("button", name="Issue the instruction").click()
    expect(page.get_by_role("alert")).to_contain_text("Write the instruction.")
    page.get_by_label("Instruction", exact=True).fill("Delete appointment data after 365 days.")
    page.get_by_role("button", name="Issue the instruction").click()
    expect(page.get_by_text("The instruction is issued.")).to_be_visible()
    check_accessibility(page)

    page = lotte.open(f"{agreement_url}/instructions")
    row = page.get_by_role("row", name=re.compile("Delete appointment data"))
    row.get_by_role("button", name=re.compile("Acknowledge")).click()
    expect(page.get_by_text("The instruction is acknowledged.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Delete appointment data"))).to_contain_text(
        "acknowledged"
    )
    check_accessibility(page)

    # -- Lotte flags an instruction as infringing the GDPR; Sofie amends it (DPA-14) -------------
    page = sofie.open(f"{agreement_url}/instructions")
    page.get_by_label("Instruction", exact=True).fill("Send every booking to the police weekly.")
    page.get_by_role("button", name="Issue the instruction").click()
    expect(page.get_by_text("The instruction is issued.")).to_be_visible()
    page = lotte.open(f"{agreement_url}/instructions")
    page.get_by_role("button", name="Flag it and put it on hold").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Choose the instruction.")
    expect(alert).to_contain_text("Say why it infringes the GDPR.")
    check_accessibility(page)
    page.get_by_label("Instruction", exact=True).select_option(
        label="2: Send every booking to the police weekly."
    )
    page.get_by_label("Why it infringes the GDPR").fill("No legal basis for a bulk transfer.")
    page.get_by_role("button", name="Flag it and put it on hold").click()
    expect(page.get_by_text("The instruction is on hold. The controller is told.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("police"))).to_contain_text("on hold")
    page = sofie.open(f"{agreement_url}/instructions")
    expect(page.get_by_role("heading", name="Instruction 2 is on hold")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Amend it: a new instruction replaces it").check()
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_role("alert")).to_contain_text("Write the new instruction.")
    page.get_by_label("Amend it: a new instruction replaces it").check()
    page.get_by_label("The new instruction (only to amend)").fill(
        "Answer police demands one by one, as the law requires."
    )
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_text("Your answer is recorded. The processor is told.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("police weekly"))).to_contain_text(
        "The controller replaced it"
    )
    expect(page.get_by_role("row", name=re.compile("one by one"))).to_contain_text(
        "Replaces instruction 2"
    )
    check_accessibility(page)

    # -- the other tabs and the evidence report open for both parties ---------------------------
    for path in ("/breaches", "/end", "/report"):
        page = sofie.open(agreement_url + path)
        no_problem(page)
        check_accessibility(page)
    expect(page.get_by_role("heading", name="Compliance evidence report")).to_be_visible()
    expect(page.get_by_text("Delete appointment data after 365 days.")).to_be_visible()

    # The same pages speak Dutch and French to those who choose it.
    page = sofie.open(agreement_url)
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("link", name="Bijlagen")).to_be_visible()
    expect(page.locator(".agreement-parties")).to_contain_text("Verwerkingsverantwoordelijke")
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("link", name="Sous-traitants ultérieurs")).to_be_visible()
    page.get_by_role("button", name="English").click()

    # -- a third organisation's admin finds none of it --------------------------------------------
    stranger, _ = admin_of(
        console_platform, browser, f"Gemeente Elders {stamp}", "controller", "eva"
    )
    page = stranger.open("/agreements")
    expect(page.get_by_role("link", name=title)).to_have_count(0)
    for path in (
        agreement_url,
        *(
            f"{agreement_url}{tab}"
            for tab in (
                "/annexes", "/versions", "/instructions", "/subprocessors", "/breaches",
                "/staff", "/disclosures", "/end", "/report", "/sign", "/draft", "/amend",
                "/measures/TOM-T1",
            )
        ),
        notice_url,
        disclosure_url,
        change_url,
        f"/agreements/{agreement_id}/export",
        "/agreements/not-an-id",
    ):  # fmt: skip
        page = stranger.open(path)
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.get_by_text(title)).to_have_count(0)
    check_accessibility(page)
    for context in (sofie, lotte, stranger):
        context.context.close()


def draft_signed_and_active(
    platform: ConsolePlatform, lotte: Person, sofie: Person, controller_id: str, title: str
) -> str:
    """Lotte drafts with Sofie's organisation, both sign, Sofie activates: the agreement's path."""
    agreement_url = draft_and_signed(platform, lotte, sofie, controller_id, title)
    sofie.page.get_by_role("button", name="Activate the agreement").click()
    expect(sofie.page.get_by_text("The agreement is active.")).to_be_visible()
    return agreement_url


def draft_and_signed(
    platform: ConsolePlatform, lotte: Person, sofie: Person, controller_id: str, title: str
) -> str:
    """Lotte drafts with Sofie's organisation and both sign: signed, not yet active."""
    page = lotte.open("/agreements/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("The controller's organisation number").fill(controller_id)
    fill_annex1(page)
    save_draft(page)
    agreement_url = page.url.split("?")[0].removeprefix(platform.url())
    sign(lotte, agreement_url)
    sign(sofie, agreement_url)
    return agreement_url


def test_an_amendment_shows_what_changed_and_the_end_issues_a_certificate__DPA_1_DPA_6_DPA_13(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    stamp = unique_email("x").split("@")[0][-8:]
    sofie, controller_id = admin_of(
        console_platform, browser, f"Gemeente Heidedorp {stamp}", "controller", "sofie"
    )
    lotte, _ = admin_of(console_platform, browser, f"Hostwerk NV {stamp}", "processor", "lotte")
    agreement_url = draft_signed_and_active(
        console_platform, lotte, sofie, controller_id, f"Verwerkersovereenkomst {stamp}"
    )

    # Lotte states a measure of Annex 2; in place needs evidence (DPA-6).
    page = lotte.open(f"{agreement_url}/annexes")
    page.get_by_role("link", name="Record status TOM-T1", exact=True).click()
    page.get_by_label("Where this measure stands").select_option("implemented")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("a measure in place needs evidence")
    check_accessibility(page)
    page.get_by_label("Evidence").fill("Retention procedure P-12, reviewed 2026-11")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The measure is updated.")).to_be_visible()
    expect(page.locator("#measure-TOM-T1")).to_contain_text("Retention procedure P-12")

    # Lotte proposes an amendment; both see what changed side by side, both sign it (DPA-1).
    page = lotte.open(f"{agreement_url}/amend")
    check_accessibility(page)
    page.get_by_label("Why the agreement changes").fill("The module now also sends reminders")
    page.get_by_label("Purpose", exact=True).fill("Citizens book appointments and get reminders")
    page.get_by_role("button", name="Propose the amendment").click()
    expect(page.get_by_text("The amendment is proposed.")).to_be_visible()
    change = page.get_by_role("row", name=re.compile("Purpose"))
    expect(change.locator(".before")).to_have_text("Citizens book appointments with the town hall")
    expect(change.locator(".after")).to_have_text("Citizens book appointments and get reminders")
    check_accessibility(page)
    sign(lotte, agreement_url)
    sign(sofie, agreement_url)
    page = sofie.open(f"{agreement_url}/versions")
    expect(page.get_by_role("heading", name=re.compile("Version 2 in force"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Version 1 replaced"))).to_be_visible()
    shot(page, screenshots, "agreement-versions")

    # Sofie ends the agreement after checking, takes the export, has the data destroyed (DPA-13).
    page = sofie.open(f"{agreement_url}/end")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why the agreement ends.")
    page.get_by_label("Why the agreement ends").fill("The main contract ends")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check before you terminate")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Terminate the agreement").click()
    expect(page.get_by_text("The agreement is terminated.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the export (ZIP)").click()
    assert download.value.suggested_filename.endswith(".zip")
    page.get_by_label("Destroyed").check()
    page.get_by_role("button", name="Continue").click()
    expect(
        page.get_by_role("heading", name="Check before the data is returned or destroyed")
    ).to_be_visible()
    page.get_by_role("button", name="Confirm and close the agreement").click()
    expect(page.get_by_text("The agreement is closed and the certificate issued.")).to_be_visible()
    expect(page.get_by_role("heading", name="Certificate of return or destruction")).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "agreement-end")
    for person in (sofie, lotte):
        person.context.close()
