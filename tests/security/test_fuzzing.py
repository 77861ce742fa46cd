"""Property-based fuzzing of the four OpenAPI documents with schemathesis (ASVS 5.0 8.4.1).

Every operation of identity, agreements, audit and notifier gets generated requests that follow
its schema (positive) and requests that break it (negative), as an admin of an organisation that
owns data: path parameters name its real objects some of the time. The services run in-process on
a real nats-server and SQLite (tests/security/world.py). Each answer is checked:

- no server error (5xx);
- its status code is documented;
- its body and content type match the documented ones;
- a request that breaks the schema is refused with a 4xx;
- an operation that needs a token refuses a request without one, or with a forged one.

Fast by default (a few examples per operation); ``PACTUM_PROOF_FULL=1`` (``make proof``) runs
many more. Every finding is fixed in the owning service, none is excluded here.
"""

import asyncio
import os
import re
import traceback
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.bridge import LoopBridge
from tests.security.world import World, service_groups

FULL = os.environ.get("PACTUM_PROOF_FULL") == "1"
EXAMPLES = 150 if FULL else 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]


def _strategies(world: World, operation: Any) -> Any:
    """Positive and negative cases; for an operation on an object, also cases on victim's own."""
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = re.findall(r"{(\w+)}", operation.path)
    if names:
        real = {name: world.object_for(operation.path, name) for name in names}
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))
    return st.one_of(strategies)


def _described(error: BaseException) -> str:
    """Schemathesis' own report of a failure; each one of a group; the last frame of a crash."""
    if isinstance(error, FailureGroup):
        return str(error)
    if isinstance(error, BaseExceptionGroup):
        return "\n".join(_described(each) for each in error.exceptions)
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def _fuzz(world: World, service: str, loop: asyncio.AbstractEventLoop) -> list[str]:
    """Runs in a worker thread: schemathesis calls the app through the bridge."""
    bridge = LoopBridge(world.platform.apps[service], loop)
    schema = schemathesis.openapi.from_asgi("/openapi.json", bridge)

    @schema.auth(refresh_interval=None)
    class Admin:
        """A token of victim's admin for each case, in a session of its own: a case that logs
        out, or revokes sessions, does not end the next case's."""

        def get(self, case: Any, context: Any) -> str:
            return world.fresh_token("victim")

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    findings = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            findings.append(f"{service}: an operation's schema is invalid: {result.err()}")
            continue
        operation = result.ok()

        @given(case=_strategies(world, operation))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=not FULL,
            phases=[Phase.explicit, Phase.generate, *([Phase.shrink] if FULL else [])],
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            answers_as_documented()
        except (Exception, BaseExceptionGroup) as error:
            findings.append(f"{service} {operation.label}:\n{_described(error)}")
    return findings


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("services", service_groups(FULL))
# Schemathesis' own strategies use the random module; Hypothesis warns about it, not about us.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@pytest.mark.timeout(1800 if FULL else 180)
async def test_every_operation_answers_as_documented_under_fuzzing__ASVS_8_4_1(
    world: World, services: tuple[str, ...]
) -> None:
    loop = asyncio.get_running_loop()
    findings: list[str] = []
    for service in services:
        findings += await asyncio.to_thread(_fuzz, world, service, loop)
    assert not findings, f"{len(findings)} operations answer off their documents:\n\n" + (
        "\n\n".join(findings)
    )
