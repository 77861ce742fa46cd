"""Each organisation's Merkle tree in the database: its frontier, stored subtrees, and proofs."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.audit import merkle
from services.audit.store import AuditEntry, AuditNode, AuditTree


class NotInTree(LookupError):
    """A proof was asked for sizes or entries the tree does not have."""


async def trees_for(session: AsyncSession, organisation_ids: Iterable[str]) -> dict[str, AuditTree]:
    """The trees of these organisations, locked for this transaction; new ones for the others."""
    wanted = list(dict.fromkeys(organisation_ids))
    rows = await session.scalars(
        select(AuditTree)
        .where(col(AuditTree.organisation_id).in_(wanted))
        .order_by(col(AuditTree.organisation_id))
        .with_for_update()
    )
    trees = {tree.organisation_id: tree for tree in rows}
    for organisation_id in wanted:
        if organisation_id not in trees:
            tree = AuditTree(organisation_id=organisation_id, size=0, frontier=[])
            session.add(tree)
            trees[organisation_id] = tree
    return trees


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
