"""The four services as real processes, as ``make run`` starts them, on one real nats-server.

Tokens are verified over HTTP against the identity service's JWKS. Until identity has a login
flow, the test signs tokens with the key identity created under its var directory.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.auth import Role, TokenSigner
from tests.agreements.organisations import announce
from tests.support.nats import NatsServer, free_port
from tests.support.platform import eventually

pytestmark = pytest.mark.slow

SERVICES = ("identity", "agreements", "audit", "notifier")


@pytest.fixture
def running(nats_server: NatsServer, tmp_path: Path) -> Iterator[dict[str, str]]:
    ports = {service: free_port() for service in SERVICES}
    env = (
        os.environ
        | {
            "PACTUM_NATS_URL": nats_server.url,
            "PACTUM_VAR_DIR": str(tmp_path / "var"),
            "PACTUM_JWKS_URL": f"http://127.0.0.1:{ports['identity']}/.well-known/jwks.json",
            "PACTUM_LOG_LEVEL": "INFO",
            "PACTUM_ENVIRONMENT": "development",  # as make run sets it
        }
        | {f"PACTUM_{service.upper()}_PORT": str(port) for service, port in ports.items()}
    )
    logs = {service: tmp_path / f"{service}.log" for service in SERVICES}
    processes = {
        service: subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"],
            env=env,
            stdout=logs[service].open("wb"),
            stderr=subprocess.STDOUT,
        )
        for service in SERVICES
    }
    try:
        yield {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    finally:
        for process in processes.values():
            process.terminate()
        for service, process in processes.items():
            process.wait(timeout=20)
            output = logs[service].read_text()
            # uvicorn re-raises SIGTERM after its graceful shutdown, so the exit code is -15.
            assert '"event": "service.stopped"' in output, output[-3000:]
            assert "Traceback" not in output, output[-3000:]


async def test_whole_platform_records_a_change_and_a_read_in_the_audit_log__ARCH_2(
    running: dict[str, str], nats_server: NatsServer, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(timeout=5) as client:

        async def all_ready() -> bool:
            try:
                answers = [await client.get(f"{url}/readyz") for url in running.values()]
            except httpx.TransportError:
                return False
            return all(answer.status_code == 200 for answer in answers)

        await eventually(all_ready, within=60, interval=0.2)
        key = (tmp_path / "var" / "identity" / "signing-key.pem").read_bytes()
        signer = TokenSigner.from_pem(key, issuer="pactum-identity", audience="pactum")
        organisation = "0c7e4d1a-5a3b-4f7e-8a51-2f6f9b1d7e20"
        token = signer.issue(user_id="admin-1", organisation_id=organisation, roles=[Role.admin])
        headers = {"Authorization": f"Bearer {token}"}
        # The agreements process learns the organisation from identity's event on the stream.
        await announce(nats_server.url, {organisation: "controller"})

        created = await client.post(
            f"{running['agreements']}/agreements", json={"title": "UTOPIA"}, headers=headers
        )
        assert created.status_code == 201, created.text
        read = await client.get(
            f"{running['agreements']}/agreements/{created.json()['id']}", headers=headers
        )
        assert read.status_code == 200

        async def logged() -> list[str] | None:
            page = await client.get(f"{running['audit']}/audit/entries", headers=headers)
            types = [
                item["event_type"]
                for item in page.json()["items"]
                if item["event_type"].startswith("dpa.agreements.")
            ]
            return types if len(types) >= 2 else None

        types = await eventually(logged)
        assert types == [
            "dpa.agreements.agreement.viewed.v1",
            "dpa.agreements.agreement.created.v1",
        ]
        for url in running.values():
            spec = await client.get(f"{url}/openapi.json")
            assert spec.status_code == 200 and spec.json()["openapi"].startswith("3.")
