"""A destruction certificate verifies without Python (DPA-13): the published PEM key, the signed
statement byte for byte and the raw signature are what the documented ``openssl pkeyutl``
command needs; the real ``openssl`` binary accepts them and refuses a statement changed by one
byte."""

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from shared.auth import Role
from tests.agreements.contract import Parties

OPENSSL = shutil.which("openssl")


def _openssl_verify(folder: Path) -> subprocess.CompletedProcess[str]:
    assert OPENSSL is not None
    return subprocess.run(  # the command docs/agreements.md documents, as is
        [
            OPENSSL, "pkeyutl", "-verify", "-pubin", "-inkey", "key.pem", "-rawin",
            "-in", "statement.json", "-sigfile", "sig.bin",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )  # fmt: skip


@pytest.mark.skipif(OPENSSL is None, reason="the openssl binary is not installed here")
async def test_dpa_13_openssl_verifies_a_downloaded_certificate_and_refuses_a_changed_byte(
    parties: Parties, tmp_path: Path
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    await parties.client.post(
        f"{url}/termination", json={"reason": "end of contract"}, headers=parties.controller_admin()
    )
    closed = await parties.client.post(
        f"{url}/closure", json={"choice": "destroy"}, headers=parties.controller_admin()
    )
    assert closed.status_code == 200, closed.text

    auditor = parties.as_(parties.controller, Role.auditor)
    statement = await parties.client.get(f"{url}/certificate/statement.json", headers=auditor)
    signature = await parties.client.get(f"{url}/certificate/signature.bin", headers=auditor)
    key = await parties.client.get("/certificate-keys/current.pem")
    assert statement.status_code == signature.status_code == key.status_code == 200
    assert key.text.startswith("-----BEGIN PUBLIC KEY-----")
    assert len(signature.content) == 64
    (tmp_path / "statement.json").write_bytes(statement.content)
    (tmp_path / "sig.bin").write_bytes(signature.content)
    (tmp_path / "key.pem").write_bytes(key.content)

    accepted = _openssl_verify(tmp_path)
    assert accepted.returncode == 0, accepted.stderr
    assert "Signature Verified Successfully" in accepted.stdout

    changed = bytearray(statement.content)
    at = changed.index(b'"destroy"') + 1
    changed[at] = ord("D")  # "destroy" becomes "Destroy": one byte
    (tmp_path / "statement.json").write_bytes(bytes(changed))
    refused = _openssl_verify(tmp_path)
    assert refused.returncode != 0
    assert "Signature Verified Successfully" not in refused.stdout


async def test_dpa_13_the_certificate_files_are_the_parties_own(parties: Parties) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}"
    missing = await parties.client.get(
        f"{url}/certificate/statement.json", headers=parties.controller_admin()
    )
    assert missing.status_code == 404
    stranger = parties.platform.auth(str(uuid.uuid4()), [Role.admin])
    for name in ("statement.json", "signature.bin"):
        refused = await parties.client.get(f"{url}/certificate/{name}", headers=stranger)
        assert refused.status_code == 404
