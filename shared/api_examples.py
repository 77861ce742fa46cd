"""An example on every request body and main answer of an OpenAPI document (issue 16.4).

A body whose schema carries its own ``examples`` (``json_schema_extra`` on the model, the
hand-written ones of the main flows) shows those. Every other body gets one example built from its
schema: each field's own ``examples`` first, then its default, constant or first allowed value,
then a value of its type and format within its bounds (a UUID, an RFC 3339 moment with its
offset, a string of the smallest allowed length; a field named ``*_id`` or ``*_at`` gets a UUID or
a moment only when its length and pattern allow one). A request example holds the required fields
and those with an example of their own; an answer's holds every field. The examples validate
against their schemas (tests/integration/test_openapi_documents.py checks each one).
"""

import re
from typing import Any

JSON = "application/json"
MOMENT = "2026-12-07T09:30:00+01:00"
DAY = "2026-12-07"
ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
# Patterns the schemas use, with a value that matches each (others: any text that fits).
PATTERN_VALUES = {
    r"^[0-9]{6}$": "492039",
    r"^[a-z0-9_.]+$": "dpa.agreements.",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "dpo@gemeente.example",
}
FORMATS = {
    "uuid": ID,
    "date-time": MOMENT,
    "date": DAY,
    "email": "dpo@gemeente.example",
    "uri": "https://receiver.example/pactum/hooks",
}


class _Builder:
    def __init__(self, document: dict[str, Any]) -> None:
        self.schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def value(self, schema: dict[str, Any], *, name: str, whole: bool, depth: int = 0) -> Any:
        if "$ref" in schema:
            target = self.resolve(schema)
            if target.get("examples"):
                return target["examples"][0]
            return self.value(target, name=name, whole=whole, depth=depth)
        for key in ("examples", "default", "const", "enum"):
            if key in schema:
                found = schema[key]
                if key in ("examples", "enum") and found:
                    return found[0]
                if key in ("default", "const") and found is not None:
                    return found
        for key in ("anyOf", "oneOf", "allOf"):
            options = [option for option in schema.get(key, []) if option.get("type") != "null"]
            if options:
                return self.value(options[0], name=name, whole=whole, depth=depth)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return self.object(schema, whole=whole, depth=depth)
        if kind == "array":
            item = self.value(schema.get("items", {}), name=name, whole=whole, depth=depth)
            return [item] * max(1, schema.get("minItems", 1))
        if kind in ("integer", "number"):
            low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
            number = min(low, schema.get("maximum", low))
            return int(number) if kind == "integer" else float(number)
        if kind == "boolean":
            return False
        if kind == "string":
            return self.text(schema, name=name)
        return None

    def text(self, schema: dict[str, Any], *, name: str) -> str:
        if schema.get("format") in FORMATS:
            return FORMATS[str(schema["format"])]
        pattern = schema.get("pattern")
        if pattern in PATTERN_VALUES:
            return PATTERN_VALUES[pattern]
        low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 10_000))

        def fits(value: str) -> bool:
            return low <= len(value) <= high and not (pattern and not re.search(pattern, value))

        # An id or a moment by its name, when the field's bounds allow one (a "measure_id" of at
        # most 20 characters is not a UUID).
        if (name.endswith("_id") or name == "id") and fits(ID):
            return ID
        if name.endswith("_at") and fits(MOMENT):
            return MOMENT
        text = name.replace("_", " ") or "text"
        while len(text) < low:
            text += f" {text}"
        text = text[: max(high, low)]
        if pattern and not re.search(pattern, text):
            return "x" * max(low, 1)
        return text

    def object(self, schema: dict[str, Any], *, whole: bool, depth: int) -> dict[str, Any]:
        if depth > 12:  # no schema nests this deep; a cycle would
            return {}
        required = set(schema.get("required", ()))
        example: dict[str, Any] = {}
        for field, sub in schema.get("properties", {}).items():
            if whole or field in required or "examples" in sub:
                example[field] = self.value(sub, name=field, whole=whole, depth=depth + 1)
        return example


def _media(content: dict[str, Any]) -> dict[str, Any] | None:
    media = content.get(JSON)
    return media if isinstance(media, dict) and "schema" in media else None


def document_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Give every JSON request body and 2xx answer of ``document`` an example (in place)."""
    builder = _Builder(document)
    sections = [*document.get("paths", {}).values(), *document.get("webhooks", {}).values()]
    for operations in sections:
        for operation in operations.values():
            media = _media(operation.get("requestBody", {}).get("content", {}))
            if media is not None and "example" not in media:
                example = builder.value(media["schema"], name="", whole=False)
                if example == {}:  # nothing required: show what may be sent
                    example = builder.value(media["schema"], name="", whole=True)
                media["example"] = example
            for status, answer in operation.get("responses", {}).items():
                media = _media(answer.get("content", {}))
                if status.startswith("2") and media is not None and "example" not in media:
                    media["example"] = builder.value(media["schema"], name="", whole=True)
    return document


def example_of(schema: dict[str, Any]) -> Any:
    """An example with every field of a JSON schema as pydantic writes it (``$defs`` inside)."""
    builder = _Builder({"components": {"schemas": schema.get("$defs", {})}})
    return builder.value(schema, name="", whole=True)
