"""``make proof``: the full versions of the cross-service checks, and one summary of them.

    python -m deploy.proof [--json PATH] [--quick] [--workers N] [PATH ...] [-- PYTEST_ARGS ...]

Runs pytest on the proof's test paths (fault injection ``tests/faults``, API fuzzing, the
cross-tenant matrix and secret hygiene under ``tests/security``) with ``PACTUM_PROOF_FULL=1``
(``--quick`` leaves it unset: the short versions ``make test`` runs) and
``PACTUM_PROOF_REPORT`` pointing at a report the checks add their figures to
(``tests/support/proof_report.py``). Then it prints one summary: pass or fail per check (per test
module), the figures each check contributed, and the time taken. The exit code is pytest's.

The checks run on pytest-xdist workers (``--workers``, default ``auto``: one per core; ``0`` runs
them in one process), each test to whichever worker is free: the fault-injection runs and the
per-service fuzzing share the cores instead of queueing behind one another.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROOF_PATHS = ("tests/faults", "tests/security")


@dataclass
class Check:
    """The tests of one module: how many passed, failed, were skipped, and how long they took."""

    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def result(self) -> str:
        if self.failed:
            return "FAIL"
        return "pass" if self.passed else "skipped"


def module_path(classname: str) -> str:
    """The test file of a JUnit ``classname`` (``tests.faults.test_faults`` or with a class)."""
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        path = Path(*parts[:end]).with_suffix(".py")
        if path.exists():
            return str(path)
    return classname or "(collection)"


def checks_of(junit: Path) -> list[Check]:
    """The checks of a pytest JUnit XML report, one per test module, in the order run."""
    checks: dict[str, Check] = {}
    if not junit.exists():
        return []
    for case in ElementTree.parse(junit).getroot().iter("testcase"):  # noqa: S314 (our own file)
        name = module_path(case.get("classname", ""))
        check = checks.setdefault(name, Check(name))
        check.seconds += float(case.get("time", "0") or 0)
        if case.find("failure") is not None or case.find("error") is not None:
            check.failed += 1
            check.failures.append(case.get("name", "?"))
        elif case.find("skipped") is not None:
            check.skipped += 1
        else:
            check.passed += 1
    return list(checks.values())


def figures_of(report: Path) -> dict[str, dict[str, Any]]:
    """The figures the checks contributed, merged per check name (later values win)."""
    merged: dict[str, dict[str, Any]] = defaultdict(dict)
    if report.exists():
        for line in report.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                merged[entry["check"]].update(entry["figures"])
    return dict(merged)


def summary(checks: list[Check], figures: dict[str, dict[str, Any]], *, seconds: float,
            full: bool, exit_code: int) -> str:  # fmt: skip
    verdict = "PASSED" if exit_code == 0 else f"FAILED (pytest exit code {exit_code})"
    mode = "full versions (PACTUM_PROOF_FULL=1)" if full else "short versions"
    lines = [f"make proof: {verdict} in {seconds:.0f} s, {mode}", ""]
    width = max([len(c.name) for c in checks] + [5])
    lines.append(f"{'check':<{width}}  passed  failed  skipped  seconds  result")
    for c in checks:
        lines.append(
            f"{c.name:<{width}}  {c.passed:>6}  {c.failed:>6}  {c.skipped:>7}  "
            f"{c.seconds:>7.1f}  {c.result}"
        )
        lines += [f"{'':<{width}}  failed: {name}" for name in c.failures]
    if not checks:
        lines.append("(no test ran)")
    if figures:
        lines += ["", "figures"]
        for name, values in figures.items():
            lines.append(f"  {name}:")
            text = ", ".join(f"{key} {value}" for key, value in values.items())
            lines.append(f"    {text}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in arguments:
        at = arguments.index("--")
        arguments, extra = arguments[:at], arguments[at + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="test paths (default: the proof's, if present)")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON to this file")
    parser.add_argument("--quick", action="store_true", help="the short versions only")
    parser.add_argument(
        "--workers",
        default=os.environ.get("PROOF_WORKERS", "auto"),
        help="pytest-xdist workers (default auto, one per core; 0: one process)",
    )
    options = parser.parse_args(arguments)
    paths = options.paths or [path for path in PROOF_PATHS if Path(path).exists()]
    with tempfile.TemporaryDirectory(prefix="pactum-proof-") as scratch:
        report = Path(scratch) / "figures.jsonl"
        junit = Path(scratch) / "junit.xml"
        environment = dict(os.environ) | {"PACTUM_PROOF_REPORT": str(report)}
        if options.quick:
            environment.pop("PACTUM_PROOF_FULL", None)
        else:
            environment["PACTUM_PROOF_FULL"] = "1"
        workers = [] if options.workers == "0" else ["-n", options.workers, "--dist", "load"]
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *workers,
                   f"--junitxml={junit}", *paths, *extra]  # fmt: skip
        print("$", " ".join(command), flush=True)
        started = time.monotonic()
        exit_code = subprocess.call(command, env=environment)  # noqa: S603 (our own pytest)
        seconds = time.monotonic() - started
        checks, figures = checks_of(junit), figures_of(report)
    print()
    print(summary(checks, figures, seconds=seconds, full=not options.quick, exit_code=exit_code))
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "exit_code": exit_code,
            "seconds": round(seconds, 1),
            "full": not options.quick,
            "checks": [vars(check) | {"result": check.result} for check in checks],
            "figures": figures,
        }
        options.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
