"""``pactum pseudonym``: an operator finds an address seen at the proxy in pactum's logs and
audit log through its pseudonym, with the platform's key, and cannot read an address back
(TOM-32a)."""

import io
import json
from pathlib import Path

import pytest

from deploy import operator
from shared.pseudonyms import Pseudonyms, load_or_create_key


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PACTUM_VAR_DIR", str(tmp_path / "var"))
    for name in ("PSEUDONYM_KEY_FILE", "IDENTITY_PSEUDONYM_KEY_FILE"):
        monkeypatch.delenv(f"PACTUM_{name}", raising=False)
    return tmp_path / "var"


async def _pactum(*arguments: str) -> tuple[int, str]:
    out = io.StringIO()
    code = await operator.run(arguments, out)
    return code, out.getvalue()


async def test_the_operator_gets_the_pseudonym_the_services_wrote_for_an_address__TOM_32a(
    var_dir: Path,
) -> None:
    pseudonyms = Pseudonyms(load_or_create_key(var_dir / "pseudonym-key"))  # as a service did
    code, printed = await _pactum("pseudonym", "203.0.113.9", "::ffff:203.0.113.9", "--json")
    assert code == 0, printed
    found = json.loads(printed)["pseudonyms"]
    assert found == {
        "203.0.113.9": pseudonyms.of_address("203.0.113.9"),
        "::ffff:203.0.113.9": pseudonyms.of_address("203.0.113.9"),
    }
    code, printed = await _pactum("pseudonym", "203.0.113.9")
    assert (code, printed.strip()) == (0, f"203.0.113.9 {pseudonyms.of_address('203.0.113.9')}")


async def test_a_bad_address_or_a_missing_key_is_refused_and_no_key_is_made(
    var_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = await _pactum("pseudonym", "198.51.100.1")
    assert code == operator.USAGE
    assert "no pseudonym key" in capsys.readouterr().err
    assert not (var_dir / "pseudonym-key").exists()  # a key of its own would match nothing

    load_or_create_key(var_dir / "pseudonym-key")
    code, printed = await _pactum("pseudonym", "198.51.100.1", "not-an-address")
    assert (code, printed) == (operator.USAGE, "")
    assert "'not-an-address' is not an IPv4 or IPv6 address" in capsys.readouterr().err
