"""Every problem code an answer can carry is documented for integrators (issue 16.1)."""

from pathlib import Path

from shared.problems import CODES, TITLES, problem

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_problem_code_is_listed_in_the_integrators_guide() -> None:
    guide = DOCS.read_text(encoding="utf-8")
    for code in {*TITLES, *CODES.values()}:
        assert f"| `{code}` |" in guide, code


def test_a_problem_names_its_code_as_type_and_falls_back_to_the_status() -> None:
    assert problem(404, "agreement not found", instance="/agreements/1") == {
        "type": "urn:pactum:problem:not_found",
        "title": "Not found",
        "status": 404,
        "detail": "agreement not found",
        "code": "not_found",
        "instance": "/agreements/1",
    }
    unusual = problem(418, "")
    assert unusual["code"] == "http_418"
    assert unusual["title"] == unusual["detail"] == "I'm a Teapot"
