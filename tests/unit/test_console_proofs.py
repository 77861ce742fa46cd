"""The console's own RFC 9162 verifier: known vectors, every index of small trees by the
definition, forged leaves and paths, and the checkpoint signature (TOM-T3b, DPA-11)."""

import base64
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pactum_verify.keys import checkpoint_note

from services.console.audit import proofs

# The test leaves of Certificate Transparency's reference implementation (RFC 6962/9162 trees).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
CT_PATHS = [  # (index, size, audit path)
    (0, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (5, 8, [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
]  # fmt: skip


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1, literally."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return proofs.leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return proofs.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _path(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(m, D[n]), literally."""
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < k:
        return [*_path(index, leaves[:k]), _mth(leaves[k:])]
    return [*_path(index - k, leaves[k:]), _mth(leaves[:k])]


def test_roots_of_the_reference_trees() -> None:
    for size, root in CT_ROOTS.items():
        assert _mth(CT_LEAVES[:size]).hex() == root


@pytest.mark.parametrize(("index", "size", "path"), CT_PATHS)
def test_reference_audit_paths_lead_to_the_reference_roots(
    index: int, size: int, path: list[str]
) -> None:
    leaf = proofs.leaf_hash(CT_LEAVES[index])
    steps = [bytes.fromhex(step) for step in path]
    root = bytes.fromhex(CT_ROOTS[size])
    assert proofs.included(index, size, leaf, steps, root)
    assert not proofs.included(index, size, proofs.leaf_hash(b"forged"), steps, root)
    assert not proofs.included(index, 2 * size + 5, leaf, steps, root)
    assert not proofs.included(index, size, leaf, steps[:-1], root)
    assert not proofs.included(index, size, leaf, [*steps, steps[0]], root)


def test_every_index_of_every_tree_up_to_40_leaves_verifies_and_a_swapped_step_does_not() -> None:
    leaves = [f"entry {i}".encode() for i in range(40)]
    for size in range(1, 41):
        root = _mth(leaves[:size])
        for index in range(size):
            path = _path(index, leaves[:size])
            leaf = proofs.leaf_hash(leaves[index])
            assert proofs.included(index, size, leaf, path, root), (index, size)
            if len(path) > 1:
                assert not proofs.included(index, size, leaf, path[::-1], root)
            if size > 1:
                assert not proofs.included((index + 1) % size, size, leaf, path, root)


def test_an_index_outside_the_tree_never_verifies() -> None:
    leaf = proofs.leaf_hash(b"x")
    assert not proofs.included(1, 1, leaf, [], leaf)  # index beyond the tree
    assert not proofs.included(-1, 4, leaf, [], leaf)  # negative index
    assert proofs.included(0, 1, leaf, [], leaf)


def _signed(
    size: int = 8, signed_at: str = "2026-12-06T03:00:00Z"
) -> tuple[dict[str, Any], dict[str, Any]]:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = hashlib.sha256(raw).hexdigest()[:16]
    checkpoint = {
        "organisation_id": "org-1",
        "size": size,
        "root": CT_ROOTS[size],
        "signed_at": signed_at,
        "key_id": key_id,
    }
    # The signed text as docs/audit.md ("Tamper evidence") defines it, written out here.
    signed_text = (
        f"pactum audit log org-1\n{size}\n"
        f"{base64.b64encode(bytes.fromhex(CT_ROOTS[size])).decode()}\n{signed_at}\n"
    ).encode()
    checkpoint["signature"] = base64.b64encode(key.sign(signed_text)).decode()
    published = {
        "key_id": key_id,
        "public_key": base64.b64encode(raw).decode(),
        "keys": [
            {"key_id": key_id, "public_key": base64.b64encode(raw).decode(), "retired_at": None}
        ],
    }
    return checkpoint, published


def test_the_signed_text_is_the_documented_note() -> None:
    checkpoint, _ = _signed()
    root = base64.b64encode(bytes.fromhex(CT_ROOTS[8])).decode()
    signed = checkpoint_note(  # what the console checks the signature over (pactum_verify)
        organisation_id=checkpoint["organisation_id"],
        size=checkpoint["size"],
        root=bytes.fromhex(checkpoint["root"]),
        signed_at=checkpoint["signed_at"],
    )
    assert signed == (f"pactum audit log org-1\n8\n{root}\n2026-12-06T03:00:00Z\n".encode())


def test_a_whole_proof_holds_and_each_kind_of_tampering_is_named() -> None:
    checkpoint, published = _signed()
    index, _, path = CT_PATHS[1]
    leaf = proofs.leaf_hash(CT_LEAVES[index]).hex()
    proof = {
        "log_index": index,
        "leaf_hash": leaf,
        "tree_size": 8,
        "path": path,
        "checkpoint": checkpoint,
    }
    assert proofs.check_inclusion(leaf, proof, published).holds

    other_entry = proofs.check_inclusion(proofs.leaf_hash(b"other").hex(), proof, published)
    assert not other_entry.leaf_matches and not other_entry.holds

    bent = proofs.check_inclusion(leaf, proof | {"path": path[::-1]}, published)
    assert not bent.path_leads_to_root and bent.signature_holds

    resized = proof | {"checkpoint": checkpoint | {"size": 7, "root": CT_ROOTS[7]}}
    assert not proofs.check_inclusion(leaf, resized, published).signature_holds

    _, stranger = _signed()
    unknown = proofs.check_inclusion(
        leaf, proof, stranger | {"keys": [stranger["keys"][0] | {"key_id": checkpoint["key_id"]}]}
    )
    assert not unknown.signature_holds

    retired = {"keys": [published["keys"][0] | {"retired_at": "2026-12-01T00:00:00Z"}]}
    late = proofs.check_inclusion(leaf, proof, retired)
    assert late.signature_holds and not late.signed_before_retirement and not late.holds

    assert not proofs.check_inclusion(leaf, {"checkpoint": {}}, published).holds
