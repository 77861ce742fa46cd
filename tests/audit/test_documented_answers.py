"""Answers API fuzzing found undocumented (tests/security/test_fuzzing.py), now documented."""

import uuid

import pytest

from tests.audit.conftest import reader
from tests.support.documents import openapi
from tests.support.platform import Platform


def test_proofs_document_unknown_checkpoints_and_a_broken_tree__ASVS_8_4_1() -> None:
    paths = openapi("audit")["paths"]
    consistency = paths["/audit/proofs/consistency"]["get"]["responses"]
    inclusion = paths["/audit/proofs/inclusion/{log_index}"]["get"]["responses"]
    assert {"404", "409"} <= consistency.keys()
    assert {"404", "409"} <= inclusion.keys()


@pytest.mark.parametrize("query", ["until=6", "since=53044", "until=&until=53044", "since=soon"])
async def test_a_filter_moment_that_is_not_iso_8601_is_refused__ASVS_8_4_1(
    audit: Platform, query: str
) -> None:
    headers = reader(audit, str(uuid.uuid4()))
    for path in ("/audit/entries", "/audit/export"):
        response = await audit.clients["audit"].get(f"{path}?{query}", headers=headers)
        assert response.status_code == 422, (path, query, response.text)
    fine = await audit.clients["audit"].get(
        "/audit/entries?since=2026-01-31T00:00:00Z", headers=headers
    )
    assert fine.status_code == 200
