"""The dependency audit's allow-list (TOM-T6): every accepted advisory names its package, says
why, and carries a review date that has not passed; anything else stops `make audit-deps`."""

from datetime import date
from pathlib import Path

import pytest

from deploy.audit_deps import ALLOW_LIST, LOCKS, ROOT, pip_audit_command, read_allow_list
from deploy.lock_check import read_pins

TODAY = date(2026, 12, 7)
PINNED = {"jinja2", "cryptography"}
ENTRY = """
[[allow]]
id = "GHSA-aaaa-bbbb-cccc"
package = "Jinja2"
reason = "Only the sandbox is affected; pactum renders its own templates, never a user's."
review_by = 2027-03-01
"""


def allow_list(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pip-audit-allow.toml"
    path.write_text(text)
    return path


def test_tom_t6_the_committed_allow_list_is_valid_today() -> None:
    pinned = {name for lock in LOCKS for name in read_pins(ROOT / lock)}
    read_allow_list(ALLOW_LIST, date.today(), pinned)


def test_tom_t6_a_complete_entry_is_read_and_passed_to_pip_audit(tmp_path: Path) -> None:
    allowances = read_allow_list(allow_list(tmp_path, ENTRY), TODAY, PINNED)
    assert [(a.id, a.package, a.review_by) for a in allowances] == [
        ("GHSA-aaaa-bbbb-cccc", "Jinja2", date(2027, 3, 1))
    ]
    command = pip_audit_command([ROOT / "requirements.lock"], allowances)
    assert command[command.index("--ignore-vuln") + 1] == "GHSA-aaaa-bbbb-cccc"
    assert {"--disable-pip", "--strict"} <= set(command)
    assert command[command.index("-r") + 1].endswith("requirements.lock")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('reason = "Only', 'reason = "" #'), "`reason` is required"),
        (('package = "Jinja2"\n', ""), "`package` is required"),
        (('id = "GHSA-aaaa-bbbb-cccc"\n', ""), "`id` is required"),
        (("review_by = 2027-03-01", "review_by = 2026-12-06"), "has passed"),
        (("review_by = 2027-03-01", 'review_by = "soon"'), "must be a date"),
        (("review_by = 2027-03-01", "review_by = 2028-03-01"), "within a year"),
        (("review_by = 2027-03-01\n", ""), "must be a date"),
        (('package = "Jinja2"', 'package = "leftpad"'), "is not in the locks"),
    ],
)
def test_tom_t6_an_incomplete_or_stale_entry_stops_the_audit(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = ENTRY.replace(*change)
    assert text != ENTRY
    with pytest.raises(ValueError, match=message):
        read_allow_list(allow_list(tmp_path, text), TODAY, PINNED)


def test_tom_t6_an_advisory_listed_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="listed twice: GHSA-aaaa-bbbb-cccc"):
        read_allow_list(allow_list(tmp_path, ENTRY + ENTRY), TODAY, PINNED)
