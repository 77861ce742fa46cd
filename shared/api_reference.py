"""Each service's API reference as an integrator uses it: readable operation ids, and ``/docs``
and ``/redoc`` pages that work offline.

- The operation id is the route function's name (``list_agreements``, ``report_breach``), so a
  generated client reads ``client.list_agreements()``, not FastAPI's
  ``list_agreements_agreements_get``; names are unique per service (a test holds it).
- FastAPI's documentation pages load Swagger UI and ReDoc from a CDN: blank on a machine without
  internet, and third-party code in a page that holds a bearer token. They load the same assets
  from the service itself here (the ``fastapi-offline`` wheel ships them).
"""

import re
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

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
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title}: API reference",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title}: API reference",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if "operationId" in operation:
                    operation["operationId"] = readable_id(operation["operationId"], path, method)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
