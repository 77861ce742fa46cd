"""A warm interpreter for the command lines in tests (``pactum``, identity's): one Python
process that has imported them and what their commands load, and forks a fresh child for each
run.

Each child is a process of its own, as an operator's shell would start (its own environment,
working directory, standard streams, exit code, event loop and database connections); it only
skips the interpreter's start-up and the 1.3 to 2.5 s of imports that every cold
``python -m deploy.operator`` pays. The tests ran dozens of commands, each paying it again.

Protocol, one JSON line per request on standard input::

    {"id": 7, "module": "deploy.operator", "arguments": [...], "env": {...}, "cwd": "...",
     "out": "/path", "err": "/path"}

and one line ``7 <exit code>`` on standard output when that run ended. Runs may overlap: each
child reports itself. Started by :mod:`tests.support.pactum_cli`; run as
``python -m tests.support.warm_cli``.
"""

import ast
import atexit
import contextlib
import importlib
import importlib.util
import itertools
import json
import os
import random
import runpy
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The command lines the tests run: ``pactum``, and identity's own that the console tests use.
COMMANDS = ("deploy.operator", "services.identity.cli")
# Drivers the commands load when they connect, not by an import statement.
DRIVERS = ("aiosqlite", "asyncpg", "sqlalchemy.dialects.postgresql.asyncpg")


def _imported_by(module: str) -> list[str]:
    """Every module a command line's source imports, at its top or inside its commands (they
    import most of what a command needs only when that command runs), so no list here can
    drift."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text())
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def preload() -> None:
    for name in [*COMMANDS, *(name for command in COMMANDS for name in _imported_by(command))]:
        # ``from module import function`` names no module of its own: nothing to load.
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    for driver in DRIVERS:
        importlib.import_module(driver)


def _exit_code(exit: SystemExit) -> int:
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code
    print(exit.code, file=sys.stderr)  # what the interpreter does with sys.exit("message")
    return 1


def _run(request: dict[str, Any], report: int) -> None:
    """In the forked child: become the command's process, run it, report its exit code."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the command may wait for its own children
    random.seed()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    for fd, path in ((1, request["out"]), (2, request["err"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    module = request["module"]
    assert module in COMMANDS, module
    sys.argv = [module, *request["arguments"]]
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        code = _exit_code(exit)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(report, f"{request['id']} {code}\n".encode())
        os._exit(code)


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class WarmCli:
    """This test process's warm interpreter (tests/support/warm_cli.py): started on the first
    run, it forks each command from an interpreter that has already imported it. Runs may
    overlap; each waits for its own exit code."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._runs = itertools.count(1)
        self._ended: dict[int, int] = {}
        self._changed = threading.Condition()

    def _started(self) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                process = subprocess.Popen(
                    [sys.executable, "-m", "tests.support.warm_cli"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                )
                assert process.stdout is not None
                if process.stdout.readline() != b"ready\n":
                    raise RuntimeError("the warm command line did not start")
                threading.Thread(target=self._read, args=(process,), daemon=True).start()
                atexit.register(process.kill)
                self._process = process
            return self._process

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            run, code = line.split()
            with self._changed:
                self._ended[int(run)] = int(code)
                self._changed.notify_all()

    def run(
        self,
        env: dict[str, str],
        arguments: tuple[str, ...],
        timeout: float,
        module: str = "deploy.operator",
    ) -> Ran:
        """Run ``python -m MODULE ARGUMENTS`` forked from the warm interpreter; blocks."""
        process = self._started()
        run = next(self._runs)
        with tempfile.TemporaryDirectory(prefix="pactum-cli-") as folder:
            out, err = Path(folder, "out"), Path(folder, "err")
            request = {
                "id": run,
                "module": module,
                "arguments": list(arguments),
                "env": env,
                "cwd": os.getcwd(),
                "out": str(out),
                "err": str(err),
            }
            with self._lock:
                assert process.stdin is not None
                process.stdin.write(json.dumps(request).encode() + b"\n")
                process.stdin.flush()
            with self._changed:
                if not self._changed.wait_for(lambda: run in self._ended, timeout=timeout):
                    raise TimeoutError(f"pactum {' '.join(arguments)}: no exit within {timeout} s")
                code = self._ended.pop(run)
            return Ran(code, out.read_text(), err.read_text())


WARM = WarmCli()


def serve() -> None:
    preload()
    report = os.dup(1)  # the replies; the children's own streams go to their files
    os.dup2(2, 1)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    os.write(report, b"ready\n")
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            os.close(0)
            _run(request, report)


if __name__ == "__main__":
    serve()
