"""Nothing a caller sends yields a 500, and a refused request changes nothing."""

from typing import Any

from shared.outbox import OutboxMessage
from tests.agreements.contract import ANNEX1, Parties

NUL = "a\x00b"
HUGE = 10**30


def _attempts(url: str) -> list[tuple[str, str, str, Any]]:
    """(party, method, path, body) that must each be refused with a 4xx."""
    return [
        ("controller", "post", "/agreements", {"title": NUL}),
        ("controller", "post", "/agreements", {"title": "x", "annex1": {"subject": NUL}}),
        ("controller", "post", "/agreements", {"title": "x", "terms": {"notice_days": HUGE}}),
        ("controller", "post", "/agreements", {"title": "x", "annex1": [ANNEX1] * 3}),
        ("controller", "patch", url, {"title": "x"}),  # signed: conflict
        ("controller", "patch", url, {}),
        ("controller", "post", f"{url}/amendments", {"reason": "x"}),
        ("controller", "post", f"{url}/amendments", {"reason": "same", "annex1": ANNEX1}),
        ("controller", "post", f"{url}/instructions", {"text": NUL}),
        ("processor", "post", f"{url}/staff", {"name": NUL, "function": "x"}),
        ("processor", "put", f"{url}/measures/a%00b", {"status": "planned"}),
        ("processor", "post", f"{url}/disclosures", {"authority": "x" * 10_000}),
        ("processor", "post", "/breaches", {"approx_records": HUGE}),
        ("processor", "post", "/breaches", {"aware_at": "0000-00-00"}),
        ("processor", "post", "/subprocessor-changes", {"effective_date": "9999-99-99"}),
        ("processor", "post", "/subprocessor-changes", {"data_categories": [NUL]}),
        ("controller", "post", f"{url}/closure", {"choice": "burn"}),
        ("controller", "get", f"{url}/subprocessor-notices/../../etc", None),
        ("controller", "post", "/breach-notices/not-a-uuid/authority-notification", {}),
    ]


async def test_hostile_input_gets_a_4xx_and_changes_nothing(parties: Parties) -> None:
    agreement_id = await parties.active()
    before = await parties.platform.count("agreements", OutboxMessage)
    for party, method, path, body in _attempts(f"/agreements/{agreement_id}"):
        headers = parties.controller_admin() if party == "controller" else parties.processor_admin()
        response = await parties.client.request(method, path, json=body, headers=headers)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
    assert await parties.platform.count("agreements", OutboxMessage) == before
