"""What API fuzzing (tests/security/test_fuzzing.py) found across all services, kept fixed:
every error answer is documented, and every moment an API returns carries its UTC offset."""

import re
from datetime import datetime

import httpx
import pytest

from deploy.docs_export import SERVICES, build_app
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


@pytest.mark.parametrize("service", SERVICES)
def test_operation_ids_are_the_route_names_unique_and_readable(service: str) -> None:
    """A generated client reads ``list_agreements()``, not ``list_agreements_agreements_get``
    (issue 16.4)."""
    ids = [
        operation["operationId"]
        for operations in openapi(service)["paths"].values()
        for operation in operations.values()
    ]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for operation_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", operation_id), operation_id
        assert not operation_id.endswith(("_get", "_post", "_put", "_patch", "_delete"))


@pytest.mark.parametrize("service", SERVICES)
async def test_the_api_reference_pages_load_their_assets_from_the_service(service: str) -> None:
    """``/docs`` and ``/redoc`` work offline: no CDN, every asset served by the service."""
    app = build_app(service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        for page in ("/docs", "/redoc"):
            answer = await client.get(page)
            assert answer.status_code == 200, page
            assert "cdn." not in answer.text and "fonts.googleapis" not in answer.text, page
            assets = re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', answer.text)
            assert assets, page
            for asset in assets:
                loaded = await client.get(asset)
                assert loaded.status_code == 200, asset
                assert len(loaded.content) > 1000 or asset.endswith(".png"), asset
