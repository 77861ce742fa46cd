"""Service replicas started on demand against one NATS cluster, one PostgreSQL schema per
service, as compose runs them with ``--scale``: the scaled-out tests (``tests/scaling``) and the
capacity simulation (``bench/simulation.py``) start theirs here.

Replicas of one service share its database and the var directory (the keys), and their durable
consumers share the work. Tokens are signed with the key identity created under the var
directory, as in ``tests/e2e``.
"""

from dataclasses import dataclass, field
from pathlib import Path

from shared.auth import Role, TokenSigner
from tests.support.databases import Database
from tests.support.nats import free_port
from tests.support.replicas import Replica, replica_environment, stop_gracefully, wait_until_ready

# Settings of a scaled-out deployment: events on three stream replicas, quick relays and
# dispatch, mail to the test's mail sink.
FLEET_SETTINGS = {
    "PACTUM_STREAM_REPLICAS": "3",
    "PACTUM_OUTBOX_POLL_SECONDS": "0.1",
    "PACTUM_CONSUMER_ACK_WAIT_SECONDS": "10",
    "PACTUM_NOTIFIER_DISPATCH_POLL_SECONDS": "0.2",
    "PACTUM_NOTIFIER_PUBLIC_BASE_URL": "https://pactum.test",
}


@dataclass
class Fleet:
    """Service replicas started on demand against one cluster, one database per service."""

    work_dir: Path
    nats_url: str
    databases: dict[str, Database]
    mail_port: int
    replicas: list[Replica] = field(default_factory=list)
    identity_port: int = field(default_factory=free_port)

    @property
    def var_dir(self) -> Path:
        return self.work_dir / "var"

    def start(self, service: str) -> Replica:
        """A new replica of ``service``, numbered from 1; identity's first one answers on
        ``identity_port``, the address every replica fetches the signing keys from."""
        index = 1 + len(self.of(service))
        port = self.identity_port if service == "identity" and index == 1 else free_port()
        replica = Replica(service, index, port, self.work_dir / f"{service}-{index}.log")
        replica.start(
            replica_environment(
                replica,
                database=self.databases[service],
                nats_url=self.nats_url,
                var_dir=self.var_dir,
                identity_url=f"http://127.0.0.1:{self.identity_port}",
                settings=FLEET_SETTINGS | {"PACTUM_NOTIFIER_SMTP_PORT": str(self.mail_port)},
                inherit_settings=False,
            )
        )
        self.replicas.append(replica)
        return replica

    def of(self, service: str) -> list[Replica]:
        return [replica for replica in self.replicas if replica.service == service]

    async def ready(self, *replicas: Replica, within: float = 60.0) -> None:
        """Every replica answers ``/readyz`` with 200 (and none has exited)."""
        await wait_until_ready(replicas, within=within, request_timeout=5.0, interval=0.2)

    def signer(self) -> TokenSigner:
        key = (self.var_dir / "identity" / "signing-key.pem").read_bytes()
        return TokenSigner.from_pem(key, issuer="pactum-identity", audience="pactum")

    def auth(self, organisation: str, role: Role = Role.admin) -> dict[str, str]:
        token = self.signer().issue(
            user_id=f"admin-{organisation[:8]}", organisation_id=organisation, roles=[role]
        )
        return {"Authorization": f"Bearer {token}"}

    def stop(self) -> dict[str, str]:
        """Stop every replica (SIGTERM, then wait); returns each one's log."""
        stop_gracefully(self.replicas)
        return {replica.name: replica.log() for replica in self.replicas}
