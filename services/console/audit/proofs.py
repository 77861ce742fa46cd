"""Checking an audit entry's proof in the console itself: RFC 9162 and the signed checkpoint. Pure.

The audit service answers an entry's inclusion proof (the audit path from its leaf to the root of
the latest signed tree) and that checkpoint. The console does not take the service's word for
it: it recomputes the root from the leaf hash and the path (RFC 9162, 2.1.3.2), and checks the
checkpoint's Ed25519 signature over its signed text with the published key that its ``key_id``
names. Nothing here imports the audit service: this is the console's own small verifier.
"""

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 2.1.1: the hash of a leaf, ``SHA-256(0x00 || leaf)``."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 2.1.1: the hash of an inner node, ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162 2.1.3.2: the root that ``path`` leads to from the leaf at ``index``, or None when
    the path cannot belong to a tree of ``size`` leaves."""
    if not 0 <= index < size:
        return None
    fn, sn, result = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return result if sn == 0 else None


def included(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """Is the leaf hash ``leaf`` at ``index`` in the tree of ``size`` leaves with root ``root``?"""
    return root_from_inclusion(index, size, leaf, path) == root


def checkpoint_text(checkpoint: dict[str, Any]) -> bytes:
    """The text a checkpoint's signature covers (docs/audit.md, "Tamper evidence")."""
    root = bytes.fromhex(str(checkpoint["root"]))
    return (
        f"pactum audit log {checkpoint['organisation_id']}\n{int(checkpoint['size'])}\n"
        f"{base64.b64encode(root).decode()}\n{checkpoint['signed_at']}\n"
    ).encode()


def signature_holds(checkpoint: dict[str, Any], public_key: str) -> bool:
    """Is the checkpoint validly signed (Ed25519) by ``public_key`` (base64, raw 32 bytes)?"""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(
            base64.b64decode(str(checkpoint["signature"]), validate=True),
            checkpoint_text(checkpoint),
        )
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


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
