"""Figures for ``make proof``: each check of the proof adds what it measured to one report.

A test calls :func:`contribute` with its check's name and figures (requests, kills, examples...).
Outside ``make proof`` (no ``PACTUM_PROOF_REPORT``) nothing is written. ``deploy/proof.py`` runs
the checks, reads the report and prints one summary with pass or fail per check.

``PACTUM_PROOF_FULL=1`` asks for the full versions (longer, more rounds, more examples); the
tests read it with :func:`full`.
"""

import json
import os
from pathlib import Path

REPORT_VARIABLE = "PACTUM_PROOF_REPORT"
FULL_VARIABLE = "PACTUM_PROOF_FULL"


def full() -> bool:
    """Whether the full versions of the proof's checks are asked for."""
    return os.environ.get(FULL_VARIABLE) == "1"


def contribute(check: str, **figures: int | float | str | bool) -> None:
    """Add ``figures`` under ``check`` to the proof report (one JSON object per line)."""
    path = os.environ.get(REPORT_VARIABLE)
    if not path:
        return
    line = json.dumps({"check": check, "figures": figures})
    with Path(path).open("a", encoding="utf-8") as report:
        report.write(line + "\n")
