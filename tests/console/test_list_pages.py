"""Long lists in Chromium: a controller with more agreements and breaches than one page holds
walks them page by page with "Next page" and back with "First page", in nl, fr and en; a
stranger, even with the controller's own page links, sees none of them (issue 16.3).

The setting (31 agreements, 27 breaches) is made over the public APIs; the people under test use
only the browser.
"""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.agreements.breaches.test_breaches import breach
from tests.console.people import check_accessibility, shot
from tests.console.platform import ConsolePlatform
from tests.console.test_breaches import ANNEX1, parties, stranger_of

pytestmark = pytest.mark.timeout(300)

PAGE = 25  # rows of a console list page
LINKS = {  # language: (next page, first page, the pages' navigation)
    "en": ("Next page", "First page", "Pages of agreements"),
    "nl": ("Volgende pagina", "Eerste pagina", "Pagina's met overeenkomsten"),
    "fr": ("Page suivante", "Première page", "Pages des accords"),
}


def _rows(page: Page) -> list[str]:
    """The link of each row of the page's table (an agreement's or a breach's page)."""
    return [
        str(link.get_attribute("href"))
        for link in page.locator("table tbody tr a[href^='/']").all()
        if re.fullmatch(r"/(agreements|breaches)/[0-9a-f-]{36}", str(link.get_attribute("href")))
    ]


def _walk(page: Page, url: str, next_name: str = "Next page") -> list[list[str]]:
    """Every page of the list at ``url``, following "Next page" to the end."""
    page.goto(url)
    pages = [_rows(page)]
    while page.get_by_role("link", name=next_name).count():
        page.get_by_role("link", name=next_name).click()
        pages.append(_rows(page))
    return pages


def _choose(page: Page, language: str) -> None:
    page.locator(f"form.language-choice button[value='{language}']").click()


def test_a_controller_pages_through_its_agreements_and_breaches_a_stranger_sees_none(
    console_platform: ConsolePlatform, browser: Browser, screenshots: Path
) -> None:
    scene = parties(console_platform, browser, "Veelbeek")
    for number in range(30):
        scene.controller.call(
            "POST",
            "agreements",
            "/agreements",
            json={
                "title": f"Overeenkomst {number:02d}",
                "counterparty_id": scene.processor_id,
                "party": "controller",
                "annex1": ANNEX1,
            },
            expect=201,
        )
    for number in range(PAGE + 2):
        scene.processor.call(
            "POST", "agreements", "/breaches", json=breach(nature=f"Breach {number}"), expect=201
        )

    page = scene.dpo.open("/agreements")
    agreements = _walk(page, console_platform.url() + "/agreements")
    assert [len(rows) for rows in agreements] == [PAGE, 31 - PAGE]
    listed = [row for rows in agreements for row in rows]
    assert len(set(listed)) == 31 and f"/agreements/{scene.agreement_id}" in listed
    expect(page.get_by_role("navigation", name="Pages of agreements")).to_be_visible()
    check_accessibility(page)
    shot(page, screenshots, "agreements-second-page")
    page.get_by_role("link", name="First page").click()
    assert _rows(page) == agreements[0]

    breaches = _walk(page, console_platform.url() + "/breaches")
    assert [len(rows) for rows in breaches] == [PAGE, 2]
    assert len({row for rows in breaches for row in rows}) == PAGE + 2
    expect(page.get_by_role("navigation", name="Pages of breaches")).to_be_visible()
    check_accessibility(page)

    for language in ("nl", "fr", "en"):
        page.goto(console_platform.url() + "/agreements")
        _choose(page, language)
        next_name, first_name, pages_name = LINKS[language]
        page.goto(console_platform.url() + "/agreements")
        nav = page.get_by_role("navigation", name=pages_name)
        expect(nav.get_by_role("link", name=next_name)).to_be_visible()
        nav.get_by_role("link", name=next_name).click()
        expect(page.get_by_role("link", name=first_name)).to_be_visible()
        assert _rows(page) == agreements[1]

    # A link to the second page, kept or passed on, is only a place in a list.
    page.goto(console_platform.url() + "/agreements")
    page.get_by_role("link", name="Next page").click()
    second = page.url
    assert parse_qs(urlparse(second).query)["cursor"]

    stranger = stranger_of(console_platform, browser)
    for path in ("/agreements", "/breaches", urlparse(second).path + "?" + urlparse(second).query):
        seen = stranger.open(path)
        assert not set(_rows(seen)) & set(listed)
        expect(seen.get_by_text("Overeenkomst 00")).to_have_count(0)
        expect(seen.get_by_text("Breach 1", exact=True)).to_have_count(0)

    # An edited link starts the list over.
    edited = scene.dpo.open("/agreements?cursor=edited-by-hand")
    expect(edited).to_have_url(console_platform.url() + "/agreements")
    assert _rows(edited) == agreements[0]
    scene.close()
    stranger.context.close()
