"""The platform as real processes, as ``make run`` starts it, with replicas that can be killed.

Each replica is ``python -m services.<name>`` on its own port (tests/support/replicas.py); the
replicas of a service share its database and all share the var directory. ``kill`` is SIGKILL:
no shutdown step runs, whatever was in flight is lost from memory, only the database and the
stream remain. The platform counts its kills and NATS restarts for the reconciliation's figures.
"""

import asyncio
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.databases import Database
from tests.support.nats import NatsServer, free_port
from tests.support.replicas import (
    SERVICES,
    Replica,
    replica_environment,
    stop_gracefully,
    wait_until_ready,
)

__all__ = ["SERVICES", "ProcessPlatform", "Replica"]


@dataclass
class ProcessPlatform:
    """NATS and the four services (``replicas`` processes each) under one var directory."""

    root: Path
    nats: NatsServer
    databases: Mapping[str, Database]
    replicas: int = 1
    settings: Mapping[str, str] = field(default_factory=dict)
    members: dict[str, list[Replica]] = field(default_factory=dict)
    kills: int = 0
    nats_restarts: int = 0

    def __post_init__(self) -> None:
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            self.members[service] = [
                Replica(service, index, free_port(), self.root / "logs" / f"{service}-{index}.log")
                for index in range(self.replicas)
            ]

    @property
    def var_dir(self) -> Path:
        return self.root / "var"

    def urls(self, service: str) -> list[str]:
        return [replica.url for replica in self.members[service]]

    def environment(self, replica: Replica) -> dict[str, str]:
        return replica_environment(
            replica,
            database=self.databases[replica.service],
            nats_url=self.nats.url,
            var_dir=self.var_dir,
            identity_url=self.members["identity"][0].url,
            settings={"PACTUM_ENVIRONMENT": "test"} | dict(self.settings),
            inherit_settings=True,
        )

    def launch(self, replica: Replica) -> None:
        replica.start(self.environment(replica))

    async def start(self, *, within: float = 90.0) -> None:
        """Identity first (it creates the keys the others read), then the rest; replicas after
        their first, so that no two processes create a database's tables at the same moment."""
        for index in range(self.replicas):
            for group in (("identity",), ("agreements", "audit", "notifier")):
                chosen = [self.members[service][index] for service in group]
                for replica in chosen:
                    self.launch(replica)
                await self.ready(*chosen, within=within)

    async def ready(self, *replicas: Replica, within: float = 60.0) -> None:
        """Wait until every given replica (all if none) answers ``/readyz`` with 200."""
        waiting = replicas or [r for group in self.members.values() for r in group]
        await wait_until_ready(waiting, within=within, request_timeout=2.0, interval=0.1)

    async def create_organisation(self, name: str, kind: str) -> str:
        """An organisation made by identity's operator CLI, as in production; the other services
        learn of it from identity's ``organisation.created`` event."""
        command = [sys.executable, "-m", "services.identity.cli", "create-organisation",
                   "--name", name, "--kind", kind, "--mfa", "none"]  # fmt: skip
        made = await asyncio.create_subprocess_exec(
            *command,
            env=self.environment(self.members["identity"][0]),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output, _ = await made.communicate()
        if made.returncode != 0:
            raise RuntimeError(f"create-organisation failed: {output.decode()[-2000:]}")
        return output.decode().strip().splitlines()[-1]

    def kill(self, replica: Replica) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        replica.kill()
        self.kills += 1

    async def kill_and_restart(self, replica: Replica) -> None:
        self.kill(replica)
        self.launch(replica)
        await self.ready(replica)

    async def restart_nats(self, *, down_for: float = 0.5) -> None:
        """Stop the nats-server and start it again on the same port and store directory."""
        self.nats.stop()
        await asyncio.sleep(down_for)
        await asyncio.to_thread(self.nats.start)
        self.nats_restarts += 1

    def stop(self) -> list[str]:
        """Stop every replica gracefully; returns the problems found in their logs."""
        every = [replica for group in self.members.values() for replica in group]
        stop_gracefully(every)
        return [
            f"{replica.name}: traceback in its log {replica.log_path}"
            for replica in every
            if "Traceback" in replica.log()
        ]
