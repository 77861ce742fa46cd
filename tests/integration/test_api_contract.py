"""What API fuzzing (tests/security/test_fuzzing.py) found across all services, kept fixed:
every error answer is documented, and every moment an API returns carries its UTC offset."""

from datetime import datetime

import pytest

from deploy.docs_export import SERVICES
from tests.agreements.contract import Parties
from tests.support.documents import openapi
from tests.support.platform import Platform


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_documents_the_error_answers_it_can_give__ASVS_8_4_1(
    service: str,
) -> None:
    document = openapi(service)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            label = f"{method.upper()} {path}"
            if operation.get("security"):
                assert {"401", "403"} <= responses.keys(), label
            if "requestBody" in operation:
                assert "400" in responses, label
            if "{" in path:
                assert "404" in responses, label
            for status, answer in responses.items():  # every refusal: RFC 9457 problem details
                if status.startswith(("4", "5")):
                    schema = answer["content"]["application/problem+json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}, (label, status)


async def test_moments_read_back_from_the_database_carry_their_utc_offset(
    platform: Platform,
) -> None:
    parties = Parties(platform)
    await parties.draft()
    response = await parties.client.get("/agreements", headers=parties.controller_admin())
    [agreement] = response.json()["items"]
    created = datetime.fromisoformat(agreement["created_at"])
    assert created.utcoffset() is not None
