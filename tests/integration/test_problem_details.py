"""Every refusal of every service is RFC 9457 problem details with a stable code (issue 16.1).

Before, each service answered ``{"detail": ...}`` as plain JSON, validation failures as a list in
``detail``, and a body that was not JSON at all as 422 where the documents said 400.
"""

import uuid

import pytest

from shared.problems import MEDIA_TYPE
from tests.agreements.contract import Parties
from tests.support.platform import Platform

SECRET = "hunter2-do-not-echo"


@pytest.fixture
async def everything(platform: Platform) -> Platform:
    """The three services of ``platform`` and identity beside them."""
    await platform.start("identity")
    return platform


def _is_problem(response: object, status: int, code: str, path: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == MEDIA_TYPE  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["type"] == f"urn:pactum:problem:{code}"
    assert body["code"] == code
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["instance"] == path
    return body


async def test_every_service_refuses_a_missing_token_as_a_problem(everything: Platform) -> None:
    for service, path in (
        ("identity", "/me"),
        ("agreements", "/agreements"),
        ("audit", "/audit/entries"),
        ("notifier", "/notifier/contacts"),
    ):
        response = await everything.clients[service].get(path)
        _is_problem(response, 401, "unauthenticated", path)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_not_found_forbidden_and_broken_rules_carry_their_codes(platform: Platform) -> None:
    parties = Parties(platform)
    await parties.introduce()
    missing = f"/agreements/{uuid.uuid4()}"
    answer = await parties.client.get(missing, headers=parties.controller_admin())
    _is_problem(answer, 404, "not_found", missing)

    draft = await parties.draft()
    signing = f"/agreements/{draft['id']}/activation"
    refused = await parties.client.post(signing, headers=parties.controller_admin())
    assert refused.json()["code"] in {"conflict", "rule_broken", "forbidden"}
    _is_problem(refused, refused.status_code, refused.json()["code"], signing)


async def test_a_validation_failure_names_the_fields_and_never_echoes_a_value(
    platform: Platform,
) -> None:
    parties = Parties(platform)
    await parties.introduce()
    response = await parties.client.post(
        "/agreements",
        json={"title": SECRET, "counterparty_id": SECRET, "annex1": {"subject": SECRET}},
        headers=parties.controller_admin(),
    )
    body = _is_problem(response, 422, "validation_failed", "/agreements")
    errors = body["errors"]
    assert isinstance(errors, list) and errors
    assert all({"field", "message", "type"} == set(item) for item in errors)
    assert any(str(item["field"]).startswith("body.") for item in errors), errors
    assert SECRET not in response.text


async def test_a_body_that_is_not_json_answers_400_as_documented(everything: Platform) -> None:
    response = await everything.clients["identity"].post(
        "/login", content=b'{"email": "a@b.example", ', headers={"content-type": "application/json"}
    )
    _is_problem(response, 400, "invalid_json", "/login")


async def test_text_the_platform_refuses_is_a_problem_too(everything: Platform) -> None:
    response = await everything.clients["identity"].post(
        "/login",
        content=b'{"email": "a\\u0000@b.example", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    _is_problem(response, 400, "input_rule", "/login")
