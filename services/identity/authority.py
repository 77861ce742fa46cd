"""What identity's use cases need besides a database session: keys, hashing, settings, outbox."""

import hmac
import os
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import overload

from opentelemetry.metrics import Counter, NoOpCounter

from services.identity.domain import device_digest, throttle_key
from services.identity.keys import Sealer
from services.identity.passwords import Passwords, refused_passwords
from services.identity.settings import IdentitySettings
from shared.auth import TokenSigner
from shared.events import Actor
from shared.outbox import Outbox
from shared.revocation import RevocationList


@dataclass
class Authority:
    settings: IdentitySettings
    outbox: Outbox
    signer: TokenSigner
    sealer: Sealer
    passwords: Passwords
    revocations: RevocationList
    delivery_key: str
    # The shipped list and the deployment's own (settings.common_passwords_file); see __post_init__.
    common: frozenset[str] = field(default_factory=frozenset)
    retired_jwks: list[dict[str, str]] = field(default_factory=list)
    # Accounts locked (``login.lockout_counter``); the command line counts nothing.
    lockouts: Counter = field(default_factory=lambda: NoOpCounter("lockouts"))
    # An organisation's kind never changes: read once per process, for the ``org_kind`` claim.
    organisation_kinds: dict[uuid.UUID, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.common:
            self.common = refused_passwords(self.settings.common_passwords_file)

    @property
    def system(self) -> Actor:
        return Actor.system("identity")

    @property
    def access_ttl(self) -> timedelta:
        return timedelta(minutes=self.settings.access_token_minutes)

    @overload
    def client_key(self, address: str) -> str: ...
    @overload
    def client_key(self, address: None) -> None: ...
    def client_key(self, address: str | None) -> str | None:
        """What a client's failed logins and reset requests are counted by (TOM-T5): its
        throttle key (an IPv6 client's /64) as a keyed pseudonym, so the table of counts holds
        no address (TOM-32a); the key itself where the outbox has none (the command line)."""
        if address is None:
            return None
        key = throttle_key(address)
        pseudonyms = self.outbox.pseudonyms
        return pseudonyms.of_address(key) if pseudonyms is not None else key

    def device_key(self, *, user_id: str, agent: str | None, address: str | None) -> str:
        """What tells one of a user's devices from another (the browser and the network it
        signs in from, an IPv6 client's /64), keyed with the platform's pseudonym key so the
        digest kept cannot be tested against guessed browsers and addresses (TOM-32a); the
        unkeyed :func:`device_digest` where the outbox has no key (the command line)."""
        pseudonyms = self.outbox.pseudonyms
        if pseudonyms is None:
            return device_digest(user_id=user_id, agent=agent, address=address)
        network = throttle_key(address) if address else ""
        return pseudonyms.of_device(user_id=user_id, agent=agent or "", network=network)

    def is_delivery_key(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(
            presented.encode(), self.delivery_key.encode()
        )

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.signer.public_jwk, *self.retired_jwks]}


def load_or_create_delivery_key(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(os.urandom(32).hex())
    return path.read_text().strip()
