"""A service's OpenAPI document as ``make openapi`` builds it, without touching the environment
(``deploy.docs_export.build_app`` points the service's database at memory through a variable)."""

import os
from typing import Any
from unittest import mock

from deploy.docs_export import build_app


def openapi(service: str) -> dict[str, Any]:
    with mock.patch.dict(os.environ):
        document: dict[str, Any] = build_app(service).openapi()
    return document
