"""Fault injection with reconciliation (ARCH-2, TOM-32b, TOM-32d).

The platform runs as real processes under a mixed load while each service is killed with
SIGKILL and restarted, and the nats-server is restarted; afterwards every answered request, every
emitted event, every notice and every organisation's log is reconciled (tests/faults/reconcile.py).

``make test`` runs the short version (one kill of each service, one NATS restart, SQLite);
``make proof`` (``PACTUM_PROOF_FULL=1``) runs several rounds on SQLite and the same with two
replicas per service on PostgreSQL. docs/proof.md describes both and their last results.
"""

from pathlib import Path

import pytest

from tests.faults.chaos import FaultPlan, Outcome, run_under_faults
from tests.faults.processes import SERVICES
from tests.support.databases import (
    Database,
    PostgresRun,
    skip_or_fail_without_postgres,
    sqlite_database,
)
from tests.support.proof_report import contribute, full

pytestmark = pytest.mark.slow

needs_full = pytest.mark.skipif(not full(), reason="full version: PACTUM_PROOF_FULL=1 (make proof)")


def _judge(check: str, outcome: Outcome) -> None:
    figures = outcome.reconciliation.figures
    contribute(check, seconds=outcome.seconds, passed=outcome.reconciliation.ok, **figures)
    problems = [str(d) for d in outcome.reconciliation.discrepancies] + outcome.log_problems
    report = outcome.reconciliation.report()
    assert not problems, f"{check}: {', '.join(outcome.faults)}\n{report}\n" + "\n".join(
        outcome.log_problems
    )
    assert figures["kills"] >= len(SERVICES)
    assert figures["nats_restarts"] >= 1 and figures["succeeded"] > 0


def schemas(postgres_run: PostgresRun | str) -> dict[str, Database]:
    """One PostgreSQL schema per service, shared by its replicas."""
    if isinstance(postgres_run, str):
        skip_or_fail_without_postgres(postgres_run)
    assert isinstance(postgres_run, PostgresRun)
    return {service: postgres_run.database(service) for service in SERVICES}


@pytest.mark.timeout(180)
async def test_nothing_is_lost_or_doubled_when_each_service_is_killed_and_nats_restarts__ARCH_2_TOM_32b_TOM_32d(  # noqa: E501
    tmp_path: Path,
) -> None:
    databases = {service: sqlite_database(tmp_path, service) for service in SERVICES}
    # One audit process: each log in stream order, across its kill and the NATS restart too.
    plan = FaultPlan(rounds=1, gap=(0.5, 1.5), settle_within=30, exact_order=True)
    _judge("fault injection, short (SQLite)", await run_under_faults(tmp_path, databases, plan))


@needs_full
@pytest.mark.timeout(600)
async def test_several_rounds_of_kills_and_nats_restarts_under_a_longer_load__ARCH_2_TOM_32b_TOM_32d(  # noqa: E501
    tmp_path: Path,
) -> None:
    databases = {service: sqlite_database(tmp_path, service) for service in SERVICES}
    plan = FaultPlan(rounds=3, workers=4, gap=(2.0, 6.0), settle_within=60, exact_order=True)
    _judge("fault injection, full (SQLite)", await run_under_faults(tmp_path, databases, plan))


@needs_full
@pytest.mark.postgres
@pytest.mark.timeout(600)
async def test_two_replicas_per_service_share_a_database_under_kills_and_nats_restarts__ARCH_2_TOM_32b_TOM_32d(  # noqa: E501
    tmp_path: Path, postgres_run: PostgresRun | str
) -> None:
    databases = schemas(postgres_run)
    plan = FaultPlan(rounds=2, replicas=2, workers=4, gap=(2.0, 5.0), settle_within=60)
    outcome = await run_under_faults(tmp_path, databases, plan)
    _judge("fault injection, full (PostgreSQL, 2 replicas)", outcome)


@needs_full
@pytest.mark.postgres
@pytest.mark.timeout(600)
async def test_audit_split_into_partitions_keeps_every_log_whole_and_in_order_when_its_replicas_are_killed__ARCH_2_TOM_T3a(  # noqa: E501
    tmp_path: Path, postgres_run: PostgresRun | str
) -> None:
    """Issue 17.3: audit's ingest in four partitions shared by two replicas through leases. Each
    round kills one audit replica mid-load, so its partitions are taken over by the other after
    the lease runs out (docs/scaling.md); every event is logged once, every tree verifies and
    every organisation's log holds its events in the stream's order."""
    databases = schemas(postgres_run)
    plan = FaultPlan(
        rounds=2,
        replicas=2,
        workers=4,
        gap=(2.0, 5.0),
        settle_within=90,
        settings={"PACTUM_AUDIT_PARTITIONS": "4"},
        exact_order=True,
    )
    outcome = await run_under_faults(tmp_path, databases, plan)
    _judge("fault injection, audit in 4 partitions (PostgreSQL, 2 replicas)", outcome)
    assert outcome.reconciliation.figures["logs_out_of_stream_order"] == 0
