"""The clause table in docs/agreements.md names tests that exist (DPA-11: the map stays true)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITED_TEST = re.compile(r"`([\w/]+\.py)::(\w+)`")


def _clause_table() -> str:
    return (ROOT / "docs" / "agreements.md").read_text().split("## Clause by clause", 1)[1]


def test_every_test_the_clause_table_cites_exists__DPA_11() -> None:
    cited = CITED_TEST.findall(_clause_table())
    assert len(cited) > 30
    missing = [
        f"{path}::{name}"
        for path, name in cited
        if not re.search(
            rf"^(async )?def {name}\(", (ROOT / "tests" / path).read_text(), re.MULTILINE
        )
    ]
    assert missing == []


def test_every_article_of_the_contract_has_a_row() -> None:
    table = _clause_table()
    for article in range(1, 14):
        assert re.search(rf"^\| Art\. [\d, ]*\b{article}\b", table, re.MULTILINE), article
