"""The seed contract's story, told by its people in Chromium and through the console alone.

UTOPIA (a controller; Sofie, its DPO, reads pactum in Dutch) and iBeauty BVBA (a processor;
Lotte, its admin) each secure their account from the mailed invitation with an authenticator app.
Lotte drafts the verwerkersovereenkomst with UTOPIA's organisation number, both check and sign
it, Sofie activates it and names herself the contact for subprocessor changes and breaches.
iBeauty announces a subprocessor; Sofie follows her mail to the change, reads the objection
deadline in Brussels time and objects with a reason. iBeauty reports a breach, art. 33(3) in
full, after seeing which controllers will be told; Sofie follows her mail to the breach, reads
her 72 hours and the time left, and acknowledges receipt. Koen, the auditor Sofie invites, finds
iBeauty's reads flagged as supplier interventions, checks an entry's proof, exports the log and
verifies the export offline. A third organisation's admin opens every page of the story and
finds none of it.

Nobody under test calls an API: the operator's command line makes the organisations and their
first admins, as it does in production; everything else is done on the pages.
"""

import json
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from services.console.language import ZONE_SAID, translations
from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, text_of, unique_email
from tests.console.test_agreements import (
    NOTICE_LINK,
    admin_of,
    fill_annex1,
    no_problem,
    save_draft,
    sign,
)
from tests.console.test_breaches import NOT_FOUND, brussels_now, link_to, stranger_of

DUTCH = translations("nl")
dutch = DUTCH.gettext


def before_placeholder(message: str) -> str:
    """The Dutch words of ``message`` up to its first placeholder, as a page shows them."""
    return dutch(message).split("%(")[0].strip()


def dutch_time_left() -> re.Pattern[str]:
    """ "nog 2 dagen 23 uur": how long is left, as the catalogue words it in Dutch."""

    def unit(singular: str, plural: str) -> str:
        words = {DUTCH.ngettext(singular, plural, n).replace("%(num)d", "").strip() for n in (1, 2)}
        return r"\d+ (?:" + "|".join(re.escape(word) for word in sorted(words)) + ")"

    span = unit("%(num)d day", "%(num)d days") + " " + unit("%(num)d hour", "%(num)d hours")
    return re.compile(re.escape(dutch("%(span)s left")).replace(re.escape("%(span)s"), span))


BRUSSELS_TIME_NL = f"({ZONE_SAID['nl']})"
LONG_DUTCH_MOMENT = re.compile(r"\w+ \d{1,2} \w+ \d{4}, \d\d:\d\d " + re.escape(BRUSSELS_TIME_NL))


def dpo_of(platform: ConsolePlatform, browser: Browser, organisation: str) -> Person:
    """Sofie: her browser speaks Dutch; she sets up her account in English, then secures it."""
    sofie = Person(platform, browser.new_context(locale="nl-BE"), unique_email("sofie"))
    page = sofie.open("/sign-in")
    expect(page.get_by_role("heading", name=dutch("Sign in to pactum"))).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Sign in to pactum")).to_be_visible()
    platform.invite_first_admin(organisation, sofie.email)
    page = sofie.accept_invitation(enrol=True)
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    assert sofie.recovery_codes, "Sofie keeps her recovery codes"
    check_accessibility(page)
    return sofie


def report_the_breach(page: Page, category: str) -> None:
    """Lotte fills in every field art. 33(3) GDPR asks for, then goes on to check her answers."""
    page.get_by_label("When you became aware of the breach (Brussels time)").fill(
        brussels_now(timedelta(hours=2))
    )
    page.get_by_label("What happened").fill(
        "Een back-up met afspraakgegevens stond publiek leesbaar"
    )
    page.get_by_label(category, exact=True).check()
    page.get_by_label("Categories of people concerned (one per line)").fill("burgers")
    page.get_by_label("Approximate number of people concerned").fill("420")
    page.get_by_label("Approximate number of records concerned").fill("1300")
    page.get_by_label("Likely consequences").fill(
        "Namen en afspraakmomenten konden worden ingezien"
    )
    page.get_by_label("Measures taken or proposed").fill(
        "Toegang ingetrokken, sleutels vervangen, logs nagekeken"
    )
    page.get_by_label("Contact point for more information").fill(
        "Lotte, iBeauty BVBA, +32 2 555 01 01"
    )
    page.get_by_role("button", name="Continue").click()


@pytest.mark.timeout(600)
def test_the_seed_story_runs_from_signature_to_a_verified_export_in_the_browser__DPA_1_DPA_5_DPA_11_TOM_O4_TOM_T3b_TOM_T3c(  # noqa: E501
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path, tmp_path: Path
) -> None:
    platform = console_platform
    stamp = unique_email("x").split("@")[0][-8:]
    utopia, ibeauty = f"UTOPIA {stamp}", f"iBeauty BVBA {stamp}"

    # -- 1. Both parties secure their accounts from the mailed invitations ---------------------
    utopia_id = platform.new_organisation(utopia, "controller")
    sofie = dpo_of(platform, browser, utopia_id)
    lotte, _ibeauty_id = admin_of(platform, browser, ibeauty, "processor", "lotte")
    assert lotte.authenticator is not None and lotte.recovery_codes
    check_accessibility(lotte.page)

    # -- 2. Lotte drafts with UTOPIA's number; both check and sign; Sofie activates (DPA-1) -----
    page = sofie.open("/agreements")
    expect(page.locator(".organisation-number")).to_have_text(utopia_id)
    check_accessibility(page)

    title = f"Verwerkersovereenkomst UTOPIA - iBeauty BVBA {stamp}"
    page = lotte.open("/agreements")
    page.get_by_role("link", name="Draft a new agreement").click()
    check_accessibility(page)
    page.get_by_label("Title").fill(title)
    page.get_by_label("The controller's organisation number").fill(utopia_id)
    page.get_by_label("Days to object to a new subprocessor").fill("30")
    fill_annex1(page)
    save_draft(page, attempts=40)
    agreement_url = page.url.split("?")[0].removeprefix(platform.url())
    expect(page.locator(".agreement-parties")).to_contain_text(utopia)
    check_accessibility(page)
    sign(lotte, agreement_url)

    page = sofie.open(agreement_url)
    page.get_by_role("link", name="Check and sign").click()
    expect(page.get_by_role("heading", name="Check before you sign")).to_be_visible()
    expect(page.get_by_text(ibeauty).first).to_be_visible()
    shot(page, screenshots, "seed-signing")
    sign(sofie, agreement_url)
    page = sofie.page
    page.get_by_role("button", name="Activate the agreement").click()
    expect(page.get_by_text("The agreement is active.")).to_be_visible()
    expect(page.locator(".agreement-parties")).to_contain_text("active")
    check_accessibility(page)

    # Sofie is the contact for subprocessor changes and breaches (USE-3).
    page = sofie.open("/organisation/contacts")
    check_accessibility(page)
    page.get_by_label("E-mail address (optional)").fill(sofie.email)
    inbox = page.get_by_label("Also in the pactum inbox of (optional)")
    mine = inbox.locator("option", has_text=sofie.email).get_attribute("value")
    assert mine
    inbox.select_option(mine)  # in her pactum inbox too, where she acknowledges receipt
    page.get_by_label("Subprocessor changes").check()
    page.get_by_label("Personal data breaches").check()
    page.get_by_role("button", name="Add contact").click()
    no_problem(page)
    expect(page.get_by_role("row", name=re.compile(re.escape(sofie.email)))).to_be_visible()
    check_accessibility(page)

    # -- 3. iBeauty announces a subprocessor; Sofie objects, in Dutch, before the deadline (DPA-5)
    subprocessor = f"Hosting NV {stamp}"
    mails = len(platform.mails_to(sofie.email))
    page = lotte.open("/agreements")
    page.get_by_role("link", name="Announce a subprocessor change").click()
    check_accessibility(page)
    page.get_by_label("Name of the subprocessor").fill(subprocessor)
    page.get_by_label("What it does for you").fill("managed PostgreSQL hosting")
    page.get_by_label("Where the data is processed").fill("Frankfurt, DE")
    page.get_by_label("Safeguard for a transfer outside the EU").fill("none needed (EEA)")
    page.get_by_label("Personal data it processes").fill("contactgegevens\nafspraakgegevens")
    page.get_by_role("button", name="Announce the change").click()
    expect(page.get_by_text("The change is announced to every controller below.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(re.escape(utopia)))).to_contain_text("left")
    change_url = page.url.split("?")[0].removeprefix(platform.url())
    check_accessibility(page)

    page = sofie.page
    page.get_by_role("button", name="Nederlands").click()  # her own language from here on
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    mail = platform.wait_for_mail(
        sofie.email, containing="/subprocessor-notices/", after=mails, within=60
    )
    found = NOTICE_LINK.search(text_of(mail))
    assert found, text_of(mail)
    notice_url = found.group(0).removeprefix(platform.url())
    assert notice_url.startswith(agreement_url)
    page = sofie.open(found.group(0))
    wants = dutch("The processor wants to add %(name)s as a subprocessor") % {"name": subprocessor}
    expect(page.get_by_role("heading", name=wants)).to_be_visible()
    deadline = page.locator(".deadline-box")
    expect(deadline).to_contain_text(before_placeholder("You can object by %(when)s"))
    expect(deadline).to_contain_text(LONG_DUTCH_MOMENT)
    expect(deadline).to_contain_text(dutch_time_left())
    check_accessibility(page)
    objection = page.get_by_role("button", name=dutch("Object"), exact=True)
    objection.click()  # without a reason: asked for, nothing recorded
    expect(page.get_by_role("alert")).to_contain_text(dutch("Give the reason for your objection."))
    check_accessibility(page)
    reason = "Geen verwerking buiten België zonder voorafgaand overleg"
    page.get_by_label(dutch("Reason for your objection")).fill(reason)
    shot(page, screenshots, "seed-objection")
    page.get_by_role("button", name=dutch("Object"), exact=True).click()
    expect(
        page.get_by_text(dutch("Your objection is recorded. The processor is told."))
    ).to_be_visible()
    expect(page.get_by_text(reason)).to_be_visible()
    check_accessibility(page)
    page = sofie.open(f"{agreement_url}/subprocessors")
    expect(page.get_by_role("row", name=re.compile(re.escape(subprocessor)))).to_contain_text(
        dutch("objected")
    )
    check_accessibility(page)

    # -- 4. iBeauty reports a breach; Sofie reads her 72 hours and acknowledges (TOM-O4) --------
    mails = len(platform.mails_to(sofie.email))
    page = lotte.open("/breaches")
    check_accessibility(page)
    page.get_by_role("link", name="Report a breach").click()
    expect(page.get_by_role("heading", name="Report a personal data breach")).to_be_visible()
    check_accessibility(page)
    report_the_breach(page, "afspraakgegevens")
    expect(page.get_by_role("heading", name="Check your report before sending it")).to_be_visible()
    expect(page.get_by_role("cell", name=utopia)).to_be_visible()  # who will be told, first
    check_accessibility(page)
    page.get_by_role("button", name="Report the breach to these controllers").click()
    expect(page.get_by_text("The breach is reported.")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(re.escape(utopia)))).to_be_visible()
    check_accessibility(page)
    breach_url = "/breaches/" + page.url.split("/breaches/")[1].split("?")[0]

    link = link_to(platform, sofie.email, breach_url, after=mails)
    page = sofie.open(link)
    expect(page.get_by_role("heading", name=dutch("Personal data breach"), level=1)).to_be_visible()
    clock = page.locator(".breach-clock .deadline")
    expect(clock).to_contain_text(
        before_placeholder(
            "Notify the supervisory authority (the Data Protection Authority) by %(deadline)s, "
            "%(left)s."
        )
    )
    expect(clock).to_contain_text(LONG_DUTCH_MOMENT)
    expect(clock).to_contain_text(dutch_time_left())
    expect(
        page.get_by_text("Een back-up met afspraakgegevens stond publiek leesbaar")
    ).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "seed-breach-deadline")
    acknowledge = page.get_by_role("button", name=dutch("Acknowledge receipt"))
    for _attempt in range(40):  # the notice reaches her inbox with the mail
        if acknowledge.count():
            break
        time.sleep(0.5)
        page = sofie.open(breach_url)
        acknowledge = page.get_by_role("button", name=dutch("Acknowledge receipt"))
    acknowledge.click()
    expect(
        page.get_by_text(dutch("Acknowledged. The sender can see that you have read it."))
    ).to_be_visible()
    page = sofie.open(breach_url)
    expect(
        page.locator(".breach-clock").get_by_text(dutch("acknowledged"), exact=True)
    ).to_be_visible()
    check_accessibility(page)

    # -- 5. Koen, UTOPIA's auditor, finds iBeauty's reads and verifies the export (TOM-T3b/c) ---
    koen = Person(platform, browser.new_context(locale="en-GB"), unique_email("koen"))
    page = sofie.open("/organisation/users")
    check_accessibility(page)
    page.get_by_label(dutch("E-mail address"), exact=True).fill(koen.email)
    page.get_by_label(dutch("Name"), exact=True).fill("Koen Verbeke")
    page.get_by_label(dutch("auditor (read only)").capitalize(), exact=True).check()
    page.get_by_role("button", name=dutch("Send the invitation")).click()
    expect(page.get_by_role("status")).to_contain_text(
        dutch(
            "The invitation is on its way by e-mail. "
            "The person chooses their own password from the link."
        )
    )
    expect(page.get_by_role("row", name=re.compile("Koen Verbeke"))).to_contain_text(
        dutch("auditor (read only)")
    )
    check_accessibility(page)
    page = koen.accept_invitation(enrol=True)
    assert koen.authenticator is not None and koen.recovery_codes
    check_accessibility(page)

    supplier_reads = "/audit?supplier=yes&action=agreement-reads"
    page = koen.open("/audit")
    expect(page.get_by_role("heading", name="Audit log", exact=True)).to_be_visible()
    check_accessibility(page)
    page.get_by_text("Filter the log").click()
    page.get_by_label("Only what the supplier did (supplier interventions)").check()
    page.get_by_label("What happened").select_option(label="Agreements read")
    page.get_by_role("button", name="Show entries").click()
    assert "supplier=yes" in page.url and "action=agreement-reads" in page.url
    rows = page.locator("table.audit-table tbody tr")
    for _attempt in range(60):  # the log receives the reads from the event stream
        if rows.count():
            break
        time.sleep(0.5)
        page = koen.open(supplier_reads)
        rows = page.locator("table.audit-table tbody tr")
    expect(rows.first).to_be_visible()
    for row in rows.all():  # a sentence naming iBeauty's person and the intervention
        expect(row.get_by_text("supplier intervention", exact=True)).to_be_visible()
        expect(row).to_contain_text(re.compile(rf"{re.escape(ibeauty)}.*viewed the agreement"))
    check_accessibility(page)
    shot(page, screenshots, "seed-audit-flagged")

    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="An agreement was read")).to_be_visible()
    entry_url = page.url.removeprefix(platform.url())
    proof = page.locator("section", has=page.get_by_role("heading", name="Is this entry in"))
    expect(proof.get_by_text("verified", exact=True)).to_be_visible()
    expect(proof).to_contain_text("Its audit path leads to the root of the signed tree")
    expect(page.get_by_text("supplier intervention").first).to_be_visible()
    check_accessibility(page)

    page.get_by_role("link", name="Export the log and check it yourself").click()
    expect(page.get_by_role("heading", name="Export the audit log")).to_be_visible()
    check_accessibility(page)
    with page.expect_download() as done:
        page.get_by_role("link", name="Download as JSON Lines (to verify)").click()
    export = tmp_path / "audit-log.jsonl"
    done.value.save_as(export)
    with page.expect_download() as done:
        page.get_by_role("link", name="checkpoint-keys.json").click()
    keys = tmp_path / "checkpoint-keys.json"
    done.value.save_as(keys)
    lines = export.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "pactum-audit-export/1"
    leaves = [record["leaf"] for record in map(json.loads, lines[1:]) if "leaf" in record]
    assert any(  # iBeauty's reads of the agreement travel in the export, flagged
        leaf["supplier_intervention"]
        and leaf["event_type"].startswith("dpa.agreements.agreement.viewed")
        for leaf in leaves
    ), "the processor's reads are in the export"
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "deploy.operator",
            "verify-export",
            str(export),
            "--public-key",
            f"@{keys}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout.strip().splitlines()[-1])["valid"] is True

    # The console checks the whole log too. Only after the export: this page asks audit for the
    # entry's proof and the whole log's check at once, and on SQLite the two may each sign a
    # checkpoint of one size, which the export's verifier then refuses (see the report).
    page = koen.open(entry_url)
    whole = page.locator("section", has=page.get_by_role("heading", name="Does the whole log"))
    whole.get_by_role("link", name="Check the whole log now").click()
    whole = page.locator("section", has=page.get_by_role("heading", name="Does the whole log"))
    expect(whole.get_by_text("verified", exact=True)).to_be_visible()
    check_accessibility(page)

    # -- 6. A third organisation's admin opens every page of the story and finds nothing --------
    stranger = stranger_of(platform, browser)
    for path in (
        agreement_url,
        *(
            f"{agreement_url}{tab}"
            for tab in (
                "/annexes", "/versions", "/instructions", "/subprocessors", "/breaches",
                "/staff", "/disclosures", "/end", "/report", "/sign",
            )
        ),
        notice_url,
        change_url,
        breach_url,
        f"{breach_url}/phases/new",
        entry_url,
        f"{entry_url}?whole=1",
    ):  # fmt: skip
        page = stranger.open(path)
        expect(page.get_by_role("heading", name=NOT_FOUND)).to_be_visible()
        expect(page.get_by_text(title)).to_have_count(0)
        expect(page.get_by_text(subprocessor)).to_have_count(0)
    check_accessibility(page)
    for person in (sofie, lotte, koen, stranger):
        person.context.close()
