"""Browser tests: Playwright driving Debian's Chromium against the whole platform as processes.

They run when Chromium exists (see :func:`_chromium`) and are skipped, saying so, when it does
not; ``REQUIRE_BROWSER=1`` (set by CI) turns that skip into a failure. Playwright cannot download
its own browsers here, so it drives the system's Chromium.
"""

import os
import shutil
from collections.abc import Generator, Iterator
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed browser test reports what each of its pages showed and what the console,
    identity and agreements logged as a warning or an error: in CI's output, not only on the
    runner's disk. A screenshot of each page goes to ``var/screenshots/failures``."""
    report = yield
    fixtures: dict[str, object] = getattr(item, "funcargs", {})
    if call.when != "call" or not report.failed or "browser" not in fixtures:
        return report
    platform = fixtures.get("console_platform")
    try:
        pages = _pages_seen(fixtures["browser"], item.name)
        report.sections.append(("browser pages at failure", pages))
        if isinstance(platform, ConsolePlatform):
            report.sections.append(("services' warnings at failure", _warnings_logged(platform)))
    except Exception as failed:  # the report must never hide the test's own failure
        report.sections.append(("browser pages at failure", f"not read: {failed!r}"))
    return report


def _pages_seen(browser: object, test: str) -> str:
    folder = SCREENSHOTS / "failures"
    folder.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for c, context in enumerate(getattr(browser, "contexts", [])):
        for p, page in enumerate(context.pages):
            if page.is_closed():
                continue
            shot = folder / f"{test}-{c}-{p}.png"
            page.screenshot(path=str(shot), full_page=True, timeout=5_000)
            text = page.locator("body").inner_text(timeout=5_000)
            lines += [f"[{c}.{p}] {page.url} ({page.title()}), screenshot {shot}", text[:1500], ""]
    return "\n".join(lines) or "no page open"


def _warnings_logged(platform: ConsolePlatform) -> str:
    """The last warnings and errors of the console, identity and agreements (structlog's JSON
    lines)."""
    lines: list[str] = []
    for service in ("console", "identity", "agreements"):
        if service in platform.processes:
            logged = platform.log(service).splitlines()
            lines += [f"{service}: {line[:600]}" for line in logged if _is_warning(line)][-15:]
    return "\n".join(lines) or "none"


def _is_warning(line: str) -> bool:
    return any(f'"level": "{level}"' in line for level in ("warning", "error", "critical"))


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
