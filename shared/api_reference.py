"""Each service's API reference as an integrator uses it: readable operation ids, every
parameter described, an example on every body (``shared/api_examples.py``), and ``/docs`` and
``/redoc`` pages that work offline.

- The operation id is the route function's name (``list_agreements``, ``report_breach``), so a
  generated client reads ``client.list_agreements()``, not FastAPI's
  ``list_agreements_agreements_get``; names are unique per service (a test holds it).
- FastAPI's documentation pages load Swagger UI and ReDoc from a CDN: blank on a machine without
  internet, and third-party code in a page that holds a bearer token. They load the same assets
  from the service itself here (the ``fastapi-offline`` wheel ships them).
"""

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from shared import api_examples

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs/assets"
PAGES = {"/docs", "/redoc", "/docs/oauth2-redirect"}


def readable_id(operation_id: str, path: str, method: str) -> str:
    """The route function's name inside FastAPI's generated id (``name + path + _method``, each
    non-word character an underscore), or the id unchanged if it was set by hand."""
    suffix = re.sub(r"\W", "_", path) + f"_{method}"
    if operation_id.endswith(suffix) and len(operation_id) > len(suffix):
        return operation_id[: -len(suffix)]
    return operation_id


# What the common parameters mean, where a route does not say it itself.
PARAMETERS = {
    "limit": "How many items a page holds at most.",
    "cursor": "The `next_cursor` of the page before; absent for the first page.",
    "outcome": "Only what ended so: succeeded, failed or denied.",
    "status": "Only the items in this status.",
    "thread_id": "Only the items of this thread (a breach, a change or an agreement).",
    "unread": "Only the items not read yet.",
    "number": "The amendment's version number (the first version is 1).",
    "log_index": "The entry's leaf index in the organisation's log, from 0.",
    "x-pactum-delivery-key": "The platform's delivery key: only the notifier calls this.",
}


def describe_parameter(parameter: dict[str, Any]) -> None:
    """Describe a parameter its route left undescribed: an id in the path by what it names
    (the same 404 whether it does not exist or is not the caller's), the rest from PARAMETERS."""
    name = parameter.get("name", "")
    if parameter.get("description"):
        return
    if parameter.get("in") == "path" and name.endswith("_id"):
        thing = name.removesuffix("_id").replace("_", " ")
        parameter["description"] = f"The {thing}'s id (404 if it is not visible to you)."
    elif name in PARAMETERS:
        parameter["description"] = PARAMETERS[name]


def confined(page: HTMLResponse) -> HTMLResponse:
    """``page`` with a Content-Security-Policy that lets it load from the service alone: its
    own inline start-up script by hash, nothing from another origin (ReDoc's bundle would
    fetch its makers' logo from their CDN; the browser now refuses before any request)."""
    scripts = re.findall(r"<script>(.*?)</script>", bytes(page.body).decode(), re.DOTALL)
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in scripts
    )
    page.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    return page


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` from local assets, and name operations by their function."""
    app.router.routes = [
        route for route in app.router.routes if getattr(route, "path", None) not in PAGES
    ]
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="api-reference-assets")
    title = app.title
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return confined(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{title}: API reference",
                swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            )
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return confined(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{title}: API reference",
                redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )
        )

    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = api_examples.document_examples(build())
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if "operationId" in operation:
                    operation["operationId"] = readable_id(operation["operationId"], path, method)
                for parameter in operation.get("parameters", []):
                    describe_parameter(parameter)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
