"""Check that requirements.lock and requirements-dev.lock still match pyproject.toml (TOM-T6).

A lock file matches when it pins exactly the dependency closure of pyproject.toml: every direct
dependency (with its extras) and everything those need, each at a version its dependants
accept, and nothing else. The closure is read from the installed distributions' metadata, so
run it in the virtualenv that ``make install`` built from the dev lock (``make lint`` does).

Offline and deterministic: it never resolves against the package index, so a new release
upstream cannot turn CI red. When it fails, ``make lock`` regenerates both files.

    python -m deploy.lock_check            # exit 0: both match; 1: a mismatch, each one named
"""

import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def read_pins(lock: Path) -> dict[str, Version]:
    return {
        canonicalize_name(name): Version(version) for name, version in PIN.findall(lock.read_text())
    }


@dataclass
class Closure:
    """Every distribution the roots need, with what asked for it and at which versions."""

    wanted: dict[str, list[tuple[str, Requirement]]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    def add(self, requirement: Requirement, asked_by: str, pins: dict[str, Version]) -> None:
        name = canonicalize_name(requirement.name)
        first_visit = name not in self.wanted
        self.wanted.setdefault(name, []).append((asked_by, requirement))
        seen_extras = {extra for _, earlier in self.wanted[name][:-1] for extra in earlier.extras}
        new_extras = set(requirement.extras) - seen_extras
        if not first_visit and not new_extras:
            return
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if name in pins:  # pinned but not installed here: cannot follow its requirements
                self.unknown.append(name)
            return
        contexts = ["", *sorted(requirement.extras)] if first_visit else sorted(new_extras)
        for line in distribution.requires or []:
            needed = Requirement(line)
            if any(_applies(needed, extra) for extra in contexts):
                self.add(needed, name, pins)


def _applies(requirement: Requirement, extra: str) -> bool:
    if requirement.marker is None:
        return not extra  # unconditional requirements come in once, with the base package
    environment = {"extra": extra, "python_version": "3.11", "python_full_version": "3.11.0"}
    environment |= {"sys_platform": "linux", "platform_system": "Linux"}
    environment |= {"platform_machine": "x86_64", "os_name": "posix"}
    environment |= {"implementation_name": "cpython", "platform_python_implementation": "CPython"}
    return bool(requirement.marker.evaluate(environment))


def mismatches(lock: Path, roots: Iterable[str]) -> list[str]:
    pins = read_pins(lock)
    closure = Closure()
    for line in roots:
        root = Requirement(line)
        if _applies(root, ""):
            closure.add(root, "pyproject.toml", pins)
    problems: list[str] = []
    for name, askers in sorted(closure.wanted.items()):
        if name not in pins:
            who = ", ".join(sorted({asker for asker, _ in askers}))
            problems.append(f"{lock.name}: {name} is needed (by {who}) but not pinned")
            continue
        for asker, requirement in askers:
            if requirement.specifier and not requirement.specifier.contains(
                pins[name], prereleases=True
            ):
                problems.append(
                    f"{lock.name}: {name}=={pins[name]} does not satisfy "
                    f"'{requirement}' (asked by {asker})"
                )
    for name in sorted(set(closure.unknown)):
        problems.append(f"{lock.name}: {name} is pinned but not installed here: run `make install`")
    for name in sorted(set(pins) - set(closure.wanted)):
        problems.append(f"{lock.name}: {name}=={pins[name]} is pinned but nothing needs it")
    return problems


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = list(project["dependencies"])
    development = runtime + list(project["optional-dependencies"]["dev"])
    problems = mismatches(ROOT / "requirements.lock", runtime)
    problems += mismatches(ROOT / "requirements-dev.lock", development)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("the lock files do not match pyproject.toml: run `make lock`", file=sys.stderr)
        return 1
    print("requirements.lock and requirements-dev.lock match pyproject.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
