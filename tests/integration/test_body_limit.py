"""Every service, the console included, refuses a request body above its limit with 413
``too_large`` problem details before a route reads it: by its Content-Length, and while a chunked
body streams past the limit (issue 15.10). Nothing the refused request carried is recorded."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from services.console.errors import size_in_words
from services.console.main import create_app as console_app
from services.console.settings import ConsoleSettings
from shared.body_limit import DEFAULT_MAX_BODY_BYTES
from shared.problems import MEDIA_TYPE
from tests.console.conftest import CHROMIUM, chromium_missing
from tests.support.nats import free_port
from tests.support.platform import Platform, eventually

ROUTES = (
    ("identity", "/organisations"),
    ("agreements", "/agreements"),
    ("audit", "/audit/events"),
    ("notifier", "/notifier/endpoints"),
)


def _is_too_large(response: httpx.Response, path: str) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    assert (body["code"], body["status"], body["instance"]) == ("too_large", 413, path)


async def _chunks(size: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < size:
        yield b" " * min(chunk, size - sent)
        sent += chunk


@pytest.fixture
async def services(platform: Platform) -> Platform:
    await platform.start("identity")
    return platform


async def test_every_service_refuses_a_declared_length_above_the_limit_with_413(
    services: Platform,
) -> None:
    for service, path in ROUTES:
        client = services.clients[service]
        token = services.token(str(uuid.uuid4()))
        response = await client.post(
            path,
            content=b"{" + b" " * DEFAULT_MAX_BODY_BYTES + b"}",
            headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
        )
        _is_too_large(response, path)


async def test_every_service_refuses_a_chunked_body_once_it_passes_the_limit(
    services: Platform,
) -> None:
    for service, path in ROUTES:
        token = services.token(str(uuid.uuid4()))
        response = await services.clients[service].post(
            path,
            content=_chunks(DEFAULT_MAX_BODY_BYTES + 1),  # no Content-Length: counted as received
            headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
        )
        _is_too_large(response, path)


async def test_a_body_within_the_limit_still_reaches_the_route(services: Platform) -> None:
    token = services.token(str(uuid.uuid4()))
    response = await services.clients["notifier"].post(
        "/notifier/endpoints",
        content=_chunks(DEFAULT_MAX_BODY_BYTES - 10),
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert response.status_code in {400, 422}, response.text  # the route read it: not JSON


async def test_a_chunked_body_is_refused_over_a_real_socket(services: Platform) -> None:
    """Served by uvicorn (HTTP/1.1, Transfer-Encoding: chunked), not only in-process."""
    port = free_port()
    config = uvicorn.Config(
        services.apps["audit"], host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return server.started

        await eventually(started)
        token = services.token(str(uuid.uuid4()))
        headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            refused = await client.post(
                "/audit/events", content=_chunks(DEFAULT_MAX_BODY_BYTES + 1), headers=headers
            )
            _is_too_large(refused, "/audit/events")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            within = await client.post("/audit/events", content=b"{}", headers=headers)
            assert within.status_code != 413
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def _console(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The console in-process with an 8 KiB body limit."""
    settings = ConsoleSettings(
        environment="test",
        var_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'console.db'}",
        max_body_bytes=8192,
    )
    transport = httpx.ASGITransport(app=console_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        yield client


async def test_the_console_refuses_a_large_form_before_reading_it(tmp_path: Path) -> None:
    async with _console(tmp_path) as client:
        declared = await client.post("/sign-in", data={"email": "x" * 10_000})
        _is_too_large(declared, "/sign-in")
        streamed = await client.post(
            "/sign-in",
            content=_chunks(9000, chunk=1000),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        _is_too_large(streamed, "/sign-in")


async def test_a_browser_that_sends_too_large_a_form_gets_a_page_in_its_language(
    tmp_path: Path,
) -> None:
    """A person whose form is too large reads why, in their language, on a page like every other
    (the console's security headers, a heading, the limit in words, a way on); a client that
    does not ask for HTML keeps the problem details. Nothing the form carried is shown."""
    browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    expected = {
        "nl": ("Wat u verstuurde is te groot", "hoogstens 8 kB in één formulier"),
        "fr": ("Ce que vous avez envoyé est trop volumineux", "au plus 8 kB par formulaire"),
        "en": ("What you sent is too large", "at most 8 kB in one form"),
    }
    async with _console(tmp_path) as client:
        for language, (heading, limit) in expected.items():
            headers = browser | {"accept-language": language}
            declared = await client.post(
                "/sign-in", data={"email": "secret-" + "x" * 10_000}, headers=headers
            )
            streamed = await client.post(
                "/sign-in",
                content=_chunks(9000, chunk=1000),
                headers=headers | {"content-type": "application/x-www-form-urlencoded"},
            )
            for page in (declared, streamed):
                assert page.status_code == 413, page.text
                assert page.headers["content-type"].startswith("text/html")
                assert "default-src 'none'" in page.headers["content-security-policy"]
                assert page.headers["connection"] == "close"
                assert f'<html lang="{language}">' in page.text
                assert f"<h1>{heading}</h1>" in page.text and limit in page.text
                assert '<a href="/">' in page.text and "secret-" not in page.text
        plain = await client.post("/sign-in", data={"email": "x" * 10_000})
        _is_too_large(plain, "/sign-in")
    assert size_in_words(1024 * 1024) == "1 MB" and size_in_words(1500) == "2 kB"


@pytest.mark.browser
async def test_a_real_browser_shows_the_too_large_page_accessibly_in_its_language(
    tmp_path: Path,
) -> None:
    """Chromium, as a stranger in French, sends a sign-in form above the console's limit over a
    real socket: it shows the page (not JSON) in French, with no serious WCAG 2.1 AA violation,
    and nothing of the form."""
    if missing := chromium_missing():
        pytest.fail(missing) if os.environ.get("REQUIRE_BROWSER") == "1" else pytest.skip(missing)
    from axe_playwright_python.async_playwright import Axe
    from playwright.async_api import async_playwright, expect

    settings = ConsoleSettings(
        environment="test",
        var_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'console.db'}",
        max_body_bytes=8192,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(console_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return server.started

        await eventually(started)
        async with async_playwright() as playwright:
            chromium = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"]
            )
            page = await (await chromium.new_context(locale="fr-BE")).new_page()
            await page.goto(f"http://127.0.0.1:{port}/sign-in")
            field = page.locator("input[name=email]")
            await field.evaluate("(input, size) => { input.value = 'z'.repeat(size) }", 9000)
            async with page.expect_navigation():
                await field.press("Enter")
            assert await page.locator("html").get_attribute("lang") == "fr"
            await expect(page.get_by_role("heading", level=1)).to_have_text(
                "Ce que vous avez envoyé est trop volumineux"
            )
            await expect(page.get_by_text("au plus 8 kB par formulaire")).to_be_visible()
            await expect(page.get_by_role("link", name="Aller à la vue d'ensemble")).to_be_visible()
            assert "zzzz" not in await page.content()
            results = await Axe().run(
                page,
                options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}},
            )
            serious = [
                violation["id"]
                for violation in results.response["violations"]
                if violation.get("impact") in {"serious", "critical"}
            ]
            assert not serious, serious
            await chromium.close()
    finally:
        server.should_exit = True
        await serving
