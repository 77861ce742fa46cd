"""What API fuzzing (tests/security/test_fuzzing.py) found across all services, kept fixed."""

import pytest

from deploy.docs_export import SERVICES, build_app


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_documents_the_error_answers_it_can_give__ASVS_8_4_1(
    service: str,
) -> None:
    document = build_app(service).openapi()
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
            if "422" in responses:  # a field error list, or one sentence of a broken rule
                shapes = responses["422"]["content"]["application/json"]["schema"]["anyOf"]
                assert {"$ref": "#/components/schemas/Detail"} in shapes, label
