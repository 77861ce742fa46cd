"""Progress of long work (issue 16.6): ``pactum`` draws rich's progress bars on stderr when it runs
on a terminal, and nothing of them in a pipe, while stdout stays the one answer. The real command
line as a subprocess, on the embedded SQLite databases."""

import json
import os
import re
from pathlib import Path

import pytest

from tests.support.pactum_cli import pactum

pytestmark = pytest.mark.slow

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Every service on SQLite under a fresh var/ (what make run uses), NATS unreachable."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("PACTUM_")}
    for name in ("TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_COLOR"):
        clean.pop(name, None)
    return clean | {
        "PACTUM_VAR_DIR": str(tmp_path / "var"),
        "PACTUM_NATS_URL": "nats://127.0.0.1:1",
        "PACTUM_BACKUP_KEY": "A" * 43 + "=",
        "PACTUM_OPERATOR": "test-operator",
    }


@pytest.mark.timeout(300)
async def test_backup_shows_its_progress_on_a_terminal_only(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert (await pactum(env, "migrate")).code == 0
    terminal = env | {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"}
    into = str(tmp_path / "backups")

    ran = await pactum(terminal, "backup", "--into", into, "--no-stream", "--json")
    assert ran.code == 0, ran.err
    directory = json.loads(ran.out)["backup"]  # stdout: the one JSON document, nothing else
    drawn = ESCAPES.sub("", ran.err).replace("\r", "\n")
    assert "backed up notifier.sqlite" in drawn and "4/4" in drawn

    checked = await pactum(terminal, "backup-verify", directory)
    assert checked.code == 0, checked.err
    assert checked.out.strip() == f"{directory}: 4 parts verify"
    assert "verified notifier.sqlite" in ESCAPES.sub("", checked.err)

    piped = await pactum(env, "backup-verify", directory)
    assert piped.code == 0
    assert "━" not in piped.err and "verified" not in piped.err
