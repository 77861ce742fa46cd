"""The platform's keyed pseudonyms of client addresses (TOM-32a)."""

import threading
from pathlib import Path

import pytest

from shared.pseudonyms import Pseudonyms, is_pseudonym, load_or_create_key

KEY = b"0123456789abcdef0123456789abcdef"


def test_an_address_has_one_pseudonym_per_key_that_does_not_show_it__TOM_32a() -> None:
    pseudonyms = Pseudonyms(KEY)
    first = pseudonyms.of_address("203.0.113.5")
    assert first == pseudonyms.of_address(" 203.0.113.5 ")
    assert first.startswith("ip:") and len(first) == 19 and is_pseudonym(first)
    assert "203.0.113" not in first
    assert first != pseudonyms.of_address("203.0.113.6")
    assert first != Pseudonyms(KEY[::-1]).of_address("203.0.113.5")  # another key, another name


def test_spellings_of_one_address_share_a_pseudonym_and_a_pseudonym_is_kept() -> None:
    pseudonyms = Pseudonyms(KEY)
    assert pseudonyms.of_address("::ffff:192.0.2.1") == pseudonyms.of_address("192.0.2.1")
    assert pseudonyms.of_address("2001:DB8::1") == pseudonyms.of_address("2001:db8:0::1")
    once = pseudonyms.of_address("192.0.2.1")
    assert pseudonyms.of_address(once) == once  # never pseudonymised twice


def test_the_key_is_never_shown_and_a_short_one_is_refused() -> None:
    assert KEY.decode() not in repr(Pseudonyms(KEY))
    with pytest.raises(ValueError, match="at least 32"):
        Pseudonyms(b"short")


def test_services_starting_together_create_and_share_one_key(tmp_path: Path) -> None:
    path = tmp_path / "var" / "pseudonym-key"
    keys: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: keys.append(load_or_create_key(path))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["pseudonym-key"]  # no drafts left


def test_a_key_file_too_short_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym-key"
    path.write_text("not a key\n")
    with pytest.raises(ValueError, match="fewer than 32"):
        load_or_create_key(path)
