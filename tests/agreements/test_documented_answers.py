"""What API fuzzing (tests/security/test_fuzzing.py) found in agreements, kept fixed."""

from tests.agreements.contract import Parties
from tests.support.documents import openapi


async def test_every_change_documents_its_409_conflict__ASVS_8_4_1(parties: Parties) -> None:
    agreement_id = await parties.active()
    closing = await parties.client.post(
        f"/agreements/{agreement_id}/closure",
        json={"choice": "destroy"},
        headers=parties.controller_admin(),
    )
    assert closing.status_code == 409
    for path, operations in openapi("agreements")["paths"].items():
        for method, operation in operations.items():
            if method != "get":
                assert "409" in operation["responses"], (method, path)
