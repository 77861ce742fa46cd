"""Termination: return (export with manifest) or destruction, with a verifiable signed
certificate (DPA-13, DPA-4b, TOM-T4)."""

import io
import json
import zipfile
from datetime import date
from functools import partial

from services.agreements.closure import archive
from services.agreements.closure.certificates import verify
from services.agreements.commitments.store import Instruction, StaffMember
from shared.auth import Role
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually


async def _with_records(parties: Parties) -> str:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    await parties.client.post(
        f"{url}/instructions", json={"text": "Keep it short"}, headers=parties.controller_admin()
    )
    staff = {
        "name": "Jan Peeters",
        "function": "developer",
        "confidentiality_signed_on": date.today().isoformat(),
        "gdpr_briefed": True,
    }
    await parties.client.post(f"{url}/staff", json=staff, headers=parties.processor_admin())
    return agreement_id


async def _terminate(parties: Parties, agreement_id: str) -> None:
    response = await parties.client.post(
        f"/agreements/{agreement_id}/termination",
        json={"reason": "end of contract"},
        headers=parties.controller_admin(),
    )
    assert response.status_code == 200, response.text


async def test_return_gives_a_complete_archive_then_destroys_and_certifies__DPA_13_TOM_T4(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await _with_records(parties)
    url = f"/agreements/{agreement_id}"
    await _terminate(parties, agreement_id)

    early = await parties.client.post(
        f"{url}/closure", json={"choice": "return"}, headers=parties.controller_admin()
    )
    assert early.status_code == 409
    assert "export first" in early.json()["detail"]

    refused = await parties.client.get(f"{url}/export", headers=parties.processor_admin())
    assert refused.status_code == 403
    exported = await parties.client.get(f"{url}/export", headers=parties.controller_admin())
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/zip"
    manifest = archive.check(exported.content)
    assert manifest["agreement_id"] == agreement_id
    with zipfile.ZipFile(io.BytesIO(exported.content)) as opened:
        names = set(opened.namelist())
        staff = json.loads(opened.read("staff.json"))
    for record in ("agreement", "versions", "instructions", "staff", "measures", "breaches"):
        assert {f"{record}.json", f"{record}.csv"} <= names
    assert staff[0]["name"] == "Jan Peeters"

    closed = await parties.client.post(
        f"{url}/closure",
        json={"choice": "return", "legal_holds": [{"what": "invoices", "why": "tax law"}]},
        headers=parties.controller_admin(),
    )
    assert closed.status_code == 200, closed.text
    certificate = closed.json()
    statement = certificate["statement"]
    assert statement["returned_archive_sha256"] == exported.headers["x-archive-sha256"]
    assert statement["destroyed"] == {
        "staff": 1,
        "instructions": 1,
        "disclosures": 0,
        "subject_requests": 0,
        "assistance_requests": 0,
        "supervision": 0,
    }
    assert statement["legal_holds"] == [{"what": "invoices", "why": "tax law"}]
    keys = (await parties.client.get("/certificate-keys")).json()["keys"]
    assert verify(statement, certificate["signature"], keys[0])
    assert not verify(statement | {"choice": "destroy"}, certificate["signature"], keys[0])

    assert await platform.count("agreements", StaffMember) == 0
    agreement = await parties.client.get(url, headers=parties.controller_admin())
    assert agreement.json()["status"] == "closed"
    again = await parties.client.post(
        f"{url}/closure", json={"choice": "destroy"}, headers=parties.controller_admin()
    )
    assert again.status_code == 409
    read = await parties.client.get(
        f"{url}/certificate", headers=parties.as_(parties.controller, Role.auditor)
    )
    assert read.json()["signature"] == certificate["signature"]
    for event_type in ("exported", "closed"):
        await eventually(
            partial(
                platform.audit_entries,
                organisation_id=parties.controller,
                event_type=f"dpa.agreements.agreement.{event_type}.v1",
            )
        )


async def test_destruction_keeps_what_a_legal_hold_names__DPA_13(parties: Parties) -> None:
    agreement_id = await _with_records(parties)
    url = f"/agreements/{agreement_id}"
    await _terminate(parties, agreement_id)
    by_processor = await parties.client.post(
        f"{url}/closure", json={"choice": "destroy"}, headers=parties.processor_admin()
    )
    assert by_processor.status_code == 403
    closed = await parties.client.post(
        f"{url}/closure",
        json={"choice": "destroy", "legal_holds": [{"what": "staff", "why": "labour law"}]},
        headers=parties.controller_admin(),
    )
    assert closed.status_code == 200, closed.text
    assert "staff" not in closed.json()["statement"]["destroyed"]
    assert await parties.platform.count("agreements", StaffMember) == 1
    assert await parties.platform.count("agreements", Instruction) == 1  # the record stays, blanked
    history = await parties.client.get(f"{url}/instructions", headers=parties.controller_admin())
    assert history.json()["items"][0]["text"] == "[destroyed]"


async def test_a_live_agreement_cannot_be_closed(parties: Parties) -> None:
    agreement_id = await parties.active()
    response = await parties.client.post(
        f"/agreements/{agreement_id}/closure",
        json={"choice": "destroy"},
        headers=parties.controller_admin(),
    )
    assert response.status_code == 409
    assert "active" in response.json()["detail"]
