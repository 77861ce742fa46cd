"""Bad text and numbers of every kind get a 4xx and change nothing, on every route (issue 18.5).

For every operation of the four services that takes a JSON body or a query, Hypothesis draws a
request that follows the schema (schemathesis' positive strategy, naming victim's real objects)
and then plants one hostile value in it: an unpaired UTF-16 surrogate or a control character in
a string (of a field, of a key, of a list item), ``NaN``, ``Infinity`` or an integer past 2^53
in place of a value. It is sent as victim's admin and, for the public routes, with no token.
Each answer must be a 4xx whose body is JSON that does not echo the planted value, and no
request-caused event (the outbox of every service, actor victim's admin or anonymous) may appear.
"""

import asyncio
import json
import math
import os
import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Err
from sqlalchemy import select
from sqlmodel import col

from shared.outbox import OutboxMessage
from tests.security.bridge import LoopBridge
from tests.security.world import SERVICES, World, service_groups

FULL = os.environ.get("PACTUM_PROOF_FULL") == "1"
EXAMPLES = 60 if FULL else 6

_SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
_CONTROLS = st.sampled_from([chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20))])
_SAFE_TEXT = st.text(st.characters(codec="utf-8", categories=["L", "N"]), max_size=8)
HOSTILE_TEXT = st.builds(
    lambda before, bad, after: before + bad + after,
    _SAFE_TEXT,
    st.one_of(_SURROGATES, _CONTROLS),
    _SAFE_TEXT,
)
HOSTILE_NUMBERS = st.sampled_from([math.nan, math.inf, -math.inf, 2**60, -(2**60)])
HOSTILE = st.one_of(HOSTILE_TEXT, HOSTILE_NUMBERS)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every value in ``value`` (objects' values and list items)."""
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _leaves(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _leaves(inner, (*path, index))
    return found


def _planted(body: Any, path: tuple[Any, ...], bad: Any, as_key: bool) -> Any:
    if not path:
        return {bad: "x"} if as_key and isinstance(bad, str) else bad
    body = json.loads(json.dumps(body))
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    if as_key and isinstance(bad, str) and isinstance(parent, dict):
        parent[bad] = parent.pop(path[-1])
    else:
        parent[path[-1]] = bad
    return body


def _encoded(body: Any) -> bytes:
    """JSON as an attacker writes it: NaN and Infinity literals, surrogates as \\u escapes."""
    return json.dumps(body, allow_nan=True, ensure_ascii=True).encode()


async def _request_events(world: World, after: dict[str, int]) -> list[str]:
    """Events written since ``after`` (outbox positions) that a request caused."""
    actors = {world.victim.users["admin"].user_id, "anonymous"}
    caused = []
    for service in SERVICES:
        async with world.platform.runtime(service).sessions() as session:
            rows = await session.scalars(
                select(OutboxMessage).where(col(OutboxMessage.position) > after[service])
            )
            for row in rows:
                if json.loads(row.envelope).get("actorid") in actors:
                    caused.append(f"{service}: {row.event_type}")
    return caused


async def _positions(world: World) -> dict[str, int]:
    positions = {}
    for service in SERVICES:
        async with world.platform.runtime(service).sessions() as session:
            last = await session.scalar(
                select(col(OutboxMessage.position))
                .order_by(col(OutboxMessage.position).desc())
                .limit(1)
            )
            positions[service] = int(last or 0)
    return positions


def _probe(world: World, service: str, loop: asyncio.AbstractEventLoop) -> list[str]:
    """Runs in a worker thread; requests run on the services' loop."""
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", LoopBridge(world.platform.apps[service], loop)
    )
    findings: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            findings.append(f"{service}: {result.err()}")
            continue
        operation = result.ok()
        try:
            _probe_operation(world, world.client(service), loop, operation)
        except (Exception, BaseExceptionGroup) as error:
            findings.append(f"{service} {operation.method.upper()} {operation.path}: {error!r}")
    return findings


def _probe_operation(
    world: World, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop, operation: Any
) -> None:
    queries = sorted(p.name for p in operation.iter_parameters() if p.location == "query")
    has_body = bool(operation.body)
    if not has_body and not queries:
        return
    names = re.findall(r"{(\w+)}", operation.path)
    real = {name: world.object_for(operation.path, name) for name in names}
    label = f"{operation.method.upper()} {operation.path}"

    def on_loop(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    @given(
        case=operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real), data=st.data()
    )
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not FULL,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def refused_and_unchanged(case: Any, data: Any) -> None:
        headers = {"Authorization": f"Bearer {world.fresh_token('victim')}"}
        if data.draw(st.booleans(), label="without token"):
            headers = {}
        content: bytes | None = None
        query: dict[str, Any] = dict(case.query or {})
        bad: Any
        if has_body and (not queries or data.draw(st.booleans(), label="in body")):
            bad = data.draw(HOSTILE, label="bad")
            body = case.body if case.body is not None else {}
            where = data.draw(st.sampled_from(_leaves(body)), label="where")
            as_key = data.draw(st.booleans(), label="as key")
            content = _encoded(_planted(body, where, bad, as_key))
            headers["content-type"] = "application/json"
        else:
            bad = data.draw(HOSTILE_TEXT, label="bad text")
            query[data.draw(st.sampled_from(queries), label="parameter")] = bad
        before = on_loop(_positions(world))
        response = on_loop(
            client.request(
                operation.method.upper(),
                f"{case.formatted_path}?{_query_bytes(query)}",
                content=content,
                headers=headers,
            )
        )
        assert 400 <= response.status_code < 500, (label, response.status_code)
        answer = response.content.decode("utf-8")
        json.loads(answer)
        if isinstance(bad, str) and len(bad) > 2:
            assert bad not in answer, (label, "echoed")
        caused = on_loop(_request_events(world, before))
        assert not caused, (label, caused)

    refused_and_unchanged()


def _query_bytes(query: dict[str, Any]) -> str:
    """The query string, a surrogate sent as the (invalid) UTF-8 of its code point."""
    parts = []
    for name, value in query.items():
        values = value if isinstance(value, list) else [value]
        for each in values:
            text = str(each).encode("utf-8", "surrogatepass")
            parts.append(f"{quote(name)}={quote(text)}")
    return "&".join(parts)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("services", service_groups(FULL))
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@pytest.mark.timeout(1800 if FULL else 240)
async def test_hostile_text_and_numbers_get_a_4xx_and_change_nothing(
    world: World, services: tuple[str, ...]
) -> None:
    loop = asyncio.get_running_loop()
    findings: list[str] = []
    for service in services:
        findings += await asyncio.to_thread(_probe, world, service, loop)
    assert not findings, f"{len(findings)} operations took hostile input:\n\n" + "\n\n".join(
        findings
    )
