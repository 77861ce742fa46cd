"""Service replicas as real processes: ``python -m services.<name>`` on its own port with
``PACTUM_*`` settings, as ``make run`` and compose's ``--scale`` start them.

The replicas of a service share its database (a SQLite file, or a PostgreSQL schema) and every
replica shares the var directory (identity's signing and delivery keys, audit's checkpoint
key). Each replica writes to its own log; every start appends to it under a header line. The
fault platform (``tests/faults``) and the scaled-out fleet (``tests/scaling``) start theirs here.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.databases import Database

SERVICES = ("identity", "agreements", "audit", "notifier")


@dataclass
class Replica:
    """One process of a service; ``starts`` counts how often it was (re)started."""

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

    def start(self, environment: Mapping[str, str]) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n=== start {self.starts} of {self.name}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.service}"],
                env=dict(environment),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish anything; only the database and the
        stream keep what it did."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, size: int = 3000) -> str:
        return self.log()[-size:]


def replica_environment(
    replica: Replica,
    *,
    database: Database,
    nats_url: str,
    var_dir: Path,
    identity_url: str,
    settings: Mapping[str, str],
    inherit_settings: bool,
) -> dict[str, str]:
    """The process environment of ``replica``: the test run's own environment (without its
    ``PACTUM_*`` variables unless ``inherit_settings``), then the replica's port, database,
    NATS and keys, then ``settings``, which win."""
    prefix = f"PACTUM_{replica.service.upper()}_"
    values = {
        "PACTUM_NATS_URL": nats_url,
        "PACTUM_VAR_DIR": str(var_dir),
        "PACTUM_JWKS_URL": f"{identity_url}/.well-known/jwks.json",
        "PACTUM_NOTIFIER_IDENTITY_URL": identity_url,
        "PACTUM_LOG_LEVEL": "INFO",
        "PACTUM_ENVIRONMENT": "test",  # the services' own default is production
        f"{prefix}PORT": str(replica.port),
        f"{prefix}DATABASE_URL": database.service_url,
    }
    if database.runtime_url:  # PostgreSQL: the service runs as its own role, migrates as owner
        values[f"{prefix}MIGRATION_DATABASE_URL"] = database.url
    if database.schema:
        values[f"{prefix}DATABASE_SCHEMA"] = database.schema
    inherited = {
        key: value
        for key, value in os.environ.items()
        if inherit_settings or not key.startswith("PACTUM_")
    }
    return inherited | values | dict(settings)


async def wait_until_ready(
    replicas: Iterable[Replica],
    *,
    within: float = 60.0,
    request_timeout: float = 2.0,
    interval: float = 0.1,
) -> None:
    """Wait until every replica answers ``/readyz`` with 200; fail at once if one exits."""
    waiting = list(replicas)
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=request_timeout) as client:
        while waiting:
            for replica in list(waiting):
                if not replica.alive:
                    raise RuntimeError(f"{replica.name} exited:\n{replica.tail()}")
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
            await asyncio.sleep(interval)


def stop_gracefully(replicas: Iterable[Replica]) -> None:
    """SIGTERM to every running replica, then up to 20 s each to finish; SIGKILL after that."""
    running = [replica for replica in replicas if replica.alive]
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
