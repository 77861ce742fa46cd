"""Every message of the console exists in Dutch and French, with the same placeholders."""

from services.console.catalogue import missing


def test_every_console_message_is_translated_into_dutch_and_french() -> None:
    lacking = missing()
    assert not lacking, f"{len(lacking)} messages lack a translation:\n" + "\n".join(lacking[:40])
