"""Audit the lock files against the vulnerability database, with a reviewed allow-list (TOM-T6).

    python -m deploy.audit_deps        # `make audit-deps`; .ci/run runs it after `make lint`

Runs ``pip-audit`` (the ``dev`` extra) on requirements.lock (what the image installs) and
requirements-dev.lock (what development and CI install), from the hashes alone: nothing is
resolved or installed. Each advisory in ``deploy/pip-audit-allow.toml`` is passed as
``--ignore-vuln``; an entry without a reason, or whose review date has passed, fails the run.

Exit codes: 0 no advisory outside the allow-list; 1 an advisory, or a bad allow-list;
2 the vulnerability service could not be reached (nothing was audited: .ci/run fails on it only
with REQUIRE_AUDIT=1, as the tests treat PostgreSQL and the browser).
"""

import subprocess
import sys
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
from packaging.utils import canonicalize_name

from deploy.lock_check import read_pins

ROOT = Path(__file__).resolve().parent.parent
ALLOW_LIST = ROOT / "deploy" / "pip-audit-allow.toml"
LOCKS = ("requirements.lock", "requirements-dev.lock")
# pip-audit's default service asks PyPI's JSON API for each pinned version's advisories.
PYPI_RELEASE = "https://pypi.org/pypi/{name}/{version}/json"
LONGEST_REVIEW = timedelta(days=366)
UNREACHABLE = 2


@dataclass(frozen=True)
class Allowance:
    id: str
    package: str
    reason: str
    review_by: date


def read_allow_list(path: Path, today: date, pinned: set[str]) -> list[Allowance]:
    """The allow-list's entries; ValueError naming the entry when one is incomplete or stale."""
    entries = tomllib.loads(path.read_text()).get("allow")
    if not isinstance(entries, list):
        raise ValueError(f"{path.name}: expected `allow = [...]` or [[allow]] tables")
    allowances = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path.name}, entry {number}"
        fields: dict[str, str] = {}
        for key in ("id", "package", "reason"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{where}: `{key}` is required (a non-empty string)")
            fields[key] = value.strip()
        if canonicalize_name(fields["package"]) not in pinned:
            raise ValueError(f"{where} ({fields['id']}): {fields['package']} is not in the locks")
        review_by = entry.get("review_by")
        if not isinstance(review_by, date) or isinstance(review_by, datetime):
            raise ValueError(f"{where} ({fields['id']}): `review_by` must be a date, YYYY-MM-DD")
        if review_by < today:
            raise ValueError(f"{where} ({fields['id']}): its review date {review_by} has passed")
        if review_by > today + LONGEST_REVIEW:
            raise ValueError(f"{where} ({fields['id']}): review it within a year, not {review_by}")
        allowances.append(Allowance(fields["id"], fields["package"], fields["reason"], review_by))
    ids = [allowance.id for allowance in allowances]
    duplicated = sorted({allowance_id for allowance_id in ids if ids.count(allowance_id) > 1})
    if duplicated:
        raise ValueError(f"{path.name}: listed twice: {', '.join(duplicated)}")
    return allowances


def pip_audit_command(locks: list[Path], allowances: list[Allowance]) -> list[str]:
    command = [sys.executable, "-m", "pip_audit", "--disable-pip", "--strict"]
    command += ["--progress-spinner", "off", "--desc", "on"]
    for lock in locks:
        command += ["-r", str(lock)]
    for allowance in allowances:
        command += ["--ignore-vuln", allowance.id]
    return command


def service_reachable(lock: Path) -> bool:
    """Whether PyPI answers for one pinned release, as pip-audit will ask it for every one."""
    name, version = next(iter(read_pins(lock).items()))
    try:
        answer = httpx.get(PYPI_RELEASE.format(name=name, version=version), timeout=15)
    except httpx.HTTPError:
        return False
    return answer.status_code == httpx.codes.OK


def main() -> int:
    locks = [ROOT / name for name in LOCKS]
    pinned = {name for lock in locks for name in read_pins(lock)}
    try:
        allowances = read_allow_list(ALLOW_LIST, date.today(), pinned)
    except ValueError as error:
        print(f"audit-deps: {error}", file=sys.stderr)
        return 1
    if not service_reachable(locks[0]):
        print(
            "audit-deps: NOT AUDITED: PyPI's per-release JSON API does not answer here, so "
            "pip-audit cannot look up advisories (run it where pypi.org is reachable)",
            file=sys.stderr,
        )
        return UNREACHABLE
    print(f"audit-deps: {', '.join(LOCKS)}; allowed: {[a.id for a in allowances] or 'none'}")
    return subprocess.run(pip_audit_command(locks, allowances), check=False).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
