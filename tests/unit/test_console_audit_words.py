"""The audit log reads in words: every kind of event in the catalogue has its summary in the
console's messages (so it is shown in Dutch and French), and the filters name real kinds."""

from services.console.audit.log import ACTIONS
from services.console.audit.summaries import SUMMARIES
from shared.events.catalogue import CATALOGUE


def test_every_catalogued_event_type_has_the_catalogues_summary_as_a_console_message() -> None:
    assert set(SUMMARIES) == set(CATALOGUE)
    for event_type, summary in SUMMARIES.items():
        assert summary == CATALOGUE[event_type].summary, event_type


def test_every_filter_of_what_happened_matches_at_least_one_kind_of_event() -> None:
    for key, (prefix, _label) in ACTIONS.items():
        assert any(event_type.startswith(prefix) for event_type in CATALOGUE), key
