"""Answers API fuzzing found undocumented (tests/security/test_fuzzing.py), now documented."""

from deploy.docs_export import build_app


def test_proofs_document_unknown_checkpoints_and_a_broken_tree__ASVS_8_4_1() -> None:
    paths = build_app("audit").openapi()["paths"]
    consistency = paths["/audit/proofs/consistency"]["get"]["responses"]
    inclusion = paths["/audit/proofs/inclusion/{log_index}"]["get"]["responses"]
    assert {"404", "409"} <= consistency.keys()
    assert {"404", "409"} <= inclusion.keys()
