"""The platform's combined API reference, as Markdown, from the four OpenAPI documents.

``docs/api/reference.md`` is written by ``make openapi`` (``deploy.docs_export``) beside the
documents it reads, so it cannot drift from them (``--check`` fails when it is stale). One page:
a table of contents per service and tag, then every operation (its id, what it takes, what it
answers, its refusals), every notifier webhook, and every schema with its fields described.
"""

import json
import re
from typing import Any

BASE_PATHS = {"identity": 8101, "agreements": 8102, "audit": 8103, "notifier": 8104}


def anchor(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^a-z0-9 _-]", "", text.lower()).replace(" ", "-")


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _schema_title(service: str, name: str) -> str:
    return f"{service}.{name}"


def _type(schema: dict[str, Any], service: str) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{anchor(_schema_title(service, name))})"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(_type(option, service) for option in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}), service)}"
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    return str(kind)


def _body(content: dict[str, Any], service: str) -> str:
    return ", ".join(
        f"{_type(media.get('schema', {}), service)} (`{kind}`)" for kind, media in content.items()
    )


def _operation(service: str, method: str, path: str, operation: dict[str, Any]) -> list[str]:
    title = f"{method.upper()} {path}"
    lines = [f"#### `{title}`", "", f"`{operation.get('operationId', '')}`", ""]
    text = operation.get("summary") or ""
    if operation.get("description"):
        text = operation["description"]
    if text:
        lines += [" ".join(text.split()), ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| Parameter | In | Type | Required | Description |", "|---|---|---|---|---|"]
        for parameter in parameters:
            lines.append(
                f"| `{parameter['name']}` | {parameter['in']} | "
                f"{_type(parameter.get('schema', {}), service)} | "
                f"{'yes' if parameter.get('required') else 'no'} | "
                f"{_cell(parameter.get('description', ''))} |"
            )
        lines.append("")
    if "requestBody" in operation:
        lines += [f"Body: {_body(operation['requestBody'].get('content', {}), service)}", ""]
    lines += ["| Answer | Body | Meaning |", "|---|---|---|"]
    for status, answer in operation.get("responses", {}).items():
        lines.append(
            f"| {status} | {_body(answer.get('content', {}), service) or '(none)'} | "
            f"{_cell(answer.get('description', ''))} |"
        )
    lines.append("")
    return lines


def _schema(service: str, name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"#### {_schema_title(service, name)}", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    properties = schema.get("properties", {})
    if properties:
        required = set(schema.get("required", ()))
        lines += ["| Field | Type | Required | Description |", "|---|---|---|---|"]
        for field, sub in properties.items():
            lines.append(
                f"| `{field}` | {_type(sub, service)} | {'yes' if field in required else 'no'} | "
                f"{_cell(sub.get('description', ''))} |"
            )
        lines.append("")
    elif "enum" in schema:
        lines += [f"One of {_type(schema, service)}.", ""]
    return lines


def _tags(document: dict[str, Any]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            tag = (operation.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append((method, path, operation))
    return by_tag


def reference_markdown(documents: dict[str, dict[str, Any]]) -> str:
    """One navigable page for every service's document (``documents`` by service name)."""
    lines = [
        "# API reference",
        "",
        "Generated from `docs/openapi/<service>.json` by `make openapi` (`python -m",
        "deploy.docs_export`); do not edit by hand. The conventions every API shares (problem",
        "details, idempotent creates, pagination, tokens) are in [../api.md](../api.md). Each",
        "service also serves its own document at `/openapi.json` and a browsable page at `/docs`",
        "(Swagger UI) and `/redoc`, with no asset from outside the service.",
        "",
        "## Contents",
        "",
    ]
    for service, document in documents.items():
        info = document.get("info", {})
        lines.append(
            f"- [{service}](#{anchor(service)}): {info.get('summary', '')} "
            f"([openapi]({'../openapi/' + service + '.json'}))"
        )
        for tag, operations in _tags(document).items():
            lines.append(
                f"  - [{tag}](#{anchor(f'{service} {tag}')}): {len(operations)} operations"
            )
        if document.get("webhooks"):
            lines.append(f"  - [webhooks](#{anchor(f'{service} webhooks')})")
        lines.append(f"  - [schemas](#{anchor(f'{service} schemas')})")
    lines.append("")
    for service, document in documents.items():
        info = document.get("info", {})
        lines += [
            f"## {service}",
            "",
            f"{info.get('title', service)} {info.get('version', '')}: {info.get('summary', '')}",
            f"Locally at `http://127.0.0.1:{BASE_PATHS.get(service, 0)}` (`make run`).",
            "",
        ]
        for tag, operations in _tags(document).items():
            lines += [f"### {service} {tag}", ""]
            for method, path, operation in operations:
                lines += _operation(service, method, path, operation)
        if document.get("webhooks"):
            lines += [
                f"### {service} webhooks",
                "",
                "What the notifier posts to a registered endpoint, one schema per notice kind.",
                "",
            ]
            for name, operations in document["webhooks"].items():
                for method, operation in operations.items():
                    lines += _operation(service, method, name, operation)
        lines += [f"### {service} schemas", ""]
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            lines += _schema(service, name, schema)
    return "\n".join(lines).rstrip() + "\n"
