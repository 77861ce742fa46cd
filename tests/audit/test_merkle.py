"""The Merkle tree follows RFC 9162: roots, audit paths and consistency proofs agree with the
definition, for every size and index up to 70 (TOM-32b integrity, ASVS 16.4.2)."""

import hashlib
from collections.abc import Callable

import pytest
from pactum_verify import merkle


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1, literally."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return merkle.leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _lookup(stored: dict[tuple[int, int], bytes]) -> Callable[[int, int], bytes]:
    return lambda level, index: stored[(level, index)]


LEAVES = [f"entry {i}".encode() for i in range(70)]


def _grown(size: int) -> tuple[list[bytes], dict[tuple[int, int], bytes]]:
    frontier: list[bytes] = []
    stored = {(0, i): merkle.leaf_hash(leaf) for i, leaf in enumerate(LEAVES[:size])}
    for i in range(size):
        frontier, nodes = merkle.append(frontier, i, stored[(0, i)])
        stored |= {(level, index): value for level, index, value in nodes}
    return frontier, stored


@pytest.mark.parametrize("size", range(70))
def test_frontier_root_equals_the_definition_for_every_size(size: int) -> None:
    frontier, _ = _grown(size)
    assert merkle.root(frontier) == _mth(LEAVES[:size])


def test_inclusion_proofs_verify_and_fail_for_another_leaf() -> None:
    for size in range(1, 70):
        _, stored = _grown(size)
        root = _mth(LEAVES[:size])
        for index in range(size):
            path = [
                merkle.range_hash(start, end, _lookup(stored))
                for start, end in merkle.inclusion_ranges(index, size)
            ]
            leaf = stored[(0, index)]
            assert merkle.verify_inclusion(index, size, leaf, path, root), (index, size)
            other = merkle.leaf_hash(b"forged")
            assert not merkle.verify_inclusion(index, size, other, path, root)


def test_consistency_proofs_verify_and_fail_against_a_rewritten_prefix() -> None:
    _, stored = _grown(69)
    for second in range(1, 70):
        for first in range(1, second + 1):
            proof = [
                merkle.range_hash(start, end, _lookup(stored))
                for start, end in merkle.consistency_ranges(first, second)
            ]
            first_root, second_root = _mth(LEAVES[:first]), _mth(LEAVES[:second])
            assert merkle.verify_consistency(first, second, first_root, second_root, proof), (
                first,
                second,
            )
            forged = _mth([b"forged", *LEAVES[1:first]])
            assert not merkle.verify_consistency(first, second, forged, second_root, proof)


def test_stored_nodes_keep_proof_lookups_small() -> None:
    for start, end in merkle.inclusion_ranges(12345, 1_000_000):
        assert len(merkle.needed([(start, end)])) <= 8 * 2 * 20
    assert len(merkle.needed(merkle.inclusion_ranges(12345, 1_000_000))) < 200
