"""The lock check (TOM-T6): the committed locks match pyproject.toml, and each kind of drift is
named."""

import re
import tomllib
from pathlib import Path

from deploy.lock_check import ROOT, mismatches

RUNTIME = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def _lock_without(tmp_path: Path, package: str) -> Path:
    text = (ROOT / "requirements.lock").read_text()
    text = re.sub(rf"(?m)^{package}==.*\n(?:    .*\n)*", "", text)
    lock = tmp_path / "requirements.lock"
    lock.write_text(text)
    return lock


def test_committed_locks_match_pyproject__TOM_T6() -> None:
    assert mismatches(ROOT / "requirements.lock", RUNTIME) == []


def test_a_dependency_missing_from_the_lock_is_named__TOM_T6(tmp_path: Path) -> None:
    problems = mismatches(_lock_without(tmp_path, "greenlet"), RUNTIME)
    assert problems == ["requirements.lock: greenlet is needed (by sqlalchemy) but not pinned"]


def test_a_pin_nothing_needs_is_named__TOM_T6(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text((ROOT / "requirements.lock").read_text() + "leftpad==1.0.0\n")
    assert mismatches(lock, RUNTIME) == [
        "requirements.lock: leftpad==1.0.0 is pinned but nothing needs it"
    ]


def test_a_pin_outside_the_declared_range_is_named__TOM_T6(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    text = (ROOT / "requirements.lock").read_text()
    lock.write_text(re.sub(r"(?m)^faststream==[^ ]+", "faststream==0.5.0", text))
    problems = mismatches(lock, RUNTIME)
    assert any("faststream==0.5.0 does not satisfy" in problem for problem in problems), problems
