"""Write the documents generated from the code: OpenAPI per service, AsyncAPI, the event catalogue.

    python -m deploy.docs_export [--check]

- ``docs/openapi/<service>.json``: each service's HTTP API, from its FastAPI app;
- ``docs/api/reference.md``: one navigable reference of the four APIs, from those documents;
- ``docs/asyncapi.json``: the events each service emits, from the FastStream brokers (every
  catalogued type with its typed CloudEvents envelope), and the durable consumers by name and
  filter (shared/bus_access.py);
- ``docs/events.md``: the catalogue as a table, with the requirement IDs each event evidences;
- ``deploy/nats/users.conf``: compose's NATS users and their permissions (shared/bus_access.py),
  each password read from the node's environment (``$NATS_<USER>_PASSWORD``).

The apps are built by the services' own ``create_app`` but never started: no database, NATS or key
file is touched. ``--check`` writes nothing and fails when a committed document is stale (``make
lint`` runs it, so the documents cannot drift from the code).
"""

import argparse
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from faststream.specification import AsyncAPI

from deploy.api_reference import reference_markdown
from shared.bus_access import DURABLES, bus_users, server_users
from shared.events import CATALOGUE
from shared.events.subjects import parse_type
from shared.settings import API_PORTS, PLATFORM_PREFIX
from shared.specification import declare_emitted_events

SERVICES = tuple(API_PORTS)  # the console serves pages, not an API
DOCS = Path("docs")


def build_app(service: str) -> FastAPI:
    # The engine is created (never connected) while building the app: keep it off the disk. The
    # documented API is production's (no development-only routes), whatever the shell says. Leave
    # the environment as it was (tests build apps beside others in one process).
    prefix = f"{PLATFORM_PREFIX}{service.upper()}_"
    pinned = {f"{prefix}DATABASE_URL": "sqlite+aiosqlite://", f"{prefix}ENVIRONMENT": "production"}
    before = {variable: os.environ.get(variable) for variable in pinned}
    os.environ.update(pinned)
    try:
        module = importlib.import_module(f"services.{service}.main")
        app: FastAPI = module.create_app()
    finally:
        for variable, value in before.items():
            if value is None:
                del os.environ[variable]
            else:
                os.environ[variable] = value
    return app


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def asyncapi_document(apps: dict[str, FastAPI]) -> str:
    brokers = []
    for app in apps.values():
        runtime = app.state.runtime
        # Declared here, not on every start of a service: only this document reads them.
        declare_emitted_events(
            runtime.broker, service=runtime.settings.service, stream=runtime.settings.stream_name
        )
        brokers.append(runtime.broker)
    specification = AsyncAPI(
        *brokers,
        title="pactum events",
        version="0.1.0",
        description=(
            "Every access or change on the platform, as CloudEvents 1.0 on the JetStream stream "
            "DPA_EVENTS (subjects dpa.<tenant>.<service>.<entity>.<verb>). Published through each "
            "service's transactional outbox with Nats-Msg-Id = event id; consumed once by the "
            "durable consumers (shared/broker.py's consumer engine): "
            + "; ".join(
                f"{durable} ({service}) on {subjects}"
                for service, durables in DURABLES.items()
                for durable, subjects in durables.items()
            )
            + " (the notifier's filter is the kinds it plans notices for, within dpa.>)."
        ),
    ).to_specification()
    # FastStream keeps its publishers in a set: sort the keys so the document is reproducible.
    return (
        json.dumps(
            json.loads(specification.to_json()), indent=2, ensure_ascii=False, sort_keys=True
        )
        + "\n"
    )


def events_markdown() -> str:
    lines = [
        "# Event catalogue",
        "",
        "Generated from `shared/events/` by `make openapi` (`python -m deploy.docs_export`); do",
        "not edit by hand. The envelope, subjects and delivery guarantees are described in",
        "[architecture.md](architecture.md#events); the machine-readable form is",
        "[asyncapi.json](asyncapi.json).",
        "",
        "Every event travels as a CloudEvents 1.0 envelope with the extensions `tenantid`,",
        "`actorid`, `actortype` (user, operator, system), `actororgid`, `grantid`, `outcome`",
        "(succeeded, failed, denied), `actorsealed` (the actor's name sealed to the audit",
        "service, never the name: [audit.md](audit.md#the-actors-name)), `clientaddr` (the",
        "pseudonym of the client's address, never the address), `correlationid` and",
        "`traceparent`. Reads (`viewed`, `listed`, `exported`) are access events (TOM-T3a).",
        "",
    ]
    for service in SERVICES:
        kinds = [kind for kind in CATALOGUE.values() if kind.service == service]
        if not kinds:
            continue
        lines += [
            f"## {service}",
            "",
            "| Type | Subject | Evidence for | Payload | What happened |",
            "|---|---|---|---|---|",
        ]
        for kind in sorted(kinds, key=lambda k: k.type):
            _, entity, verb, _ = parse_type(kind.type)
            fields = ", ".join(f"`{name}`" for name in kind.payload.model_fields)
            lines.append(
                f"| `{kind.type}` | `dpa.<tenant>.{service}.{entity}.{verb}` | "
                f"{', '.join(kind.requirements)} | {fields or '(none)'} | {kind.summary} |"
            )
        lines.append("")
    return "\n".join(lines)


def documents() -> dict[Path, str]:
    apps = {service: build_app(service) for service in SERVICES}
    generated = {
        DOCS / "openapi" / f"{service}.json": _json(app.openapi()) for service, app in apps.items()
    }
    generated[DOCS / "api" / "reference.md"] = reference_markdown(
        {service: app.openapi() for service, app in apps.items()}
    )
    generated[DOCS / "asyncapi.json"] = asyncapi_document(apps)
    generated[DOCS / "events.md"] = events_markdown()
    generated[Path("deploy/nats/users.conf")] = nats_users()
    return generated


def nats_users() -> str:
    """The compose nodes' ``authorization`` block, included by deploy/nats/nats.conf."""
    passwords = {user: f"$NATS_{user.upper()}_PASSWORD" for user in bus_users()}
    return (
        '# Generated by `make openapi` from shared/bus_access.py (docs/operations.md, "The bus:\n'
        '# one user per service"): edit the matrix there, never this file.\n'
        + server_users(passwords)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.docs_export", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a document is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, document in documents().items():
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != document:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document, encoding="utf-8")
        print(f"wrote {path}")
    if stale:
        print(f"out of date (run `make openapi`): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
