"""Every generated OpenAPI document is one a client generator can use (issue 16.4): each property
described, an example on each request body and main answer that its own schema accepts, the
error answers declared on each operation, readable and unique operation ids."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from deploy.api_reference import anchor, reference_markdown
from deploy.docs_export import SERVICES
from tests.support.documents import openapi

READABLE_ID = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+){0,6}")
METHOD_SUFFIX = re.compile(r"_(get|post|put|patch|delete)$")


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for section in ("paths", "webhooks"):
        for path, operations in document.get(section, {}).items():
            for method, operation in operations.items():
                yield f"{method.upper()} {path}", operation


def _undescribed(schema: Any, where: str) -> Iterator[str]:
    """Every property under ``schema`` (nested objects, items, unions) without a description."""
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            if not (isinstance(sub, dict) and sub.get("description")):
                yield f"{where}.{name}"
            yield from _undescribed(sub, f"{where}.{name}")
        for key in ("items", "additionalProperties"):
            yield from _undescribed(schema.get(key), f"{where}[]")
        for key in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(key, []):
                yield from _undescribed(option, where)


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each JSON request body and 2xx answer: where, and its media type object."""
    for label, operation in _operations(document):
        for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
            yield f"{label} request {media_type}", media
        for status, answer in operation.get("responses", {}).items():
            if status.startswith("2"):
                for media_type, media in answer.get("content", {}).items():
                    if media_type == "application/json" and media.get("schema"):
                        yield f"{label} {status} {media_type}", media


@pytest.mark.parametrize("service", SERVICES)
def test_every_property_of_the_document_is_described(service: str) -> None:
    document = openapi(service)
    schemas = document["components"]["schemas"]
    missing = [where for name, schema in schemas.items() for where in _undescribed(schema, name)]
    for label, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if not parameter.get("description"):
                missing.append(f"{label} parameter {parameter['name']}")
    assert missing == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_request_body_and_main_answer_has_an_example_its_schema_accepts(
    service: str,
) -> None:
    document = openapi(service)
    components = {"components": document["components"]}
    checked = 0
    for where, media in _examples(document):
        assert "example" in media or "examples" in media, where
        examples = [media["example"]] if "example" in media else []
        examples += [item["value"] for item in media.get("examples", {}).values()]
        validator = jsonschema_rs.validator_for({**media.get("schema", {}), **components})
        for example in examples:
            errors = [error.message for error in validator.iter_errors(example)]
            assert errors == [], (where, errors)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_declares_its_error_answers_and_a_readable_unique_id(
    service: str,
) -> None:
    document = openapi(service)
    seen: dict[str, str] = {}
    for label, operation in _operations(document):
        responses = operation["responses"]
        if label.split()[1] in document.get("paths", {}):  # a webhook's receiver answers
            assert any(status.startswith(("4", "5")) for status in responses), label
            if operation.get("parameters") or "requestBody" in operation:
                assert any(status.startswith("4") for status in responses), label
        operation_id = operation.get("operationId", "")
        assert READABLE_ID.fullmatch(operation_id), (label, operation_id)
        assert not METHOD_SUFFIX.search(operation_id), (label, operation_id)
        assert operation_id not in seen, (label, seen.get(operation_id))
        seen[operation_id] = label


def test_the_walk_fails_on_what_a_generator_cannot_use() -> None:
    """The checks above find an undescribed property, a missing or wrong example and an id
    FastAPI would generate (they can fail)."""
    schema = {"properties": {"a": {"type": "string"}, "b": {"description": "b", "items": {}}}}
    assert list(_undescribed(schema, "X")) == ["X.a"]
    nested = {"properties": {"b": {"description": "b", "items": schema}}}
    assert list(_undescribed(nested, "Y")) == ["Y.b[].a"]
    document: dict[str, Any] = {
        "paths": {
            "/x": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {}}}},
                    "responses": {},
                }
            }
        }
    }
    [(where, media)] = list(_examples(document))
    assert "example" not in media and where == "POST /x request application/json"
    assert METHOD_SUFFIX.search("list_agreements_agreements_get")
    validator = jsonschema_rs.validator_for({"type": "object", "required": ["a"]})
    assert list(validator.iter_errors({}))


def test_the_combined_reference_names_every_operation_and_its_links_land() -> None:
    """docs/api/reference.md (issue 16.4): one page for the four APIs, generated from their
    documents; every operation id is on it, every in-page link has its heading."""
    documents = {service: openapi(service) for service in SERVICES}
    page = reference_markdown(documents)
    for document in documents.values():
        for label, operation in _operations(document):
            assert f"`{operation['operationId']}`" in page, label
    headings = {anchor(line.lstrip("#").strip()) for line in page.splitlines() if line[:1] == "#"}
    targets = set(re.findall(r"\]\(#([^)]+)\)", page))
    assert targets and targets <= headings, sorted(targets - headings)[:5]
    assert Path("docs/api/reference.md").read_text(encoding="utf-8") == page
