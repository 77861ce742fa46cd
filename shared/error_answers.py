"""The error answers every service gives, written into its OpenAPI document.

FastAPI documents a route's own answers and its 422 validation errors. It leaves out what the
platform answers on every route of a kind, which API fuzzing (tests/security) found undocumented:

- 400 when the body is not valid JSON (FastAPI's own answer), or breaks the platform's rule for
  text and numbers (``shared/input_rules.py``: valid Unicode, no control characters, finite
  numbers);
- 401 and 403 on every route that needs a bearer token (generic, whatever went wrong);
- 404 on every route that names an object in its path ("not found" or "not yours": the same);
- 422 names the failing fields (``validation_failed``) or the rule the request broke;
- 500 on every route: an unexpected failure, said without its cause (``internal_error``).

Every one of them is RFC 9457 problem details (``shared/problems.py``).
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware

from shared import input_rules, problems
from shared.idempotency import document_idempotency
from shared.problems import MEDIA_TYPE, PROBLEM_SCHEMA

PROBLEM = "Problem"
_PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM}"}


def _answer(description: str) -> dict[str, Any]:
    return {"description": description, "content": {MEDIA_TYPE: {"schema": _PROBLEM_REF}}}


ANSWERS: dict[str, dict[str, Any]] = {
    "400": _answer(
        "The body is not valid JSON (`invalid_json`), or holds text that is not valid Unicode, "
        "control characters or numbers that are not finite (`input_rule`)."
    ),
    "401": _answer("Not authenticated: no token, or one that is invalid, expired or revoked."),
    "403": _answer("Not allowed: the caller's role or kind of token may not do this."),
    "404": _answer("Not found, or not visible to the caller's organisation (the same answer)."),
    "422": _answer(
        "The request is not valid (`validation_failed`, with the failing fields in `errors`), "
        "or breaks a rule of the domain (`rule_broken`)."
    ),
    "500": _answer(
        "Something went wrong on the platform's side (`internal_error`); nothing was changed "
        "and the answer says nothing of the cause."
    ),
}


def document_error_answers(document: dict[str, Any]) -> dict[str, Any]:
    """Add the platform's common error answers to every operation of ``document``, each as
    problem details (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[PROBLEM] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
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
            if "422" in responses:
                wanted.append("422")
            wanted.append("500")  # shared/problems.py answers any unexpected failure so
            for status in wanted:
                documented = responses.setdefault(status, {})
                documented.setdefault("description", ANSWERS[status]["description"])
                if status == "422" and documented["description"] == "Validation Error":
                    documented["description"] = ANSWERS["422"]["description"]
                documented["content"] = ANSWERS[status]["content"]
            for status, documented in responses.items():  # a route's own refusals too
                if status.startswith(("4", "5")):
                    documented["content"] = ANSWERS["400"]["content"]
    return document


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` document the common error answers, and give them: refuse input
    that breaks the platform's rule for text and numbers before any route reads it, and answer
    every refusal as problem details without echoing what was sent (``shared/problems.py``)."""
    app.user_middleware.append(Middleware(input_rules.InputRule))  # innermost: logged, counted
    problems.install(app)
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
