"""Every link the notifier mails lands on a working console page for the person it was sent to,
and on the 404 page for a person of another organisation (USE-3, TOM-O4).

The notifier is made to send each kind of link it builds (``services/notifier/notices.py``):
breach notices and their follow-ups, an agreement change (activation), a subprocessor change and
its outcome, a disclosure, a processor measure's changed status and a closed review (DPA-18).
The mailed link is opened in the browser, as the recipient would.

Not covered here, and why: the notifier sends no notice about instructions (no plan for
``instruction.*`` events); the supplier-access mails' ``/grants/{id}`` links are opened by
``tests/console/test_organisation.py``, where an operator asks for access.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests.console.people import Person, check_accessibility
from tests.console.platform import ConsolePlatform
from tests.console.test_breaches import (
    BRUSSELS,
    NOT_FOUND,
    Parties,
    link_to,
    parties,
    stranger_of,
)

pytestmark = pytest.mark.timeout(300)


@dataclass
class Mailed:
    scene: Parties
    stranger: Person
    links: dict[str, str]


@pytest.fixture(scope="module")
def mailed(console_platform: ConsolePlatform, browser: Browser) -> Iterator[Mailed]:
    scene = parties(console_platform, browser, "Linkdorp")
    dpo, controller, processor = scene.dpo.email, scene.controller, scene.processor
    agreement = f"/agreements/{scene.agreement_id}"
    links: dict[str, str] = {"agreement_changed": link_to(console_platform, dpo, agreement)}

    breach = processor.call(
        "POST",
        "agreements",
        "/breaches",
        json={
            "aware_at": (datetime.now(BRUSSELS) - timedelta(hours=1)).isoformat(),
            "nature": "Mail with booking data sent to the wrong municipality",
            "data_categories": ["contact data"],
            "data_subject_categories": ["citizens"],
            "approx_data_subjects": 40,
            "approx_records": 40,
            "consequences": "Names and addresses seen by another administration",
            "measures": "Recipient asked to delete; procedure changed",
            "contact_point": "privacy@processor.example",
        },
        expect=201,
    )
    path = f"/breaches/{breach['id']}"
    links["breach"] = link_to(console_platform, dpo, path)
    before = len(console_platform.mails_to(dpo))
    processor.call("POST", "agreements", f"{path}/phases", json={"approx_records": 55}, expect=201)
    links["breach_update"] = link_to(console_platform, dpo, path, after=before)

    processor.call(
        "POST",
        "agreements",
        "/subprocessor-changes",
        json={
            "kind": "add",
            "name": "Wolkendienst NV",
            "service": "Backups",
            "location": "Belgium",
            "transfer_mechanism": "none: within the EU",
            "data_categories": ["contact data"],
            "effective_date": (date.today() + timedelta(days=45)).isoformat(),
        },
        expect=201,
    )
    notices = controller.call("GET", "agreements", f"{agreement}/subprocessor-notices")
    notice = notices["items"][0]["id"]
    notice_path = f"{agreement}/subprocessor-notices/{notice}"
    links["subprocessor_change"] = link_to(console_platform, dpo, notice_path)
    before = len(console_platform.mails_to(dpo))
    controller.call("POST", "agreements", f"{notice_path}/approval")
    links["subprocessor_outcome"] = link_to(console_platform, dpo, notice_path, after=before)

    disclosure = processor.call(
        "POST",
        "agreements",
        f"{agreement}/disclosures",
        json={
            "authority": "Federale politie",
            "legal_basis": "Art. 46quinquies Wetboek van strafvordering",
            "scope": "Bookings of one citizen in November",
            "prohibited_by_law": False,
        },
        expect=201,
    )
    links["disclosure"] = link_to(
        console_platform, dpo, f"{agreement}/disclosures/{disclosure['id']}"
    )
    # DPA-18: the processor states a measure's new status; the controller closes its review
    before = len(console_platform.mails_to(dpo))
    processor.call(
        "PUT",
        "agreements",
        f"{agreement}/measures/TOM-T5",
        json={"status": "implemented", "evidence": "Lockout after 5 attempts"},
    )
    links["measure_status"] = link_to(
        console_platform, dpo, f"{agreement}/annexes#measure-TOM-T5", after=before
    )
    review = controller.call(
        "POST",
        "agreements",
        f"{agreement}/measure-reviews",
        json={
            "measure_id": "TOM-T5",
            "reviewed_on": date.today().isoformat(),
            "reviewer": "An Peeters",
            "finding": "Lockout as stated",
        },
        expect=201,
    )
    before = len(console_platform.mails_to(dpo))
    controller.call(
        "POST", "agreements", f"{agreement}/measure-reviews/{review['id']}/closure", json={}
    )
    links["measure_review_closed"] = link_to(
        console_platform, dpo, f"{agreement}/supervision", after=before
    )

    stranger = stranger_of(console_platform, browser)
    yield Mailed(scene, stranger, links)
    stranger.context.close()
    scene.close()


def _lands(mailed: Mailed, kind: str) -> None:
    link = mailed.links[kind]
    page = mailed.scene.dpo.open(link)
    expect(page.get_by_role("heading", name=NOT_FOUND)).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_accessibility(page)
    other = mailed.stranger.open(link)
    expect(other.get_by_role("heading", name=NOT_FOUND)).to_be_visible()


def test_a_breach_notice_link_opens_the_breach_for_the_controller_and_404_for_others__TOM_O4(
    mailed: Mailed,
) -> None:
    _lands(mailed, "breach")
    expect(mailed.scene.dpo.page.locator(".breach-clock .deadline")).to_contain_text("left")


def test_a_breach_update_link_opens_the_completed_breach__TOM_O4(mailed: Mailed) -> None:
    _lands(mailed, "breach_update")
    expect(mailed.scene.dpo.page.get_by_text("Phase 2", exact=True)).to_be_visible()


def test_the_breach_link_also_opens_for_the_processor_who_reported_it(mailed: Mailed) -> None:
    page = mailed.scene.support.open(mailed.links["breach"])
    expect(page.get_by_role("heading", name="Personal data breach")).to_be_visible()


def test_an_agreement_change_link_lands__USE_3(mailed: Mailed) -> None:
    _lands(mailed, "agreement_changed")


def test_a_subprocessor_change_link_lands__DPA_5(mailed: Mailed) -> None:
    _lands(mailed, "subprocessor_change")


def test_a_subprocessor_outcome_link_lands__DPA_5(mailed: Mailed) -> None:
    _lands(mailed, "subprocessor_outcome")


def test_a_disclosure_link_lands__DPA_4a(mailed: Mailed) -> None:
    _lands(mailed, "disclosure")


def test_a_measure_status_link_lands_on_annex_2__DPA_18(mailed: Mailed) -> None:
    _lands(mailed, "measure_status")
    expect(mailed.scene.dpo.page.locator("#measure-TOM-T5")).to_be_visible()


def test_a_closed_review_link_lands_on_the_supervision_page__DPA_18(mailed: Mailed) -> None:
    _lands(mailed, "measure_review_closed")


def test_every_kind_of_link_was_mailed(mailed: Mailed) -> None:
    assert set(mailed.links) == {
        "agreement_changed",
        "breach",
        "breach_update",
        "subprocessor_change",
        "subprocessor_outcome",
        "disclosure",
        "measure_status",
        "measure_review_closed",
    }
    assert all(link.startswith("http") for link in mailed.links.values())
