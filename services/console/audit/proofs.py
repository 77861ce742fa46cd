"""Checking an audit entry's proof in the console itself: RFC 9162 and the signed checkpoint. Pure.

The audit service answers an entry's inclusion proof (the audit path from its leaf to the root of
the latest signed tree) and that checkpoint. The console does not take the service's word for
it: it recomputes the root from the leaf hash and the path (RFC 9162, 2.1.3.2), and checks the
checkpoint's Ed25519 signature over its signed text with the published key that its ``key_id``
names. Nothing here imports the audit service: the console checks with ``pactum_verify``, the
standalone verifier anyone can install (``verifier/``), as a controller would.
"""

from dataclasses import dataclass
from typing import Any

from pactum_verify.keys import signature_holds
from pactum_verify.merkle import leaf_hash, node_hash, verify_inclusion

__all__ = ["ProofCheck", "check_inclusion", "included", "key_for", "leaf_hash", "node_hash"]


def included(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """Is the leaf hash ``leaf`` at ``index`` in the tree of ``size`` leaves with root ``root``?
    (RFC 9162 2.1.3.2, as the standalone verifier ``pactum_verify`` checks it.)"""
    return verify_inclusion(index, size, leaf, path, root)


def key_for(checkpoint: dict[str, Any], published: dict[str, Any]) -> dict[str, Any] | None:
    """The published key the checkpoint's ``key_id`` names (the current one or a retired one)."""
    keys = list(published.get("keys") or [])
    if not keys and published.get("public_key"):
        keys = [{"key_id": published.get("key_id"), "public_key": published["public_key"]}]
    for key in keys:
        if key.get("key_id") == checkpoint.get("key_id"):
            return dict(key)
    return None


@dataclass(frozen=True)
class ProofCheck:
    """What the console found, each part on its own so the page can say which one failed."""

    leaf_matches: bool  # the proof is about this entry's leaf hash
    path_leads_to_root: bool  # RFC 9162: the audit path recomputes the checkpoint's root
    signature_holds: bool  # the checkpoint is signed by a published key that names it
    signed_before_retirement: bool  # and that key was not retired when it signed
    key_id: str
    tree_size: int
    root: str

    @property
    def holds(self) -> bool:
        return (
            self.leaf_matches
            and self.path_leads_to_root
            and self.signature_holds
            and self.signed_before_retirement
        )


def check_inclusion(
    entry_leaf_hash: str, proof: dict[str, Any], published_keys: dict[str, Any]
) -> ProofCheck:
    """Check an inclusion proof as the audit API answers it, against the published keys."""
    checkpoint = dict(proof.get("checkpoint") or {})
    try:
        leaf = bytes.fromhex(str(proof["leaf_hash"]))
        path = [bytes.fromhex(str(step)) for step in proof.get("path") or []]
        root = bytes.fromhex(str(checkpoint["root"]))
        index, size = int(proof["log_index"]), int(checkpoint["size"])
        leads = size == int(proof["tree_size"]) and included(index, size, leaf, path, root)
    except (KeyError, ValueError, TypeError):
        leads = False
    key = key_for(checkpoint, published_keys)
    retired_at = key.get("retired_at") if key else None
    return ProofCheck(
        leaf_matches=str(proof.get("leaf_hash", "")).lower() == entry_leaf_hash.lower(),
        path_leads_to_root=leads,
        signature_holds=key is not None and signature_holds(checkpoint, str(key["public_key"])),
        signed_before_retirement=key is not None
        and (retired_at is None or str(checkpoint.get("signed_at")) <= str(retired_at)),
        key_id=str(checkpoint.get("key_id", "")),
        tree_size=int(checkpoint.get("size") or 0),
        root=str(checkpoint.get("root", "")),
    )
