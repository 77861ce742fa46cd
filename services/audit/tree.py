"""Each organisation's Merkle tree in the database: its frontier, stored subtrees, and proofs."""

from collections.abc import Iterable

from pactum_verify import merkle
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.audit.store import AuditEntry, AuditNode, AuditTree


class NotInTree(LookupError):
    """A proof was asked for sizes or entries the tree does not have."""


Frontier = tuple[int, list[str]]  # a tree's size and its frontier (hex hashes, left to right)


async def lock_frontiers(
    session: AsyncSession, organisation_ids: Iterable[str]
) -> dict[str, Frontier | None]:
    """The size and frontier of these organisations' trees, locked for this transaction (in
    organisation order); ``None`` for an organisation without a tree yet.

    Core rows rather than ORM objects: the consumer reads and writes them once per batch, and
    loading and flushing the ORM's tree objects cost more than the statements themselves.
    """
    wanted = list(dict.fromkeys(organisation_ids))
    table = _TREE
    rows = await session.execute(
        select(table.c.organisation_id, table.c.size, table.c.frontier)
        .where(table.c.organisation_id.in_(wanted))
        .order_by(table.c.organisation_id)
        .with_for_update()
    )
    found: dict[str, Frontier] = {org: (size, list(frontier)) for org, size, frontier in rows}
    return {org: found.get(org) for org in wanted}


async def save_frontiers(
    session: AsyncSession, grown: dict[str, Frontier], *, existing: Iterable[str]
) -> None:
    """Store the trees' new sizes and frontiers: an update for the ``existing`` trees (locked by
    :func:`lock_frontiers`), an insert for the new ones. Two replicas creating the same tree
    make one commit fail on its key, as a race on the inbox does."""
    table = _TREE
    known = set(existing)
    updates = [
        {"tree": org, "new_size": size, "new_frontier": frontier}
        for org, (size, frontier) in grown.items()
        if org in known
    ]
    created = [
        {"organisation_id": org, "size": size, "frontier": frontier, "checkpointed_size": 0}
        for org, (size, frontier) in grown.items()
        if org not in known
    ]
    connection = await session.connection()
    if updates:
        await connection.execute(
            update(table)
            .where(table.c.organisation_id == bindparam("tree"))
            .values(size=bindparam("new_size"), frontier=bindparam("new_frontier")),
            updates,
        )
    if created:
        await connection.execute(insert(table), created)


_TREE = AuditTree.__table__  # type: ignore[attr-defined]


async def tree_of(session: AsyncSession, *, organisation_id: str, fresh: bool = False) -> AuditTree:
    """The organisation's tree; ``fresh`` reads it again even if this session holds it."""
    tree = await session.get(AuditTree, organisation_id, populate_existing=fresh)
    return tree or AuditTree(organisation_id=organisation_id, size=0, frontier=[])


async def range_hashes(
    session: AsyncSession, *, organisation_id: str, ranges: list[merkle.Range]
) -> list[bytes]:
    """The subtree hash of each range, from stored leaves and nodes (a few rows per range)."""
    keys = merkle.needed(ranges)
    leaves = sorted(index for level, index in keys if level == 0)
    nodes = {(level, index) for level, index in keys if level > 0}
    found: dict[tuple[int, int], bytes] = {}
    if leaves:
        rows = await session.execute(
            select(col(AuditEntry.log_index), col(AuditEntry.leaf_hash)).where(
                col(AuditEntry.organisation_id) == organisation_id,
                col(AuditEntry.log_index).in_(leaves),
            )
        )
        found |= {(0, index): bytes.fromhex(value) for index, value in rows}
    if nodes:
        stored = await session.execute(
            select(col(AuditNode.level), col(AuditNode.index), col(AuditNode.hash)).where(
                col(AuditNode.organisation_id) == organisation_id,
                col(AuditNode.level).in_({level for level, _ in nodes}),
                col(AuditNode.index).in_({index for _, index in nodes}),
            )
        )
        found |= {(level, index): bytes.fromhex(value) for level, index, value in stored}

    def lookup(level: int, index: int) -> bytes:
        try:
            return found[(level, index)]
        except KeyError:
            raise NotInTree(f"subtree ({level}, {index}) is missing from the store") from None

    return [merkle.range_hash(start, end, lookup) for start, end in ranges]


async def inclusion_proof(
    session: AsyncSession, *, organisation_id: str, index: int, size: int
) -> list[bytes]:
    try:
        ranges = merkle.inclusion_ranges(index, size)
    except ValueError as error:
        raise NotInTree(str(error)) from None
    return await range_hashes(session, organisation_id=organisation_id, ranges=ranges)


async def consistency_proof(
    session: AsyncSession, *, organisation_id: str, first: int, second: int
) -> list[bytes]:
    try:
        ranges = merkle.consistency_ranges(first, second)
    except ValueError as error:
        raise NotInTree(str(error)) from None
    return await range_hashes(session, organisation_id=organisation_id, ranges=ranges)
