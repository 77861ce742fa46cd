"""Losing one node of the three-node NATS cluster, the one leading the event stream, loses no
event: requests keep succeeding, the relays publish to the new leader, audit receives every event
once, and the node catches up when it returns (TOM-32b, TOM-32c). The notifier takes only the
events it plans notices for, not these drafts (tests/notifier/test_consumer_filter.py)."""

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import nats
import pytest

from tests.agreements.organisations import announce
from tests.support.fleet import Fleet
from tests.support.nats import NatsCluster
from tests.support.platform import eventually
from tests.support.replicas import SERVICES

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(120)]

BEFORE = 6
AFTER = 12
CREATED = "dpa.agreements.agreement.created.v1"


async def stream_leader(cluster: NatsCluster) -> tuple[str, int]:
    """The node leading DPA_EVENTS and how many replicas are current, asked of a running node."""
    servers = [node.url for node in cluster.nodes if node.running]
    connection = await nats.connect(servers)
    try:
        info = await connection.jetstream().stream_info("DPA_EVENTS")
    finally:
        await connection.close()
    assert info.config.num_replicas == 3
    assert info.cluster is not None and info.cluster.leader is not None
    current = 1 + sum(1 for peer in info.cluster.replicas or [] if peer.current)
    return info.cluster.leader, current


async def test_losing_the_stream_leader_node_loses_no_event_published_through_the_api__TOM_32b(
    fleet: Fleet, cluster: NatsCluster
) -> None:
    first = [fleet.start(service) for service in SERVICES]
    await fleet.ready(*first)
    [agreements] = fleet.of("agreements")
    [audit] = fleet.of("audit")
    organisation = str(uuid.uuid4())
    auth = fleet.auth(organisation)
    await announce(fleet.nats_url, {organisation: "controller"})

    async with httpx.AsyncClient(timeout=10) as client:

        async def create(number: int) -> str:
            answer = await client.post(
                f"{agreements.url}/agreements", json={"title": f"Agreement {number}"}, headers=auth
            )
            assert answer.status_code == 201, answer.text
            return str(answer.json()["id"])

        async def created_in_audit(count: int) -> list[Any] | None:
            page = await client.get(
                f"{audit.url}/audit/entries", params={"limit": 500}, headers=auth
            )
            assert page.status_code == 200, page.text
            found = [item for item in page.json()["items"] if item["event_type"] == CREATED]
            return found if len(found) >= count else None

        ids = [await create(number) for number in range(BEFORE)]
        await eventually(lambda: created_in_audit(BEFORE), within=30)

        leader, _ = await stream_leader(cluster)
        cluster.node(leader).stop(kill=True)
        # Keep producing while the two remaining nodes elect a new stream leader.
        ids += await asyncio.gather(*(create(number) for number in range(BEFORE, BEFORE + AFTER)))
        assert len(set(ids)) == BEFORE + AFTER

        entries = await eventually(lambda: created_in_audit(BEFORE + AFTER), within=45)
        counted = Counter(item["event_id"] for item in entries or [])
        assert len(counted) == BEFORE + AFTER and max(counted.values()) == 1, counted
        verification = await client.get(f"{audit.url}/audit/verification", headers=auth)
        assert verification.json()["valid"] is True, verification.json()

        new_leader, _ = await stream_leader(cluster)
        assert new_leader != leader
        cluster.node(leader).start()

        async def caught_up() -> bool:
            _, current = await stream_leader(cluster)
            return current == 3

        await eventually(caught_up, within=30, interval=0.2)
