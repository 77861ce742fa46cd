"""The audit-log viewer in Chromium: the controller's auditor filters the log to what the
processor did, opens an entry whose proof the console checks, exports the log and verifies the
export offline with pactum's own command; nobody else opens those entries (TOM-T3a, TOM-T3b,
TOM-T3c, TOM-T4, DPA-11)."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.console.people import Person, check_accessibility, shot
from tests.console.platform import ConsolePlatform, unique_email
from tests.console.test_breaches import NOT_FOUND, eventually, parties, stranger_of

pytestmark = pytest.mark.timeout(300)


def test_the_auditor_filters_to_supplier_interventions_checks_an_entry_and_verifies_the_export__TOM_T3b_TOM_T3c_DPA_11(  # noqa: E501
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path, tmp_path: Path
) -> None:
    scene = parties(console_platform, browser, "Heuvelrijk")
    agreement = f"/agreements/{scene.agreement_id}"
    # The processor reads the controller's agreement: a supplier intervention in its log.
    scene.processor.call("GET", "agreements", agreement)
    koen = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("auditor"))
    scene.controller.call(
        "POST",
        "identity",
        "/users",
        json={"email": koen.email, "role": "auditor", "display_name": "Koen Verbeke"},
        expect=201,
    )
    koen.accept_invitation(enrol=False)
    member = Person(console_platform, browser.new_context(locale="en-GB"), unique_email("clerk"))
    scene.controller.call(
        "POST", "identity", "/users", json={"email": member.email, "role": "member"}, expect=201
    )
    member.accept_invitation(enrol=False)

    def processor_read() -> Any:
        found = scene.controller.call(
            "GET",
            "audit",
            "/audit/entries",
            params={"supplier_only": "true", "action": "dpa.agreements.agreement.viewed"},
        )
        return found["items"]

    eventually(processor_read, "the processor's read reached the controller's log")

    page = koen.open("/audit")
    expect(page.get_by_role("heading", name="Audit log", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Audit log", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    check_accessibility(page)
    shot(page, screenshots, "audit-log")

    # What the supplier did: the processor's reads of the agreement, each visibly tagged.
    page.get_by_text("Filter the log").click()
    page.get_by_label("Only what the supplier did (supplier interventions)").check()
    page.get_by_label("What happened").select_option(label="Agreements read")
    page.get_by_role("button", name="Show entries").click()
    assert "supplier=yes" in page.url and "action=agreement-reads" in page.url
    rows = page.locator("table.audit-table tbody tr")
    expect(rows.first).to_be_visible()
    for row in rows.all():
        expect(row.get_by_text("supplier intervention", exact=True)).to_be_visible()
        expect(row).to_contain_text(
            f"Someone at {scene.names['processor']} (supplier intervention) viewed the agreement"
        )
        expect(row).to_contain_text(f"someone at {scene.names['processor']}")
    check_accessibility(page)

    # The organisation's own people are named: the DPO's sign-in.
    page = koen.open("/audit")
    page.get_by_text("Filter the log").click()
    page.get_by_label("Who did it").select_option(label=scene.dpo.email)
    page.get_by_label("What happened").select_option(label="Sign-ins")
    page.get_by_role("button", name="Show entries").click()
    expect(page.locator("table.audit-table tbody tr").first).to_contain_text(scene.dpo.email)

    # Each entry reads as a sentence naming its person, in the reader's language.
    page = koen.open("/audit")
    page.get_by_text("Filter the log").click()
    page.get_by_label("Who did it").select_option(label="Koen Verbeke")
    page.get_by_label("What happened").select_option(label="Sign-ins")
    page.get_by_role("button", name="Show entries").click()
    signed_in = page.locator("table.audit-table tbody tr").first
    expect(signed_in).to_contain_text(f"Koen Verbeke ({scene.names['controller']}) signed in.")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.locator("table.audit-table")).to_contain_text(
        f"Koen Verbeke ({scene.names['controller']}) meldde zich aan."
    )
    check_accessibility(page)
    page.get_by_role("button", name="Français").click()
    expect(page.locator("table.audit-table")).to_contain_text(
        f"Koen Verbeke ({scene.names['controller']}) s'est connecté."
    )
    page.get_by_role("button", name="English").click()

    # A date that is no date: said on the form, nothing crashes.
    page = koen.open("/audit?since=31-31-2026&supplier=yes")
    expect(page.get_by_role("alert")).to_contain_text("Enter the start date as a date")
    check_accessibility(page)

    # One of the processor's reads, its proof checked by the console against the checkpoint.
    page = koen.open("/audit?supplier=yes&action=agreement-reads")
    page.locator("table.audit-table tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="An agreement was read")).to_be_visible()
    entry_path = page.url.removeprefix(console_platform.url())
    proof = page.locator("section", has=page.get_by_role("heading", name="Is this entry in"))
    expect(proof.get_by_text("verified", exact=True)).to_be_visible()
    expect(proof).to_contain_text("Its audit path leads to the root of the signed tree")
    whole = page.locator("section", has=page.get_by_role("heading", name="Does the whole log"))
    whole.get_by_role("link", name="Check the whole log now").click()
    whole = page.locator("section", has=page.get_by_role("heading", name="Does the whole log"))
    expect(whole.get_by_text("verified", exact=True)).to_be_visible()
    expect(page.get_by_text("supplier intervention").first).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "audit-entry")

    # The export, streamed through the console, verifies offline against the pinned keys.
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
    header = json.loads(export.read_text().splitlines()[0])
    assert header["format"] == "pactum-audit-export/1"
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
    with page.expect_download() as done:
        page.get_by_role("link", name="Download as CSV (for a spreadsheet)").click()
    spreadsheet = tmp_path / "audit-log.csv"
    done.value.save_as(spreadsheet)
    assert spreadsheet.read_text().splitlines()[0].startswith("time,actor,organisation,action")

    # The processor's checkpoint, as a signed note to pin, verified with pactum-verify alone.
    with page.expect_download() as done:
        page.get_by_role(
            "link", name=f"Checkpoint of the log of {scene.names['processor']}"
        ).click()
    note = tmp_path / "processor-checkpoint.txt"
    done.value.save_as(note)
    pinned = subprocess.run(
        [
            sys.executable,
            "-m",
            "pactum_verify",
            "note",
            str(note),
            "--key",
            json.loads(keys.read_text())["note_verifier_key"],
            "--origin",
            f"pactum.localhost/audit/{scene.processor_id}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert json.loads(pinned.stdout)["tree_size"] >= 1

    # Older entries come a page at a time, by the log's cursor (no count of the whole log).
    page = koen.open("/audit")
    first_page = page.locator("table.audit-table tbody tr a").evaluate_all(
        "links => links.map(link => Number(link.getAttribute('href').split('/').pop()))"
    )
    assert first_page == sorted(first_page, reverse=True)
    page.get_by_role("link", name="Older entries").click()
    expect(page.get_by_role("heading", name="Older entries")).to_be_visible()
    older = page.locator("table.audit-table tbody tr a").evaluate_all(
        "links => links.map(link => Number(link.getAttribute('href').split('/').pop()))"
    )
    assert older and max(older) < min(first_page)
    check_accessibility(page)
    page.get_by_role("link", name="Newest entries").click()
    expect(page.get_by_role("heading", name="Newest entries")).to_be_visible()

    # The auditor changes nothing: no breach report, no phases.
    koen.open("/breaches/new")
    expect(koen.page.get_by_role("heading", name=NOT_FOUND)).to_be_visible()

    # Nobody of another organisation, and not the processor either, opens that entry.
    stranger = stranger_of(console_platform, browser)
    for person in (stranger, scene.support):
        person.open(entry_path)
        expect(person.page.get_by_role("heading", name=NOT_FOUND)).to_be_visible()
    for path in (f"/audit/checkpoints/{scene.processor_id}.txt", "/audit/checkpoints/x.txt"):
        stranger.open(path)  # the processor's checkpoint is for its customers, not for anyone
        expect(stranger.page.get_by_role("heading", name=NOT_FOUND)).to_be_visible()
    stranger.open("/audit/entries/not-a-position")
    expect(stranger.page.get_by_role("heading", name=NOT_FOUND)).to_be_visible()
    stranger.open("/audit?supplier=yes&action=agreement-reads")
    expect(stranger.page.get_by_text("No entries match these filters.")).to_be_visible()
    check_accessibility(stranger.page)
    stranger.context.close()
    # A colleague without the admin or auditor role does not read the log.
    for path in ("/audit", entry_path, "/audit/export"):
        member.open(path)
        expect(member.page.get_by_role("heading", name=NOT_FOUND)).to_be_visible()
    member.context.close()
    koen.context.close()
    scene.close()
