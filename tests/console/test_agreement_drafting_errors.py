"""Drafting an agreement with wrong answers, in Chromium: nothing is drafted, and nothing is lost.

Sofie, a fresh controller's administrator, saves a draft full of mistakes. The console answers
400 with the same form: an error summary that takes the focus lists every problem in the form's
order, each problem stands by its own field (which is marked invalid and described by it), and
every field keeps what she typed. The agreements service's own refusal of an other party that is
no organisation is told the same way. She corrects the answers on that page and the draft is
saved; in Dutch and in French the problems are told in her language. A stranger who posts the
form straight away is sent to sign in, sees nothing of it, and drafts nothing.
"""

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.console.people import Person, check_accessibility
from tests.console.platform import ConsolePlatform, unique_email
from tests.console.test_agreements import admin_of, save_draft

pytestmark = pytest.mark.timeout(300)

LABELS = {
    "title": "Title",
    "counterparty_id": "The processor's organisation number",
    "subject": "Subject of the processing",
    "duration": "Duration",
    "purpose": "Purpose",
    "data_categories": "Categories of personal data and how long they are kept",
    "data_subject_categories": "Categories of data subjects",
    "legal_basis": "Legal basis",
    "authorisation": "Authorisation for subprocessors",
    "notice_days": "Days to object to a new subprocessor",
    "closure_days": "Days after termination to return or destroy the data",
}
NOT_KNOWN_YET = "pactum does not know your organisation yet"
STRANGERS_POST = """fields => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = "/agreements/new";
  const token = document.querySelector("input[name=csrf_token]").value;
  for (const [name, value] of Object.entries({...fields, csrf_token: token})) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}"""


@dataclass
class Drafter:
    person: Person
    organisation_id: str
    processor_id: str
    stamp: str


@pytest.fixture(scope="module")
def sofie(console_platform: ConsolePlatform, browser: Browser) -> Iterator[Drafter]:
    """A controller's administrator, signed in, and a processor she may draft with."""
    stamp = unique_email("x").split("@")[0][-8:]
    person, controller_id = admin_of(
        console_platform, browser, f"Gemeente Kromstraat {stamp}", "controller", "sofie"
    )
    processor_id = console_platform.new_organisation(f"Rekenwerk BV {stamp}", "processor")
    yield Drafter(person, controller_id, processor_id, stamp)
    person.context.close()


def titles_listed(person: Person) -> list[str]:
    """The agreements on the person's Agreements page, read in a tab of its own (the form stays)."""
    tab = person.context.new_page()
    try:
        tab.goto(person.platform.url() + "/agreements")
        expect(tab.get_by_role("heading", name="Agreements", exact=True)).to_be_visible()
        return tab.locator("table.table tbody th a").all_inner_texts()
    finally:
        tab.close()


def fill(page: Page, answers: dict[str, str]) -> None:
    for name, value in answers.items():
        page.get_by_label(LABELS[name], exact=True).fill(value)


def submit(page: Page, button: str = "Save the draft") -> int:
    """Press the form's button: the status of the console's answer to the post."""
    with page.expect_response(
        lambda answer: answer.request.method == "POST" and answer.url.endswith("/agreements/new")
    ) as answered:
        page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    return answered.value.status


def submit_until_known(page: Page) -> int:
    """Submit again while the agreements service has not yet learnt of Sofie's organisation
    (from identity's event); any other answer is the answer."""
    for _attempt in range(20):
        status = submit(page)
        if NOT_KNOWN_YET not in page.locator("main").inner_text():
            return status
        time.sleep(0.5)
    raise AssertionError("the agreements service never learnt of the organisation")


def problems_told(page: Page, expected: list[tuple[str, str]]) -> None:
    """The summary has the focus and lists the problems in the form's order, each linking to its
    field; each field is marked invalid, described by its own problem, and the only ones marked."""
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    expect(links).to_have_text([message for _name, message in expected])
    for (name, message), link in zip(expected, links.all(), strict=True):
        assert link.get_attribute("href") == f"#{name}"
        field = page.get_by_label(LABELS[name], exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(re.compile(re.escape(message)))
        expect(field.locator("xpath=..").locator(".error-message")).to_contain_text(message)
    expect(page.locator("[aria-invalid=true]")).to_have_count(len(expected))


def kept(page: Page, answers: dict[str, str]) -> None:
    for name, value in answers.items():
        expect(page.get_by_label(LABELS[name], exact=True)).to_have_value(value)


def test_wrong_answers_draft_nothing_are_told_by_their_fields_and_can_be_corrected__DPA_1(
    sofie: Drafter,
) -> None:
    person, stamp = sofie.person, sofie.stamp
    assert titles_listed(person) == []
    page = person.open("/agreements")
    page.get_by_role("link", name="Draft a new agreement").click()
    expect(page.get_by_role("heading", name="Draft a new agreement")).to_be_visible()

    # -- several wrong answers at once: a 400, the form again, every problem by its field ------
    typed = {
        "title": "",
        "counterparty_id": "KBO 0123",
        "subject": 'Payroll for the "Kromstraat" <office> & its pensioners',
        "purpose": "Pay salaries",
        "data_categories": "contactgegevens, 730\nHealth, 40000",
        # one more than the agreements API takes
        "data_subject_categories": "\n".join(f"group {n}" for n in range(101)),
        # past the limit by far: shown again whole, not cut at the limit as it once was
        "legal_basis": "L" * 4500,
        "notice_days": "0",
        "closure_days": "45",
    }
    fill(page, typed)
    # A tampered form: an authorisation the select never offered.
    page.get_by_label(LABELS["authorisation"]).evaluate(
        "select => { select.options[1].value = 'sometimes'; select.selectedIndex = 1; }"
    )
    assert submit(page) == 400
    expect(page.get_by_role("heading", name="Draft a new agreement")).to_be_visible()
    problems_told(
        page,
        [
            ("title", "Enter a title for the agreement."),
            (
                "counterparty_id",
                "This is not an organisation number: copy it as the other party gives it.",
            ),
            ("data_categories", "Keep data at most 100 years."),
            ("data_subject_categories", "List at most 100 categories."),
            ("legal_basis", "Keep this under 4000 characters."),
            ("authorisation", "Choose general or specific authorisation."),
            ("notice_days", "Enter a whole number from 1 to 365."),
        ],
    )
    kept(page, typed)
    check_accessibility(page)
    assert titles_listed(person) == []

    # -- the rest corrected, the other party a number that is no organisation: the service
    #    refuses it, and the console says so by that field -------------------------------------
    title = f"Verwerkersovereenkomst Kromstraat - Rekenwerk {stamp}"
    nobody = str(uuid.uuid4())
    corrected = typed | {
        "title": title,
        "counterparty_id": nobody,
        "data_categories": "contactgegevens, 730\ngezondheidsgegevens, 3650",
        "data_subject_categories": "staff\npensioners",
        "legal_basis": "GDPR art. 6.1(b): the employment contract",
        "notice_days": "30",
    }
    fill(page, corrected)
    page.get_by_label(LABELS["authorisation"]).select_option("specific")
    assert submit_until_known(page) == 400
    problems_told(
        page,
        [("counterparty_id", "No organisation with this number can be the other party. Check it.")],
    )
    kept(page, corrected | {"authorisation": "specific"})
    check_accessibility(page)
    assert titles_listed(person) == []

    # -- the right number on that same page: the draft is saved, Annex 1 as typed ---------------
    fill(page, {"counterparty_id": sofie.processor_id})
    save_draft(page)
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.locator(".agreement-parties")).to_contain_text(f"Rekenwerk BV {stamp}")
    annex1 = page.locator("section[aria-labelledby=annex1-heading]")
    expect(annex1).to_contain_text(corrected["subject"])
    expect(annex1).to_contain_text("gezondheidsgegevens \N{EN DASH} kept 3650 days")
    assert titles_listed(person) == [title]

    # -- in Dutch, the problems are told in Dutch -----------------------------------------------
    page.get_by_role("button", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page = person.open("/agreements/new")
    expect(page.get_by_role("heading", name="Stel een nieuwe overeenkomst op")).to_be_visible()
    page.get_by_label("Organisatienummer van de verwerker").fill("KBO 0123")
    page.get_by_label("Categorieën van persoonsgegevens en hoe lang ze bewaard worden").fill(
        "Gezondheid, 0"
    )
    assert submit(page, "Bewaar het ontwerp") == 400
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Er is een probleem")
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Geef de overeenkomst een titel.",
            "Dit is geen organisatienummer: neem het over zoals de andere partij het geeft.",
            "Bewaar gegevens minstens 1 dag.",
        ]
    )
    expect(page.get_by_label("Organisatienummer van de verwerker")).to_have_accessible_description(
        re.compile("Dit is geen organisatienummer")
    )
    check_accessibility(page)

    # -- and in French, a number of days mistyped ----------------------------------------------
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page = person.open("/agreements/new")
    expect(page.get_by_role("heading", name="Rédiger un nouvel accord")).to_be_visible()
    page.locator("#data_categories").fill("Santé, -5")
    assert submit(page, "Enregistrer le projet") == 400
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Il y a un problème")
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Donnez un titre à l'accord.",
            "Indiquez la durée de conservation en nombre entier de jours, par exemple 365.",
        ]
    )
    expect(page.locator("#data_categories")).to_have_value("Santé, -5")
    check_accessibility(page)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert titles_listed(person) == [title]


def test_a_stranger_posting_the_drafting_form_is_sent_to_sign_in_and_drafts_nothing__TOM_T5(
    console_platform: ConsolePlatform, browser: Browser, sofie: Drafter
) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(console_platform.url() + "/agreements/new")
    expect(page.get_by_role("heading", name="Sign in to pactum")).to_be_visible()
    expect(page.get_by_label(LABELS["title"], exact=True)).to_have_count(0)

    # The form posted straight from the sign-in page, with this browser's own valid token.
    title = f"A stranger's agreement {sofie.stamp}"
    subject = f"Everything of Gemeente Kromstraat {sofie.stamp}"
    form: dict[str, str | float | bool] = {
        "title": title,
        "counterparty_id": sofie.organisation_id,
        "subject": subject,
        "notice_days": "30",
    }
    with page.expect_response(lambda answer: answer.request.method == "POST") as answered:
        page.evaluate(STRANGERS_POST, form)
    assert answered.value.status == 303
    assert answered.value.headers["location"].startswith("/sign-in")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Sign in to pactum")).to_be_visible()
    assert title not in page.content() and subject not in page.content()

    # Without the token the post is refused outright, and says nothing of the form either.
    refused = context.request.post(
        console_platform.url() + "/agreements/new", form=form, max_redirects=0
    )
    assert refused.status == 403
    assert title not in refused.text()
    context.close()

    assert title not in titles_listed(sofie.person)
