"""Every refusal as RFC 9457 problem details (``application/problem+json``), on every service.

An integrator reads one shape whatever went wrong::

    {"type": "urn:pactum:problem:not_found", "title": "Not found", "status": 404,
     "detail": "agreement not found", "instance": "/agreements/6c1f…", "code": "not_found"}

- ``code`` is stable and machine-readable (``docs/api.md`` lists them); ``type`` is the same code
  as a URN, ``title`` its short English name, ``detail`` the one sentence about this occurrence.
- ``instance`` is the request's path, never its query (a query may carry personal data).
- A validation failure (422, ``validation_failed``) lists the failing fields in ``errors``
  (``field``, ``message``, ``type``), never the submitted values. A body that is not JSON at all
  answers 400 ``invalid_json``, as the documents always said (FastAPI's own answer was 422).
- An unexpected failure answers 500 ``internal_error`` without a word about its cause (the log
  has it).
"""

import json
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared import pagination

log = structlog.get_logger("pactum.problems")

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:pactum:problem:"

NOT_JSON = "The body is not valid JSON."
FASTAPI_UNPARSABLE = "There was an error parsing the body"  # FastAPI's words for such a body

# The code of a refusal that names no more specific one: by its status.
CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "rule_broken",
    423: "locked",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}

# Every code an answer may carry, with its title (docs/api.md and the OpenAPI documents).
TITLES: dict[str, str] = {
    "bad_request": "Bad request",
    "invalid_json": "The body is not valid JSON",
    "input_rule": "Text or numbers the platform does not accept",
    "invalid_idempotency_key": "Invalid Idempotency-Key",
    "unauthenticated": "Not authenticated",
    "forbidden": "Not allowed",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "conflict": "Conflict with the current state",
    "concurrent_change": "A concurrent change got there first",
    "idempotency_in_flight": "The first request with this key is still being handled",
    "too_large": "Request too large",
    "unsupported_media_type": "Unsupported media type",
    "validation_failed": "The request is not valid",
    "rule_broken": "The request breaks a rule",
    "idempotency_key_reused": "Idempotency-Key used with another request",
    "invalid_cursor": "A cursor this list did not hand out",
    "locked": "Locked",
    "too_many_requests": "Too many requests",
    "internal_error": "Internal error",
    "unavailable": "Temporarily unavailable",
}


def code_for(status: int) -> str:
    return CODES.get(status, f"http_{status}")


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The problem document of one refusal."""
    code = code or code_for(status)
    title = TITLES.get(code) or _status_phrase(status)
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return body


def problem_bytes(status: int, detail: str, *, code: str | None = None, path: str = "") -> bytes:
    """The same document, encoded, for ASGI middleware that answers before any route."""
    document = problem(status, detail, code=code, instance=path or None)
    return json.dumps(document, ensure_ascii=True).encode()


def answer(
    request: Request,
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A refusal of ``request`` as a problem-details response."""
    return JSONResponse(
        problem(status, detail, code=code, instance=request.url.path, errors=errors),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _safe(value: Any) -> Any:
    """A location segment as JSON can carry it (keys passed the input rule; be safe anyway)."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


async def _http_refusal(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if isinstance(error.detail, str) else ""
    if error.status_code == 400 and detail == FASTAPI_UNPARSABLE:  # e.g. not UTF-8
        return answer(request, 400, NOT_JSON, code="invalid_json")
    return answer(
        request, error.status_code, detail, headers=getattr(error, "headers", None) or None
    )


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's validation failure without the submitted values: the fields and what is wrong;
    a body that is not JSON at all is a 400."""
    assert isinstance(error, RequestValidationError)
    found = error.errors()
    if any(item.get("type") == "json_invalid" for item in found):
        return answer(request, 400, NOT_JSON, code="invalid_json")
    errors = [
        {
            "field": ".".join(str(_safe(part)) for part in item.get("loc", ())),
            "message": _safe(str(item.get("msg", ""))),
            "type": str(item.get("type", "")),
        }
        for item in found
    ]
    fields = ", ".join(dict.fromkeys(item["field"] for item in errors if item["field"]))
    return answer(
        request,
        422,
        f"The request is not valid: {fields}." if fields else "The request is not valid.",
        code="validation_failed",
        errors=errors,
    )


async def _cursor_refused(request: Request, error: Exception) -> JSONResponse:
    return answer(request, 422, str(error), code="invalid_cursor")


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("request.failed", error=f"{type(error).__name__}", path=request.url.path)
    return answer(request, 500, "Something went wrong on our side; nothing was changed.")


def install(app: FastAPI) -> None:
    """Answer every refusal of ``app`` as problem details."""
    app.add_exception_handler(StarletteHTTPException, _http_refusal)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(pagination.CursorRefused, _cursor_refused)
    app.add_exception_handler(Exception, _unexpected)


# The schema of a problem document in the OpenAPI documents.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "A refusal, as RFC 9457 problem details (application/problem+json).",
    "properties": {
        "type": {
            "type": "string",
            "description": "The problem type: `urn:pactum:problem:` and the code.",
            "examples": ["urn:pactum:problem:not_found"],
        },
        "title": {"type": "string", "description": "The problem type's short name."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong, in one sentence."},
        "instance": {"type": "string", "description": "The path of the refused request."},
        "code": {
            "type": "string",
            "description": "Stable, machine-readable code of the problem type.",
            "enum": sorted({*TITLES, *CODES.values()}),
        },
        "errors": {
            "type": "array",
            "description": "For `validation_failed`: each failing field (never its value).",
            "items": {
                "type": "object",
                "properties": {
                    "field": {
                        "type": "string",
                        "description": "Where: body, query, path or header, then the field.",
                        "examples": ["body.aware_at"],
                    },
                    "message": {"type": "string", "description": "What is wrong with it."},
                    "type": {
                        "type": "string",
                        "description": "The kind of failure, e.g. missing or string_too_long.",
                        "examples": ["missing"],
                    },
                },
                "required": ["field", "message", "type"],
            },
        },
    },
    "required": ["type", "title", "status", "detail", "code"],
}
