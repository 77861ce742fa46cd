"""pactum-verify: check a pactum audit log (exports, proofs, signed checkpoints) with nothing but
``cryptography``: RFC 9162 Merkle trees, Ed25519 checkpoints and C2SP signed notes."""
