"""Each service's ``/docs`` (Swagger UI) and ``/redoc`` work offline (issue 16.4): in Chromium,
with every request to another origin refused, both pages render every operation of the service
from assets the service serves itself."""

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from deploy.docs_export import SERVICES, build_app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module", params=SERVICES)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, int, str]]:
    """The service's app over HTTP on loopback (no database or NATS: the pages need neither)."""
    service: str = request.param
    app = build_app(service)
    # Swagger UI shows an operation once under each of its tags, and each webhook once.
    document = app.openapi()
    operations = sum(
        len(operation.get("tags") or ["default"])
        for methods in document["paths"].values()
        for operation in methods.values()
    ) + sum(len(methods) for methods in document.get("webhooks", {}).values())
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, f"{service} did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", operations, service
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _offline_page(browser: Any, origin: str) -> tuple[Any, list[str]]:
    """A page that may load only from ``origin``; what it tried elsewhere is listed."""
    page = browser.new_page()
    elsewhere: list[str] = []

    def only_the_service(route: Any) -> None:
        url = route.request.url
        if url.startswith((f"{origin}/", "data:")):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", only_the_service)
    return page, elsewhere


def test_swagger_ui_renders_every_operation_offline(
    browser: Any, served: tuple[str, int, str]
) -> None:
    origin, operations, service = served
    page, elsewhere = _offline_page(browser, origin)
    answers: list[int] = []
    page.on("response", lambda response: answers.append(response.status))
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    loaded = page.goto(f"{origin}/docs")
    assert "default-src 'self'" in loaded.headers["content-security-policy"]
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() == operations, service
    assert elsewhere == [], service
    assert answers and all(status == 200 for status in answers), (service, answers)
    assert errors == [], (service, errors)  # the policy refused nothing the page needs
    page.close()


def test_redoc_renders_the_reference_offline(browser: Any, served: tuple[str, int, str]) -> None:
    origin, operations, service = served
    page, elsewhere = _offline_page(browser, origin)
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if message.type == "error" else None
    )
    page.goto(f"{origin}/redoc")
    page.wait_for_selector("[data-section-id^='operation/']", timeout=30_000)
    assert page.locator("[data-section-id^='operation/']").count() >= operations, service
    assert elsewhere == [], service
    # Only ReDoc's makers' logo is refused (by the page's policy, before any request is made).
    assert all("cdn.redoc.ly" in message for message in refused), (service, refused)
    page.close()
