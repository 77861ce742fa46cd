"""Tooling to run pactum: the embedded ``make run`` stack, the container image, docs export."""
