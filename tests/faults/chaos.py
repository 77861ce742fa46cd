"""A run under faults: the platform as processes, a mixed load, kills and NATS restarts, then
the reconciliation (tests/faults/reconcile.py).

Faults come one at a time, in a shuffled order per round, at random moments while the load runs:
``kill -9`` of one replica of each service (restarted at once, as a supervisor would) and a
restart of the nats-server on the same port and store directory. Before the next fault the
platform is ready again, so every fault meets a platform that recovered from the last one.
"""

import asyncio
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from tests.faults.load import NOTICES, Load
from tests.faults.processes import ProcessPlatform
from tests.faults.receivers import Mailbox, WebhookReceiver
from tests.faults.reconcile import (
    Databases,
    Reconciliation,
    check_order,
    reconcile,
    settle,
    stream_order,
    verify_trees,
)
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.replicas import SERVICES

# Settings that make recovery fast enough to reconcile within a test: a killed consumer's
# unacked events come back after 3 s, a killed dispatcher's claimed deliveries after 10 s, and a
# delivery that met a restarting identity is retried within seconds rather than minutes.
RECOVERY_SETTINGS = {
    "PACTUM_NOTIFIER_RETRY_DELAYS_SECONDS": "[1, 2, 4, 8, 15, 30]",
    "PACTUM_OUTBOX_POLL_SECONDS": "0.2",
    "PACTUM_CONSUMER_ACK_WAIT_SECONDS": "3",
    "PACTUM_NOTIFIER_LEASE_SECONDS": "10",
    "PACTUM_NOTIFIER_DISPATCH_POLL_SECONDS": "0.5",
    "PACTUM_NOTIFIER_SMTP_TIMEOUT_SECONDS": "3",
    "PACTUM_NOTIFIER_WEBHOOK_TIMEOUT_SECONDS": "3",
    "PACTUM_IDENTITY_DEMO_DATA": "true",  # UTOPIA exists in identity, so its admin can invite
}


@dataclass(frozen=True)
class FaultPlan:
    rounds: int = 1  # each round: every service killed once, NATS restarted once
    replicas: int = 1
    workers: int = 3
    pause: float = 0.05  # seconds each worker waits between calls
    gap: tuple[float, float] = (1.0, 3.0)  # random seconds of load before each fault
    settle_within: float = 45.0
    publish_bound: timedelta = timedelta(seconds=60)
    seed: int = 8
    # PACTUM_* settings for every process beyond RECOVERY_SETTINGS (e.g. audit's partitions)
    settings: Mapping[str, str] = field(default_factory=dict)
    # Each organisation's log must hold its events in stream order (counted in any case)
    exact_order: bool = False


@dataclass
class Outcome:
    reconciliation: Reconciliation
    faults: list[str] = field(default_factory=list)
    log_problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


async def run_under_faults(
    root: Path, databases: Mapping[str, Database], plan: FaultPlan
) -> Outcome:
    chooser = random.Random(plan.seed)
    started = time.monotonic()
    nats = NatsServer(root / "nats").start()
    mailbox = Mailbox(root / "mail").start()
    receiver = WebhookReceiver().start()
    platform = ProcessPlatform(
        root,
        nats,
        databases,
        replicas=plan.replicas,
        settings=RECOVERY_SETTINGS
        | {"PACTUM_NOTIFIER_SMTP_PORT": str(mailbox.port)}
        | dict(plan.settings),
    )
    readers = Databases(databases)
    load = Load(platform, webhook_url=receiver.url, seed=plan.seed)
    outcome = Outcome(Reconciliation())
    try:
        await platform.start()
        await load.prepare()
        stop = asyncio.Event()
        running = asyncio.create_task(load.run(stop, workers=plan.workers, pause=plan.pause))
        try:
            for round_ in range(plan.rounds):
                faults = [*SERVICES, "nats"]
                chooser.shuffle(faults)
                for fault in faults:
                    await asyncio.sleep(chooser.uniform(*plan.gap))
                    if fault == "nats":
                        await platform.restart_nats()
                        await platform.ready()
                        outcome.faults.append("nats restarted")
                    else:
                        replica = platform.members[fault][round_ % plan.replicas]
                        await platform.kill_and_restart(replica)
                        outcome.faults.append(f"{replica.name} killed")
            await asyncio.sleep(chooser.uniform(*plan.gap))
        finally:
            stop.set()
            await running
        evidence, reasons = await settle(readers, within=plan.settle_within)
        audit = platform.urls("audit")[0]
        organisations = [o for o in evidence.organisations if is_uuid(o)]
        trees = await verify_trees(audit, organisations, load.headers)
        evidence, reasons = await settle(readers, within=plan.settle_within)
        outcome.reconciliation = reconcile(
            evidence,
            load.calls,
            notices=NOTICES,
            mail=mailbox.transmissions(),
            webhooks=receiver.transmissions(),
            publish_bound=plan.publish_bound,
            unsettled_reasons=reasons,
        )
        outcome.reconciliation.discrepancies += trees
        order = check_order(await stream_order(nats.url), evidence.logged)
        if plan.exact_order:
            outcome.reconciliation.discrepancies += order
        outcome.reconciliation.figures |= {
            "kills": platform.kills,
            "nats_restarts": platform.nats_restarts,
            "replicas_per_service": plan.replicas,
            "organisations_verified": len(organisations),
            "logs_out_of_stream_order": len(order),
            # the "platform" log (identity's key events) has no organisation to ask for it
            "logs_without_an_organisation": len(evidence.organisations) - len(organisations),
        }
    finally:
        await load.close()
        await readers.close()
        outcome.log_problems = platform.stop()
        nats.stop()
        mailbox.stop()
        receiver.stop()
    outcome.seconds = round(time.monotonic() - started, 1)
    return outcome
