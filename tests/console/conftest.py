"""Browser tests: Playwright driving Debian's Chromium against the whole platform as processes.

They run when Chromium exists (see :func:`_chromium`) and are skipped, saying so, when it does
not; ``REQUIRE_BROWSER=1`` (set by CI) turns that skip into a failure. Playwright cannot download
its own browsers here, so it drives the system's Chromium.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.console.platform import ConsolePlatform


def _chromium() -> str:
    """``PACTUM_CHROMIUM``, else Debian's headless shell, else its full Chromium.

    The headless shell (``apt-get install chromium-headless-shell``) is the same engine without
    the browser around it, as Playwright's own headless runs use: measured on
    ``test_agreement_duties.py``, Chromium's CPU falls from about 37 to 17 s (the full browser's
    main process alone spent 15 s). The full Chromium still works when the shell is absent.
    """
    chosen = os.environ.get("PACTUM_CHROMIUM")
    if chosen:
        return chosen
    for name in ("chromium-headless-shell", "chromium"):
        if found := shutil.which(name):
            return found
    return "/usr/bin/chromium"


CHROMIUM = _chromium()
SCREENSHOTS = Path(os.environ.get("PACTUM_SCREENSHOTS", "var/screenshots"))


def chromium_missing() -> str | None:
    if Path(CHROMIUM).exists():
        return None
    return f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install chromium)"


def pytest_report_header(config: pytest.Config) -> str:
    missing = chromium_missing()
    return missing.upper() if missing else f"browser tests: Chromium at {CHROMIUM}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that use the browser are marked ``browser``, and skipped (saying why) without it."""
    missing = chromium_missing()
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
            if missing and os.environ.get("REQUIRE_BROWSER") != "1":
                item.add_marker(pytest.mark.skip(reason=missing))


@pytest.fixture(scope="session")
def console_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsolePlatform]:
    platform = ConsolePlatform(tmp_path_factory.mktemp("console-platform")).start()
    try:
        yield platform
    finally:
        platform.stop()
        for service in platform.processes:
            assert "Traceback" not in platform.log(service), platform.log(service)[-4000:]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one test module. Not for the session: Playwright's sync API keeps an event loop
    running in this thread while it is open, and the asyncio tests of later modules could not
    start theirs."""
    missing = chromium_missing()
    if missing:
        pytest.fail(missing) if os.environ.get("REQUIRE_BROWSER") == "1" else pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
