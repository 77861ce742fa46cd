"""The evidence pack for an audit (DPA-11), in Chromium.

Sofie (the municipality's DPO) picks a period on the agreement's Evidence pack tab, opens the
printable document and downloads the pack as JSON; every inclusion proof in it verifies with
pactum-verify against the checkpoint key fetched from the audit service, not from the pack. Her
supervision of Annex 2 (DPA-18) and the notice of a measure's changed status are in it. A
stranger gets neither the page nor the JSON.
"""

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pactum_verify.keys import key_set_of
from pactum_verify.proofs import verify_inclusion_proof
from playwright.sync_api import Browser, Page, expect

from tests.console.people import check_accessibility
from tests.console.platform import ConsolePlatform, unique_email
from tests.console.test_agreements import admin_of, draft_signed_and_active

pytestmark = pytest.mark.timeout(300)


def _pack(page: Page, url: str, *, proofs_at_least: int) -> dict[str, Any]:
    """The JSON pack, fetched with the person's session, once the log has the entries asked."""
    for _attempt in range(60):
        answer = page.request.get(url)
        assert answer.status == 200, answer.text()
        assert "attachment" in answer.headers["content-disposition"]
        pack: dict[str, Any] = answer.json()
        if len(pack["audit"]["proofs"]) >= proofs_at_least and pack["notice_deliveries"]:
            return pack
        time.sleep(0.5)
    raise AssertionError(f"the pack never held {proofs_at_least} proofs and a delivery")


def test_dpa_11_the_evidence_pack_holds_the_records_and_proofs_that_verify_offline(
    console_platform: ConsolePlatform, browser: Browser
) -> None:
    stamp = unique_email("x").split("@")[0][-8:]
    sofie, controller_id = admin_of(
        console_platform, browser, f"Gemeente Bosdorp {stamp}", "controller", "sofie"
    )
    lotte, _ = admin_of(console_platform, browser, f"Dossierwerk BV {stamp}", "processor", "lotte")
    title = f"Verwerkersovereenkomst Bosdorp {stamp}"
    agreement_url = draft_signed_and_active(console_platform, lotte, sofie, controller_id, title)
    # The console's days are Brussels days: the machine's own date is a day behind after
    # midnight in Brussels, and the pack would then leave today's entries out.
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Brussels")).date()

    # Lotte states a measure (Sofie is told); Sofie records her own measure.
    page = lotte.open(f"{agreement_url}/measures/TOM-T5")
    page.get_by_label("Where this measure stands").select_option("implemented")
    page.get_by_label("Evidence").fill("Lockout after 5 attempts, policy v3")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The measure is updated.")).to_be_visible()
    page = sofie.open(f"{agreement_url}/supervision")
    page.get_by_label("The measure", exact=True).fill("Quarterly access review")
    page.get_by_role("button", name="Record the measure").click()
    expect(page.get_by_text("Your measure is recorded.")).to_be_visible()

    # A period the wrong way round is refused with a clear message.
    later = (today + timedelta(days=1)).isoformat()
    page = sofie.open(f"{agreement_url}/evidence-pack?from={later}&to={today.isoformat()}")
    expect(page.get_by_role("alert")).to_contain_text("start on or before the day it ends")

    page = sofie.open(f"{agreement_url}/evidence-pack")
    page.get_by_label("First day").fill((today - timedelta(days=30)).isoformat())
    page.get_by_label("Last day").fill(today.isoformat())
    page.get_by_role("button", name="Show the pack for this period").click()
    expect(page.get_by_role("link", name="Open the printable document")).to_be_visible()
    check_accessibility(page)
    query = f"from={(today - timedelta(days=30)).isoformat()}&to={today.isoformat()}"
    base = console_platform.url()
    pack = _pack(page, f"{base}{agreement_url}/evidence-pack.json?{query}", proofs_at_least=4)

    # Every proof leads to the signed checkpoint under the key the audit service publishes.
    pinned = httpx.get(f"{console_platform.url('audit')}/audit/checkpoint-key", timeout=10).json()
    keys = key_set_of(pinned)
    leaves = {entry["log_index"]: entry["leaf_hash"] for entry in pack["audit"]["entries"]}
    for proof in pack["audit"]["proofs"]:
        assert verify_inclusion_proof(proof, keys).valid, proof["log_index"]
        assert proof["leaf_hash"] == leaves[proof["log_index"]]
    tampered = pack["audit"]["proofs"][0] | {"leaf_hash": "00" * 32}
    assert not verify_inclusion_proof(tampered, keys).valid
    types = {entry["event_type"] for entry in pack["audit"]["entries"]}
    assert {"dpa.agreements.agreement.signed.v1", "dpa.agreements.measure.updated.v1"} <= types
    sections = pack["report"]["sections"]
    assert sections["supervision"]["records"]["controller_measures"][0]["title"] == (
        "Quarterly access review"
    )
    assert "measure_status_changed" in {d["notice"] for d in pack["notice_deliveries"]}
    assert pack["period"]["from"] == (today - timedelta(days=30)).isoformat()

    # The printable document, as the auditor will read it.
    page = sofie.open(f"{agreement_url}/evidence-pack/document?{query}")
    expect(
        page.get_by_role("heading", name="The audit log and its signed checkpoint")
    ).to_be_visible()
    expect(page.get_by_text("Quarterly access review")).to_be_visible()
    check_accessibility(page)

    stranger, _ = admin_of(
        console_platform, browser, f"Gemeente Ginder {stamp}", "controller", "eva"
    )
    page = stranger.open(f"{agreement_url}/evidence-pack")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text(title)).to_have_count(0)
    answer = page.request.get(f"{base}{agreement_url}/evidence-pack.json?{query}")
    assert answer.status == 404
    assert "Quarterly" not in answer.text()
    for person in (sofie, lotte, stranger):
        person.context.close()
