"""Personal data in entries, sealed under keys that erasure destroys (TOM-32a, TOM-T1).

One AES-256-GCM key per organisation, data subject and month. The ciphertext is what the Merkle
leaf covers, so destroying a key pseudonymises every entry it sealed and changes no hash.
"""

import base64
import json
import os
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.audit.store import SealKey

KeyRef = tuple[str, str, str]  # organisation, data subject, period

# What ``json.dumps(personal, sort_keys=True, separators=(",", ":"))`` does, with the encoder
# built once instead of on every call.
_PLAIN = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def seal(material: bytes, personal: dict[str, Any], *, event_id: uuid.UUID) -> str:
    return seal_with(AESGCM(material), personal, event_id=event_id)


def seal_with(cipher: AESGCM, personal: dict[str, Any], *, event_id: uuid.UUID) -> str:
    """:func:`seal` with a cipher already built from the key (one per key for a whole batch)."""
    nonce = os.urandom(12)
    plain = _PLAIN.encode(personal).encode()
    return base64.b64encode(nonce + cipher.encrypt(nonce, plain, event_id.bytes)).decode()


def unseal(material: bytes, sealed: str, *, event_id: uuid.UUID) -> dict[str, Any] | None:
    raw = base64.b64decode(sealed)
    try:
        plain = AESGCM(material).decrypt(raw[:12], raw[12:], event_id.bytes)
    except InvalidTag:
        return None
    value: dict[str, Any] = json.loads(plain)
    return value


class LiveKey(NamedTuple):
    """A key that seals new data: its id and its material."""

    id: str
    material: bytes


async def live_keys(session: AsyncSession, refs: Iterable[KeyRef]) -> dict[KeyRef, LiveKey]:
    """The current key for each reference, creating the missing ones in this transaction.

    Core rows rather than ORM objects: the consumer asks once per batch, and loading key objects
    cost more than the query.
    """
    wanted = set(refs)
    if not wanted:
        return {}
    table = SealKey.__table__  # type: ignore[attr-defined]
    rows = await session.execute(
        select(
            table.c.organisation_id,
            table.c.subject_id,
            table.c.period,
            table.c.id,
            table.c.material,
        ).where(
            table.c.organisation_id.in_({ref[0] for ref in wanted}),
            table.c.subject_id.in_({ref[1] for ref in wanted}),
            table.c.period.in_({ref[2] for ref in wanted}),
            table.c.destroyed_at.is_(None),
        )
    )
    found: dict[KeyRef, LiveKey] = {}
    for org, subject, period, key_id, material in rows:
        assert material is not None  # a key without material is destroyed, not live
        found[(org, subject, period)] = LiveKey(key_id, material)
    keys = {ref: found[ref] for ref in wanted if ref in found}
    missing = [ref for ref in wanted if ref not in found]
    if missing:
        now = datetime.now(UTC)
        created = {
            ref: LiveKey(str(uuid.uuid4()), AESGCM.generate_key(bit_length=256)) for ref in missing
        }
        await session.execute(
            insert(table),
            [
                {
                    "id": key.id,
                    "organisation_id": org,
                    "subject_id": subject,
                    "period": period,
                    "material": key.material,
                    "created_at": now,
                    "destroyed_at": None,
                }
                for (org, subject, period), key in created.items()
            ],
        )
        keys |= created
    return keys


async def materials(session: AsyncSession, key_ids: Iterable[str]) -> dict[str, bytes | None]:
    """Key material by id; ``None`` for a destroyed key."""
    ids = set(key_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(col(SealKey.id), col(SealKey.material)).where(col(SealKey.id).in_(ids))
    )
    return {key_id: material for key_id, material in rows}  # noqa: C416


async def destroy_subject(
    session: AsyncSession, *, organisation_id: str, subject_id: str
) -> list[str]:
    """Destroy every key of one data subject of an organisation; the ids destroyed."""
    return await _destroy(
        session,
        col(SealKey.organisation_id) == organisation_id,
        col(SealKey.subject_id) == subject_id,
    )


async def destroy_periods(
    session: AsyncSession, *, organisation_id: str, periods: list[str]
) -> list[str]:
    """Destroy every key of an organisation for the given months; the ids destroyed."""
    if not periods:
        return []
    return await _destroy(
        session,
        col(SealKey.organisation_id) == organisation_id,
        col(SealKey.period).in_(periods),
    )


async def live_periods(session: AsyncSession) -> dict[str, list[str]]:
    """For each organisation, the months that still have a live key."""
    rows = await session.execute(
        select(col(SealKey.organisation_id), col(SealKey.period))
        .where(col(SealKey.destroyed_at).is_(None))
        .distinct()
    )
    periods: dict[str, list[str]] = {}
    for organisation_id, period in rows:
        periods.setdefault(organisation_id, []).append(period)
    return periods


async def _destroy(session: AsyncSession, *conditions: Any) -> list[str]:
    ids = list(
        (
            await session.scalars(
                select(col(SealKey.id)).where(*conditions, col(SealKey.destroyed_at).is_(None))
            )
        ).all()
    )
    if ids:
        await session.execute(
            update(SealKey)
            .where(col(SealKey.id).in_(ids))
            .values(material=None, destroyed_at=datetime.now(UTC))
        )
    return ids
