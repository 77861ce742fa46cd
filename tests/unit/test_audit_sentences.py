"""Every catalogued event kind reads as a sentence in nl, fr and en (TOM-T3b, issue 15.1)."""

import pytest

from services.audit.sentences import (
    LANGUAGES,
    TEMPLATES,
    Language,
    Told,
    actor_phrase,
    language_of,
    sentence,
)
from shared.events.catalogue import CATALOGUE


def test_every_catalogued_kind_has_a_sentence_in_each_language__TOM_T3b() -> None:
    assert set(TEMPLATES) == set(CATALOGUE)
    for event_type, texts in TEMPLATES.items():
        assert len(texts) == len(LANGUAGES), event_type
        for text in texts:
            assert "{actor}" in text and text.endswith("."), (event_type, text)
            assert set(text.replace("{actor}", "").replace("{record}", "")).isdisjoint("{}")
        assert len(set(texts)) == len(texts), f"{event_type} is not translated"


@pytest.mark.parametrize(
    ("asked", "header", "expected"),
    [
        ("fr", "nl-BE", "fr"),
        (None, "nl-BE,nl;q=0.9,en;q=0.8", "nl"),
        (None, "de-DE, fr;q=0.5, en;q=0.7", "en"),
        (None, "de-DE", "en"),
        ("", None, "en"),
        (None, "fr-BE;q=bad, nl;q=0.1", "nl"),
    ],
)
def test_the_language_is_the_one_asked_for_else_the_best_accepted(
    asked: str | None, header: str | None, expected: str
) -> None:
    assert language_of(asked, header) == expected


def test_the_actor_is_named_with_organisation_and_supplier_intervention() -> None:
    told = Told(
        event_type="dpa.agreements.agreement.viewed.v1",
        actor_id="u1",
        actor_type="operator",
        actor_name="Jan Peeters",
        actor_organisation_name="iBeauty BVBA",
        supplier_intervention=True,
        grant_id="g-1",
        record="Verwerkersovereenkomst UTOPIA - iBeauty BVBA",
    )
    assert sentence(told, "en") == (
        "Jan Peeters (iBeauty BVBA, supplier intervention under grant g-1) viewed the agreement "
        "'Verwerkersovereenkomst UTOPIA - iBeauty BVBA'."
    )
    unnamed = Told(
        event_type=told.event_type,
        actor_id="u1",
        actor_type="user",
        actor_organisation_name="iBeauty BVBA",
        supplier_intervention=True,
    )
    assert sentence(unnamed, "nl") == (
        "Iemand van iBeauty BVBA (tussenkomst van de leverancier) bekeek de overeenkomst "
        "(geen dossier)."
    )
    anonymous = Told(event_type=told.event_type, actor_id="u1", actor_type="user")
    assert actor_phrase(anonymous, "fr") == "l'utilisateur u1"
    assert sentence(anonymous, "fr") == "L'utilisateur u1 a consulté l'accord (aucun dossier)."


def test_a_name_is_never_read_as_a_template() -> None:
    told = Told(
        event_type="dpa.identity.login.succeeded.v1",
        actor_id="u1",
        actor_type="user",
        actor_name="{record} {0} {actor}",
        outcome="denied",
    )
    assert sentence(told, "nl") == "{record} {0} {actor} meldde zich aan (geweigerd)."


def test_a_kind_newer_than_the_table_is_told_by_its_type() -> None:
    told = Told(event_type="dpa.future.thing.done.v1", actor_id="system:x", actor_type="system")
    assert sentence(told, "en") == (
        "The pactum system caused an event of type dpa.future.thing.done.v1."
    )


def test_a_kind_that_says_it_failed_is_not_told_failed_twice() -> None:
    told = Told(
        event_type="dpa.identity.login.failed.v1",
        actor_id="u1",
        actor_type="user",
        actor_name="Jan Peeters",
        outcome="failed",
    )
    assert sentence(told, "en") == "A sign-in to the account of Jan Peeters failed."


@pytest.mark.parametrize(
    "event_type",
    [
        "dpa.agreements.agreement_view.denied.v1",
        "dpa.identity.grant_use.denied.v1",
        "dpa.agreements.grant_use.denied.v1",
        "dpa.audit.grant_use.denied.v1",
        "dpa.notifier.grant_use.denied.v1",
    ],
)
def test_an_access_attempt_says_it_was_refused_once__TOM_T3c(event_type: str) -> None:
    told = Told(
        event_type=event_type,
        actor_id="u1",
        actor_type="operator",
        actor_name="Jan Peeters",
        outcome="denied",
        record="r-1",
    )
    refused: dict[Language, str] = {"en": "refused", "nl": "geweigerd", "fr": "refusé"}
    for language, word in refused.items():
        text = sentence(told, language)
        assert text.count(word) == 1, text
