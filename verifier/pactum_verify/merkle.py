"""The Merkle tree of an organisation's log, as RFC 9162 (Certificate Transparency 2.0) defines it.

Pure functions: no database, no I/O. The log keeps the tree's *frontier* (the hashes of the
complete subtrees along its right edge), so an append costs O(log n) and the root follows from the
frontier alone. Proofs are planned as lists of leaf ranges whose subtree hashes the store looks up
(:func:`inclusion_ranges`, :func:`consistency_ranges`), then checked with the RFC's algorithms
(:func:`verify_inclusion`, :func:`verify_consistency`), which need nothing but hashes.
"""

import hashlib
from collections.abc import Callable, Iterable

Range = tuple[int, int]  # leaves [start, end)

# Complete subtrees whose height is a multiple of this are stored as nodes, so the hash of any
# aligned subtree is folded from at most 2**(NODE_STRIDE - 1) stored hashes.
NODE_STRIDE = 4

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def append(
    frontier: list[bytes], size: int, leaf: bytes
) -> tuple[list[bytes], list[tuple[int, int, bytes]]]:
    """Add a leaf hash to a tree of ``size`` leaves.

    Returns the new frontier and the complete subtrees this append finished that must be stored
    as nodes, as ``(level, index, hash)`` with ``index`` counted among subtrees of that level.
    """
    new = list(frontier)
    stored: list[tuple[int, int, bytes]] = []
    push(new, size, leaf, stored)
    return new, stored


def push(
    frontier: list[bytes], size: int, leaf: bytes, stored: list[tuple[int, int, bytes]]
) -> None:
    """:func:`append` in place, for many leaves in a row: ``frontier`` (of a tree of ``size``
    leaves) becomes the next one, and the finished subtrees to store are added to ``stored``."""
    current, level, remaining = leaf, 0, size
    sha256 = hashlib.sha256
    while remaining & 1:
        current = sha256(b"\x01" + frontier.pop() + current).digest()
        level += 1
        remaining >>= 1
        if level % NODE_STRIDE == 0:
            stored.append((level, ((size + 1) >> level) - 1, current))
    frontier.append(current)


def extend(frontier: list[bytes], size: int, leaves: list[bytes]) -> None:
    """Many :func:`push` at once, without the nodes to store (a verifier's use): every aligned
    power-of-two block of the new leaves is folded level by level, then joins the frontier."""
    done, count = 0, len(leaves)
    sha256 = hashlib.sha256
    while done < count:
        position = size + done
        block = min(position & -position or 1 << 62, count - done)
        level = block.bit_length() - 1
        block = 1 << level  # the largest aligned power of two that fits
        current = fold(leaves[done : done + block])
        remaining = position >> level
        while remaining & 1:
            current = sha256(b"\x01" + frontier.pop() + current).digest()
            remaining >>= 1
        frontier.append(current)
        done += block


def root(frontier: list[bytes]) -> bytes:
    """The tree head: the frontier folded from the right (RFC 9162 MTH)."""
    if not frontier:
        return EMPTY_ROOT
    current = frontier[-1]
    for left in reversed(frontier[:-1]):
        current = node_hash(left, current)
    return current


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose hashes form the audit path of leaf ``index`` (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return list(reversed(ranges))


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The subtrees whose hashes prove a tree of ``first`` leaves is a prefix of ``second``."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    if first in (0, second):
        return []
    ranges: list[Range] = []
    start, end, m, complete = 0, second, first, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        ranges.append((start, end))
    return list(reversed(ranges))


def aligned_blocks(start: int, end: int) -> list[tuple[int, int]]:
    """Split [start, end) as MTH does into complete aligned subtrees, as ``(start, level)``."""
    size = end - start
    if size <= 0:
        raise ValueError("an empty range has no subtree")
    if size & (size - 1) == 0 and start % size == 0:
        return [(start, size.bit_length() - 1)]
    k = _split(size)
    return aligned_blocks(start, start + k) + aligned_blocks(start + k, end)


def block_sources(start: int, level: int) -> tuple[int, int, int]:
    """Where the hash of an aligned block comes from: ``(stored level, first index, count)``."""
    stored_level = level - level % NODE_STRIDE
    return stored_level, start >> stored_level, 1 << (level - stored_level)


def range_hash(start: int, end: int, lookup: Callable[[int, int], bytes]) -> bytes:
    """MTH of leaves [start, end); ``lookup(level, index)`` gives stored hashes (0: leaves)."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        stored_level, first, count = block_sources(start, size.bit_length() - 1)
        return fold([lookup(stored_level, first + i) for i in range(count)])
    k = _split(size)
    return node_hash(range_hash(start, start + k, lookup), range_hash(start + k, end, lookup))


def fold(hashes: list[bytes]) -> bytes:
    """The root of a complete subtree given its 2**j aligned children, left to right."""
    sha256 = hashlib.sha256
    while len(hashes) > 1:
        hashes = [
            sha256(b"\x01" + left + right).digest()
            for left, right in zip(hashes[::2], hashes[1::2], strict=True)
        ]
    return hashes[0]


def needed(ranges: Iterable[Range]) -> set[tuple[int, int]]:
    """The stored hashes ``(level, index)`` that :func:`range_hash` will look up for ``ranges``."""
    keys: set[tuple[int, int]] = set()
    for start, end in ranges:
        for block_start, level in aligned_blocks(start, end):
            stored_level, first, count = block_sources(block_start, level)
            keys.update((stored_level, first + i) for i in range(count))
    return keys


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: list[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: is the leaf hash ``leaf`` at ``index`` of the tree ``expected_root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == expected_root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: is the tree ``first_root`` of ``first`` leaves a prefix of the second?"""
    if first > second or first < 0:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_root, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_result = second_result = proof[0]
    for step in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first_result = node_hash(step, first_result)
            second_result = node_hash(step, second_result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second_result = node_hash(second_result, step)
        fn >>= 1
        sn >>= 1
    return sn == 0 and first_result == first_root and second_result == second_root
