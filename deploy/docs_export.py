"""Write each service's OpenAPI document to ``docs/openapi/<service>.json``.

    python -m deploy.docs_export [--out docs/openapi] [--check] [service ...]

The app is built by the service's own ``create_app`` but never started: no database, NATS or
signing key is touched. ``--check`` writes nothing and fails when a committed document is stale.
"""

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

from shared.settings import DEFAULT_PORTS, PLATFORM_PREFIX

SERVICES = tuple(DEFAULT_PORTS)


def openapi_document(service: str) -> str:
    # The engine is created (never connected) while building the app: keep it off the disk.
    os.environ[f"{PLATFORM_PREFIX}{service.upper()}_DATABASE_URL"] = "sqlite+aiosqlite://"
    module = importlib.import_module(f"services.{service}.main")
    app = module.create_app()
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.docs_export", description=__doc__)
    parser.add_argument("services", nargs="*", help=f"any of {', '.join(SERVICES)} (default: all)")
    parser.add_argument("--out", type=Path, default=Path("docs/openapi"))
    parser.add_argument("--check", action="store_true", help="fail if a document is out of date")
    args = parser.parse_args(argv)
    unknown = set(args.services) - set(SERVICES)
    if unknown:
        parser.error(f"unknown service(s): {', '.join(sorted(unknown))}")
    stale = []
    for service in args.services or SERVICES:
        path = args.out / f"{service}.json"
        document = openapi_document(service)
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
