"""Password hashing (argon2id, TOM-T10) and the lists of common passwords (ASVS 6.2.4).

Parameters meet OWASP's minimum for argon2id (m=19 MiB, t=2, p=1); a stored hash made with other
parameters is rehashed at the next successful login. Unknown accounts are checked against a dummy
hash so that they cost the same time as known ones.
"""

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt"


class Passwords:
    """Hashes and verifies passwords with one set of argon2id parameters."""

    def __init__(self, *, memory_kib: int = 19 * 1024, time_cost: int = 2, parallelism: int = 1):
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._dummy = self._hasher.hash("pactum dummy password for unknown accounts")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True if ``password`` matches; a missing hash costs the same as a wrong password."""
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


@lru_cache(maxsize=4)
def common_passwords(path: Path = COMMON_PASSWORDS) -> frozenset[str]:
    """The passwords of a list file: one a line, ``#`` starts a comment line, case ignored."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def refused_passwords(extra: Path | None = None) -> frozenset[str]:
    """The shipped list (over 30,000 entries, see data/common-passwords.txt), plus a deployment's
    own list (``PACTUM_IDENTITY_COMMON_PASSWORDS_FILE``) if it names one. Never fewer."""
    shipped = common_passwords()
    return shipped | common_passwords(extra) if extra is not None else shipped
