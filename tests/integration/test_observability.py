"""Operators follow a request from HTTP into the audit log; secrets never reach a log line."""

import io
import json
import logging
import uuid
from contextlib import redirect_stdout

import structlog

from services.audit.store import AuditEntry
from shared.logging import configure_logging
from tests.agreements.organisations import new_organisation
from tests.support.platform import Platform, eventually


async def test_audit_entry_carries_the_trace_id_of_the_http_request__USE_2(
    platform: Platform,
) -> None:
    organisation = await new_organisation(platform, by_event=False)
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    response = await platform.clients["agreements"].post(
        "/agreements",
        json={"title": "Traced"},
        headers=platform.auth(organisation) | {"traceparent": traceparent},
    )
    assert response.status_code == 201
    assert response.headers["x-trace-id"] == trace_id

    untraced = await platform.clients["agreements"].get(
        f"/agreements/{response.json()['id']}", headers=platform.auth(organisation)
    )
    [created, viewed] = await eventually(lambda: _at_least(platform, organisation, 2))
    assert created.trace_id == trace_id
    assert viewed.trace_id == untraced.headers["x-trace-id"] != trace_id


async def _at_least(platform: Platform, organisation: str, count: int) -> list[AuditEntry]:
    entries = await platform.audit_entries(organisation_id=organisation)
    return entries if len(entries) >= count else []


async def test_no_password_or_token_value_appears_in_any_log_line(platform: Platform) -> None:
    organisation = await new_organisation(platform)
    token = platform.token(organisation)
    password = "correct horse battery staple 42"
    output = io.StringIO()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    with redirect_stdout(output):
        configure_logging(service="test", level="DEBUG", fmt="json")
        try:
            headers = {"Authorization": f"Bearer {token}"}
            client = platform.clients["agreements"]
            created = await client.post("/agreements", json={"title": "Logs"}, headers=headers)
            await client.get(f"/agreements/{created.json()['id']}", headers=headers)
            await client.get("/agreements", headers={"Authorization": f"Bearer {token}x"})
            log = structlog.get_logger("test")
            log.info(
                "login.attempted", password=password, headers={"authorization": f"Bearer {token}"}
            )
            log.info("free text mentions the token", detail=f"got {token} from client")
            log.info("nested", body={"user": {"new_password": password, "totp_code": "123456"}})
            log.warning("event.rejected", reason=f"token={token}")
            await eventually(lambda: platform.audit_entries(organisation_id=organisation))
        finally:
            structlog.reset_defaults()
            root.handlers[:] = handlers  # the rest of the run keeps its own logging
            root.setLevel(level)
    lines = output.getvalue().splitlines()
    assert len(lines) >= 6
    for line in lines:
        json.loads(line)  # every line is JSON
        assert token not in line
        assert token.split(".")[1] not in line  # not even the claims part
        assert password not in line
        assert "123456" not in line
    assert any('"service": "agreements"' in line for line in lines)
