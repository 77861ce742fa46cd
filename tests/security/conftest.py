"""Fixtures of the security proofs: a world of real tenants on all four services."""

import importlib
import pkgutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

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


@pytest.fixture
async def world(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> AsyncIterator[World]:
    async for built in build_world(nats_server.url, database, tmp_path / "var"):
        yield built
