"""The verifier: does a sequence of entries match the signed checkpoints? Pure, no I/O.

Fed the entries of one organisation's tree in order (from the database or from an export), it
recomputes every leaf from the entry's content and the tree from the leaves, and compares the roots
with every signed checkpoint on the way. It names the first bad leaf index:

- an entry whose content no longer matches its leaf hash (modified),
- a gap or a repeat in the leaf indexes (deleted, inserted, reordered),
- an entry beyond the signed tree (inserted at the end),
- a log that ends before the checkpoint (truncated),
- a root that differs from a checkpoint although every leaf matches its stored hash (content and
  hash both rewritten): the first index after the last checkpoint that still held.
"""

from dataclasses import dataclass, field
from typing import Any

from pactum_verify import merkle
from pactum_verify.keys import KeySet, checkpoint_problem, key_set_of
from pactum_verify.leaves import leaf_bytes


@dataclass
class Report:
    valid: bool
    tree_size: int
    entries_checked: int
    first_bad_position: int | None = None
    problem: str | None = None
    # A controller's export: processors' entries newer than their log's latest checkpoint,
    # which carry no proof yet (export again after the next checkpoint to check them).
    unproven: int = 0


@dataclass
class LogVerifier:
    """Check entries one by one with :meth:`add`, then :meth:`finish`."""

    checkpoints: list[dict[str, Any]]
    public_key: KeySet | str | None = None  # the key set, or one key; None: signatures unchecked
    signed_only: bool = True  # an export holds signed entries only; a live log grows
    _frontier: list[bytes] = field(default_factory=list)
    _size: int = 0
    _signed_size: int = 0
    _held: int = 0  # size of the last checkpoint whose root matched
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _failure: Report | None = None

    def __post_init__(self) -> None:
        self._pending = sorted(self.checkpoints, key=lambda point: int(point["size"]))
        self._signed_size = int(self._pending[-1]["size"]) if self._pending else 0
        if self.public_key is not None:
            keys = self.public_key
            if isinstance(keys, str):
                keys = key_set_of(keys)
            below, previous = 0, 0  # the largest checkpoint size smaller than this one's
            for point in self._pending:
                if int(point["size"]) > previous:
                    below, previous = previous, int(point["size"])
                problem = checkpoint_problem(point, keys)
                if problem is not None:
                    # Named: the first entry it signs beyond the smaller checkpoints.
                    self._fail(below, problem)
                    return

    @property
    def tree_size(self) -> int:
        """The size of the newest signed checkpoint: what the log must at least hold."""
        return self._signed_size

    def add(self, leaf: dict[str, Any], stored_hash: str | None = None) -> bool:
        """Check the next entry, given as its leaf fields (an export line's ``leaf``) and the
        leaf hash stored with it; False once the log is found bad (the rest is ignored)."""
        if self._failure is not None:
            return False
        return self._add_hashed(
            leaf.get("log_index"), stored_hash, merkle.leaf_hash(leaf_bytes(leaf))
        )

    def _add_hashed(self, found: Any, stored_hash: str | None, hashed: bytes) -> bool:
        if self._failure is not None:
            return False
        if found != self._size:
            return self._fail(
                self._size, f"entry {self._size} is missing or out of order (found {found})"
            )
        if self.signed_only and self._size >= self.tree_size:
            return self._fail(self._size, f"entry {self._size} is beyond the signed tree")
        if stored_hash is not None and stored_hash != hashed.hex():
            return self._fail(self._size, f"entry {self._size} does not match its leaf hash")
        merkle.push(self._frontier, self._size, hashed, [])
        self._size += 1
        return self._at_checkpoints()

    def _at_checkpoints(self) -> bool:
        """Compare the root with each signed checkpoint of the current size."""
        while self._pending and int(self._pending[0]["size"]) == self._size:
            point = self._pending.pop(0)
            if merkle.root(self._frontier).hex() != point["root"]:
                return self._fail(
                    self._held,
                    f"the tree of {self._size} entries does not match its signed checkpoint",
                )
            self._held = self._size
        return True

    def add_hashed(
        self, indexes: list[Any], stored_hashes: list[str | None], leaf_hashes: list[bytes]
    ) -> bool:
        """:meth:`add` for the next entries at once, given as their ``log_index`` values, stored
        leaf hashes and recomputed leaf hashes; the same verdict. A run with nothing to report
        (consecutive indexes, matching hashes, no checkpoint before its end) is folded in bulk;
        any other run is checked entry by entry."""
        if self._failure is not None:
            return False
        start, end = self._size, self._size + len(indexes)
        clean = (
            not (self.signed_only and end > self.tree_size)
            and not (self._pending and int(self._pending[0]["size"]) < end)
            and indexes == list(range(start, end))
            and all(
                stored is None or stored == value.hex()
                for stored, value in zip(stored_hashes, leaf_hashes, strict=True)
            )
        )
        if not clean:
            return all(
                self._add_hashed(index, stored, value)
                for index, stored, value in zip(indexes, stored_hashes, leaf_hashes, strict=True)
            )
        merkle.extend(self._frontier, start, leaf_hashes)
        self._size = end
        return self._at_checkpoints()

    def finish(self, *, stored_size: int | None = None) -> Report:
        """The verdict; ``stored_size`` is the live tree's size, read after the last entry."""
        if self._failure is not None:
            return self._failure
        if stored_size is not None and self._size > stored_size:
            return self._failed(stored_size, f"entry {stored_size} is beyond the stored tree")
        if self._size < self.tree_size:
            return self._failed(
                self._size, f"the log ends at {self._size}, signed at {self.tree_size}"
            )
        return Report(valid=True, tree_size=self.tree_size, entries_checked=self._size)

    def _fail(self, position: int | None, problem: str) -> bool:
        self._failed(position, problem)
        return False

    def _failed(self, position: int | None, problem: str) -> Report:
        self._failure = Report(
            valid=False,
            tree_size=self.tree_size,
            entries_checked=self._size,
            first_bad_position=position,
            problem=problem,
        )
        return self._failure


def verify_proven_entry(
    leaf: dict[str, Any], stored_hash: str | None, path: list[str], checkpoint: dict[str, Any]
) -> str | None:
    """Check one entry of a filtered export against its inclusion proof; the problem, if any."""
    hashed = merkle.leaf_hash(leaf_bytes(leaf))
    if stored_hash not in (None, hashed.hex()):
        return "does not match its leaf hash"
    if not merkle.verify_inclusion(
        int(leaf["log_index"]),
        int(checkpoint["size"]),
        hashed,
        [bytes.fromhex(step) for step in path],
        bytes.fromhex(str(checkpoint["root"])),
    ):
        return "is not included in the signed tree"
    return None
