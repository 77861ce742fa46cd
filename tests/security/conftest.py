"""Fixtures of the security proofs: a world of real tenants on all four services."""

import ast
import importlib
import pkgutil
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from tests.security.world import World, build_world
from tests.support.databases import Database
from tests.support.nats import NatsServer


def _import_schemathesis_whole() -> None:
    """Import every schemathesis module now, in the main thread, while the tests are collected.

    schemathesis imports many of its modules lazily, and the probes call it from a worker thread
    while the services run on the main thread. pytest rewrites a plugin's modules on their first
    import (``ast.parse``), and CPython 3.11's AST builder keeps its recursion depth in state
    shared by all threads, so two threads parsing at once can fail with "AST constructor
    recursion depth mismatch" (CI on 2026-12-07, a fresh clone with no rewritten-module cache).
    Importing everything up front leaves no parse for the worker thread to do.
    """
    for module in pkgutil.walk_packages(schemathesis.__path__, "schemathesis."):
        try:
            importlib.import_module(module.name)
        except ImportError:  # an optional extra (e.g. GraphQL) that is not installed
            continue


_import_schemathesis_whole()

_PARSE = ast.parse
_PARSING = threading.Lock()


def _parse_one_at_a_time(*args: Any, **kwargs: Any) -> Any:
    """``ast.parse`` behind one lock for the whole process.

    The eager import above removed schemathesis' lazy parses, but other callers still parse while
    the probes run: Hypothesis parses source to describe a strategy in the worker thread while
    pytest or a lazy import parses in the main one, and ``make proof`` failed once more with
    "AST constructor recursion depth mismatch" (2026-12-07, the identity fuzzing probe). The
    state is CPython 3.11's, shared by all threads, so the only cure here is that no two threads
    parse at once; a parse holds the lock only while it runs and calls back into nothing.
    """
    with _PARSING:
        return _PARSE(*args, **kwargs)


ast.parse = _parse_one_at_a_time


@pytest.fixture
async def world(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> AsyncIterator[World]:
    async for built in build_world(nats_server.url, database, tmp_path / "var"):
        yield built
