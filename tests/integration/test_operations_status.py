"""``GET /operations/status`` on every service: the operator's admins read readiness, outbox
backlog and consumer lag (audit: its checkpoints); anyone else, whatever their role or kind of
token, gets the generic 403, and a token with a forged organisation kind is no token at all.
Agreements, audit and notifier on a real nats-server, on SQLite and PostgreSQL (identity's own
route, with the tokens it really issues: tests/identity/test_console_apis.py)."""

import uuid
from typing import Any

import httpx

from shared.auth import Role
from tests.support.platform import Platform, eventually

SERVICES = ("agreements", "audit", "notifier")


def _auth(platform: Platform, **claims: Any) -> dict[str, str]:
    token = platform.signer.issue(
        user_id=str(uuid.uuid4()),
        organisation_id=claims.pop("organisation_id", str(uuid.uuid4())),
        roles=claims.pop("roles", (Role.admin,)),
        **claims,
    )
    return {"Authorization": f"Bearer {token}"}


async def test_operator_admins_read_each_services_status__TOM_O3(platform: Platform) -> None:
    operator = _auth(platform, organisation_kind="operator")
    for service in SERVICES:
        client: httpx.AsyncClient = platform.clients[service]

        async def sampled(client: httpx.AsyncClient = client) -> Any:
            body = (await client.get("/operations/status", headers=operator)).json()
            return body if body["outbox"]["pending"] is not None and body["consumers"] else None

        status = await eventually(sampled)
        assert status["service"] == service
        assert status["ready"] == {"database": True, "nats": True}
        assert status["outbox"]["oldest_age_seconds"] >= 0
        for lag in status["consumers"].values():
            assert set(lag) == {"pending", "ack_pending", "redelivered"}
    audit = (await platform.clients["audit"].get("/operations/status", headers=operator)).json()
    assert set(audit["checkpoints"]) == {"newest_signed_at", "unsigned_entries"}
    assert audit["checkpoints"]["unsigned_entries"] >= 0


async def test_no_one_else_reads_the_status__TOM_O3(platform: Platform) -> None:
    refused = {
        "customer admin": _auth(platform, organisation_kind="controller"),
        "processor admin": _auth(platform, organisation_kind="processor"),
        "operator member": _auth(platform, organisation_kind="operator", roles=(Role.member,)),
        "operator auditor": _auth(platform, organisation_kind="operator", roles=(Role.auditor,)),
        "token without kind": _auth(platform),
        "operator under a grant": _auth(
            platform, organisation_kind="operator", grant_id=str(uuid.uuid4())
        ),
    }
    for service in SERVICES:
        client = platform.clients[service]
        for who, headers in refused.items():
            response = await client.get("/operations/status", headers=headers)
            assert response.status_code == 403, (service, who)
            assert response.json()["detail"] == "Not allowed"
        assert (await client.get("/operations/status")).status_code == 401
        forged = _auth(platform, organisation_kind="root")
        assert (await client.get("/operations/status", headers=forged)).status_code == 401
