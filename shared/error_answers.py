"""The error answers every service gives, written into its OpenAPI document.

FastAPI documents a route's own answers and its 422 validation errors. It leaves out what the
platform answers on every route of a kind, which API fuzzing (tests/security) found undocumented:

- 400 when the body is not valid JSON (FastAPI's own answer), or breaks the platform's rule for
  text and numbers (``shared/input_rules.py``: valid Unicode, no control characters, finite
  numbers);
- 401 and 403 on every route that needs a bearer token (generic, whatever went wrong);
- 404 on every route that names an object in its path ("not found" or "not yours": the same);
- 422 carries either FastAPI's list of field errors or one sentence of a rule the request broke.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.middleware import Middleware

from shared import input_rules
from shared.idempotency import document_idempotency

DETAIL = "Detail"
DETAIL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": DETAIL,
    "description": "Why the request was refused, in one sentence.",
    "properties": {"detail": {"type": "string", "title": "Detail"}},
    "required": ["detail"],
}

_DETAIL_REF = {"$ref": f"#/components/schemas/{DETAIL}"}
_VALIDATION_REF = {"$ref": "#/components/schemas/HTTPValidationError"}


def _answer(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _DETAIL_REF}}}


ANSWERS: dict[str, dict[str, Any]] = {
    "400": _answer(
        "The body is not valid JSON, or holds text that is not valid Unicode, control "
        "characters or numbers that are not finite."
    ),
    "401": _answer("Not authenticated: no token, or one that is invalid, expired or revoked."),
    "403": _answer("Not allowed: the caller's role or kind of token may not do this."),
    "404": _answer("Not found, or not visible to the caller's organisation (the same answer)."),
}


def document_error_answers(document: dict[str, Any]) -> dict[str, Any]:
    """Add the platform's common error answers to every operation of ``document`` (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[DETAIL] = DETAIL_SCHEMA
    validation = "HTTPValidationError" in schemas
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            wanted = []
            if "requestBody" in operation:
                wanted.append("400")
            if operation.get("security"):
                wanted += ["401", "403"]
            if "{" in path:
                wanted.append("404")
            for status in wanted:
                documented = responses.setdefault(status, {})
                documented.setdefault("description", ANSWERS[status]["description"])
                documented.setdefault("content", ANSWERS[status]["content"])
            if "422" in responses:
                shapes = [_VALIDATION_REF, _DETAIL_REF] if validation else [_DETAIL_REF]
                responses["422"]["content"] = {"application/json": {"schema": {"anyOf": shapes}}}
    return document


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` document the common error answers, and give them: refuse input
    that breaks the platform's rule for text and numbers before any route reads it, and answer
    validation errors without echoing what was sent (``shared/input_rules.py``)."""
    app.user_middleware.append(Middleware(input_rules.InputRule))  # innermost: logged, counted
    app.add_exception_handler(RequestValidationError, input_rules.validation_answer)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_error_answers(document_idempotency(build()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_answer(
    app: FastAPI, status: int, description: str, applies: Callable[[str, str], bool]
) -> None:
    """Document one more answer of ``app`` on every operation ``applies(method, path)`` to."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if applies(method.upper(), path):
                    answers = operation.setdefault("responses", {})
                    answers.setdefault(str(status), _answer(description))
        return document

    app.openapi = openapi  # type: ignore[method-assign]
