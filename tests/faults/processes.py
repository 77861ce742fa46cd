"""The platform as real processes, as ``make run`` starts it, with replicas that can be killed.

Each replica is ``python -m services.<name>`` on its own port with ``PACTUM_*`` settings; the
replicas of a service share its database (a SQLite file, or a PostgreSQL schema) and the var
directory (identity's signing and delivery keys, audit's checkpoint key). ``kill`` is SIGKILL:
no shutdown step runs, whatever was in flight is lost from memory, only the database and the
stream remain.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.databases import Database
from tests.support.nats import NatsServer, free_port

SERVICES = ("identity", "agreements", "audit", "notifier")


@dataclass
class Replica:
    service: str
    index: int
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


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
        identity = self.members["identity"][0]
        database = self.databases[replica.service]
        prefix = f"PACTUM_{replica.service.upper()}_"
        values = {
            "PACTUM_ENVIRONMENT": "test",
            "PACTUM_NATS_URL": self.nats.url,
            "PACTUM_VAR_DIR": str(self.var_dir),
            "PACTUM_JWKS_URL": f"{identity.url}/.well-known/jwks.json",
            "PACTUM_NOTIFIER_IDENTITY_URL": identity.url,
            "PACTUM_LOG_LEVEL": "INFO",
            f"{prefix}PORT": str(replica.port),
            f"{prefix}DATABASE_URL": database.url,
        }
        if database.schema:
            values[f"{prefix}DATABASE_SCHEMA"] = database.schema
        return dict(os.environ) | values | dict(self.settings)

    def launch(self, replica: Replica) -> None:
        replica.starts += 1
        with replica.log_path.open("ab") as log:
            log.write(f"\n=== start {replica.starts} of {replica.name}\n".encode())
            log.flush()
            replica.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{replica.service}"],
                env=self.environment(replica),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

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
        waiting = list(replicas) or [r for group in self.members.values() for r in group]
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2.0) as client:
            while waiting:
                for replica in list(waiting):
                    if not replica.alive:
                        raise RuntimeError(f"{replica.name} exited: {self.tail(replica)}")
                    try:
                        answer = await client.get(f"{replica.url}/readyz")
                    except httpx.TransportError:
                        continue
                    if answer.status_code == 200:
                        waiting.remove(replica)
                if not waiting:
                    return
                if time.monotonic() > deadline:
                    names = ", ".join(replica.name for replica in waiting)
                    raise RuntimeError(f"not ready within {within} s: {names}")
                await asyncio.sleep(0.1)

    async def create_organisation(self, name: str, kind: str) -> str:
        """An organisation made by identity's operator CLI, as in production; the other services
        learn of it from identity's ``organisation.created`` event."""
        command = [sys.executable, "-m", "services.identity.cli", "create-organisation",
                   "--name", name, "--kind", kind]  # fmt: skip
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
        assert replica.process is not None
        replica.process.send_signal(signal.SIGKILL)
        replica.process.wait(timeout=10)
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
        running = [r for group in self.members.values() for r in group if r.alive]
        for replica in running:
            assert replica.process is not None
            replica.process.terminate()
        for replica in running:
            assert replica.process is not None
            try:
                replica.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait(timeout=10)
        problems = []
        for group in self.members.values():
            for replica in group:
                text = replica.log_path.read_text(errors="replace")
                if "Traceback" in text:
                    problems.append(f"{replica.name}: traceback in its log {replica.log_path}")
        return problems

    def tail(self, replica: Replica, size: int = 3000) -> str:
        return replica.log_path.read_text(errors="replace")[-size:]
