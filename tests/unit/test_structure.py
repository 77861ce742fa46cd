"""The layout rules of docs/architecture.md, held by tests rather than by memory.

- No service imports another service's package: they talk through events (and HTTP).
- ``shared/`` imports no service: it is what every service needs, nothing domain-specific.
- A module documented as pure loads no framework when imported: it can be read, tested and run
  (the offline verifier, say) without a web server, a database layer or a broker.

The first two are read from the source with ``ast`` (every import statement, at any depth, so an
import inside a function counts too); the third imports each pure module in a fresh interpreter
and looks at ``sys.modules``, which also catches a framework pulled in by a project module it
imports.
"""

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/__init__.py"))
FRAMEWORKS = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "sqlmodel",
    "faststream",
    "nats",
    "httpx",
    "structlog",
    "opentelemetry",
    "pydantic",
)

# Modules the docs call pure (docs/architecture.md, docs/audit.md, docs/notifier.md).
PURE = (
    "services.identity.domain",
    "services.agreements.domain",
    "services.agreements.clocks",
    "services.agreements.commitments.tom_catalogue",
    "services.agreements.closure.archive",
    "services.agreements.closure.certificates",
    "services.agreements.assistance.rules",
    "services.agreements.lifecycle.annex1",
    "services.agreements.retention.rules",
    "services.audit.domain",
    "services.audit.sentences",
    "services.notifier.domain",
    "services.notifier.templates",
    "services.console.domain",
    "services.console.breaches.forms",
    "services.console.agreements.forms",
    "services.console.organisation.policy_form",
    "shared.moments",
    "shared.sealed_names",
)
# Known breaks of the rule, each to be fixed where it lives; strict: the test fails once fixed,
# so the entry is removed then.
KNOWN_IMPURE: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every module an import statement in ``path`` names, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module
            for alias in node.names:  # ``from services import identity`` imports a package
                yield node.lineno, f"{module}.{alias.name}"


def service_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "services" and parts[1] in SERVICES else None


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_the_rules_see_every_service() -> None:
    assert {"identity", "agreements", "audit", "notifier"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    crossings = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in python_files(f"services/{service}")
        for line, module in imported_modules(path)
        if service_of(module) not in (None, service)
    ]
    assert crossings == []


def test_shared_imports_no_service() -> None:
    crossings = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in python_files("shared")
        for line, module in imported_modules(path)
        if module == "services" or module.startswith("services.")
    ]
    assert crossings == []


def test_shared_loads_no_service_by_name_migrations_are_registered() -> None:
    """shared/migrations.py knows a service's revisions only from the service's own registration
    (issue 19.3): asked before it, it loads nothing of ``services`` and says what to import."""
    probe = (
        "import sys\n"
        "from shared import migrations\n"
        "try:\n"
        "    migrations.migrations_dir('audit')\n"
        "except LookupError as error:\n"
        "    print('refused:', error)\n"
        "print(' '.join(sorted(n for n in sys.modules if n.split('.')[0] == 'services')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    refused, loaded = done.stdout.splitlines()
    assert "import services.audit.migrations" in refused
    assert loaded == ""


def test_a_registered_service_s_migrations_are_found_there() -> None:
    from services.audit.migrations import MIGRATIONS
    from shared import migrations

    assert migrations.migrations_dir("audit") == MIGRATIONS.directory
    assert migrations.runtime_rights("audit") is MIGRATIONS.rights
    assert migrations.registered("a-test-service") is None  # no migrations: tables are created


def test_the_import_reader_sees_what_it_must() -> None:
    """The reader itself: absolute, relative, nested and ``from package import module`` forms."""
    source = ROOT / "services" / "agreements" / "lifecycle" / "service.py"
    found = {module for _line, module in imported_modules(source)}
    assert "services.agreements.access" in found
    assert "services.agreements.directory.store" in found
    assert service_of("services.audit.sentences") == "audit"
    assert service_of("shared.auth") is None


def frameworks_loaded_by(module: str) -> list[str]:
    probe = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(' '.join(n for n in {FRAMEWORKS!r} if n in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


@pytest.mark.parametrize(
    "module",
    [
        pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=KNOWN_IMPURE[m]))
        if m in KNOWN_IMPURE
        else m
        for m in PURE
    ],
)
def test_a_pure_module_loads_no_framework(module: str) -> None:
    assert frameworks_loaded_by(module) == []


def test_the_framework_probe_sees_a_framework() -> None:
    assert "fastapi" in frameworks_loaded_by("services.agreements.access")


# Within agreements: which package may import which (docs/architecture.md, "Agreements, by
# aggregate"), so that a change to one aggregate stays in its folder.
AGGREGATE = {"access", "clocks", "domain", "lifecycle"}
AGREEMENTS_MAY_USE = {
    "lifecycle": {"access", "directory", "domain"},
    "subprocessors": AGGREGATE,
    "breaches": AGGREGATE,
    "commitments": AGGREGATE,
    "assistance": AGGREGATE,
    "directory": {"domain"},
    "closure": AGGREGATE | {"subprocessors", "breaches", "commitments", "assistance"},
    "retention": AGGREGATE | {"assistance"},
}


@pytest.mark.parametrize("package", sorted(AGREEMENTS_MAY_USE))
def test_an_agreements_package_uses_only_what_it_may(package: str) -> None:
    allowed = AGREEMENTS_MAY_USE[package] | {package}
    strays = sorted(
        f"{path.relative_to(ROOT)}:{line} uses services.agreements.{unit}"
        for path in python_files(f"services/agreements/{package}")
        for line, module in imported_modules(path)
        if module.startswith("services.agreements.")
        and (unit := module.split(".")[2]) not in allowed
    )
    assert strays == []


# An event type written out as a string: a catalogued one has a named constant instead.
EVENT_TYPE = re.compile(
    r"""["']dpa\.(?:identity|agreements|audit|notifier)\.[a-z_]+\.[a-z_]+\.v\d+["']"""
)


def event_type_literals(path: Path) -> list[int]:
    """The lines of ``path`` where a whole string is a catalogued event type."""
    text = path.read_text(encoding="utf-8")
    return [text.count("\n", 0, m.start()) + 1 for m in EVENT_TYPE.finditer(text)]


def test_an_event_type_is_named_by_its_constant_so_who_emits_it_is_a_find_usages() -> None:
    """``BREACH_REPORTED``, not ``"dpa.agreements.breach.reported.v1"``: the constants live in
    shared/event_types/<service>.py, and nowhere else in the code is a type spelled out."""
    written_out = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in ("services", "shared")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts and path.parent.name != "event_types"
        for line in event_type_literals(path)
    ]
    assert written_out == []


def test_the_literal_finder_sees_a_type_written_out(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('TYPE = "dpa.agreements.breach.reported.v1"\nOTHER = "dpa.>"\n')
    assert event_type_literals(sample) == [1]


# -- functions that read as their decisions ---------------------------------------------------

LONGEST_FUNCTION = 60  # lines, from ``def`` to its last line (issue 19 item 4)


def long_functions(path: Path, limit: int = LONGEST_FUNCTION) -> list[str]:
    """The functions of ``path`` longer than ``limit`` lines, as ``name (lines)``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1})"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > limit
    ]


def test_no_function_is_longer_than_sixty_lines_so_a_use_case_reads_as_its_decisions() -> None:
    """A use case, a route or a composition root longer than this is split into its decisions
    (pure where they can be) and its steps. Migration revisions are exempt: they are history,
    written once, each the whole schema change it records."""
    too_long = [
        f"{path.relative_to(ROOT)}: {function}"
        for folder in ("services", "shared", "deploy")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "versions" not in path.parts
        for function in long_functions(path)
    ]
    assert too_long == []


def test_the_length_rule_sees_a_long_function(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    body = "".join(f"    step_{n} = {n}\n" for n in range(60))
    sample.write_text(f"def short():\n    return 1\n\n\nasync def long():\n{body}")
    assert long_functions(sample) == ["long (61)"]
