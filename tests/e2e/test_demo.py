"""``make demo`` end to end: the guided tour on a platform of its own, as real processes."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(240)
def test_the_guided_demo_runs_every_step_on_real_processes__USE_1() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "deploy.demo", "--fresh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=220,
        check=False,
    )
    report = f"{finished.stdout[-4000:]}\n{finished.stderr[-4000:]}"
    assert finished.returncode == 0, report
    for evidence in (
        "draft -> signed -> active",
        "methods ['pwd', 'otp']",
        "locked=True",
        "decision: objected",
        "authority: notified",
        "supplier intervention: True",
        "verifier: exit 0, valid: True",
        "verified with the published key: True",
        "agreement: closed",
    ):
        assert evidence in finished.stdout, report
