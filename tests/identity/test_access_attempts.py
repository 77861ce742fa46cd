"""A refused request for another organisation's record in identity is an access attempt in that
organisation's log (TOM-T3c, issue 15 item 4): a user, an organisation, a grant, a maintenance
notice, a passkey or a session asked for by its id. The caller's answer is the one it gets for a
record that does not exist; the owner's log has one entry a minute per actor and record; a record
that does not exist, or the caller's own organisation's, files nothing."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from services.audit.store import AuditEntry
from services.identity import access
from shared.events.contracts.identity import ACCESS_REFUSED, RefusedRecord
from shared.outbox import OutboxMessage
from tests.identity.conftest import Account, Identity, maintenance_notice
from tests.identity.test_passkeys import authenticator, register
from tests.support.documents import openapi
from tests.support.platform import Platform, eventually

REFUSED_KINDS = sorted(set(ACCESS_REFUSED.values()))

# Identity's routes on a record named by its path that file no attempt, and why.
LEFT: dict[tuple[str, str], str] = {
    ("POST", "/grants/{grant_id}/token"): "only the operator's staff get past the operator "
    "check (anyone else: 403, whatever the id), and the operator is a party to every grant; "
    "a token asked for under a grant that ended is grant_use.denied already",
    ("POST", "/internal/links/{link_id}"): "the notifier's delivery key, no tenant's caller",
    ("GET", "/internal/users/{user_id}/contact"): "the notifier's delivery key",
    ("GET", "/internal/email-changes/{change_id}/former-address"): "the notifier's delivery key",
    ("GET", "/internal/organisations/{organisation_id}/admins"): "the notifier's delivery key",
}


# The record a route's path names, by the path before its id.
RECORDS: dict[str, RefusedRecord] = {
    "users": "user",
    "organisations": "organisation",
    "grants": "grant",
    "maintenance-notices": "maintenance_notice",
    "me/passkeys": "passkey",
    "me/sessions": "session",
}


@dataclass(frozen=True)
class Asked:
    """One route asked for one record of another organisation."""

    method: str
    path: str  # the route, ``{id}`` where the record's id goes
    record_id: str
    owner: str  # the organisation whose log the attempt belongs in
    status: int
    detail: str
    body: dict[str, Any] | None = None

    def url(self, record_id: str | None = None) -> str:
        return self.path.replace("{id}", record_id or self.record_id)

    @property
    def kind(self) -> str:
        """The event type the attempt is filed as."""
        record = RECORDS[self.path.strip("/").split("/{id}", 1)[0]]
        return ACCESS_REFUSED[(record, "view" if self.method == "GET" else "change")]


async def _send(
    identity: Identity, who: Account, asked: Asked, record_id: str | None = None
) -> Any:
    return await identity.client.request(
        asked.method, asked.url(record_id), json=asked.body, headers=who.auth
    )


async def _refusal_rows(platform: Platform) -> list[OutboxMessage]:
    """The attempts identity filed, from its outbox (what audit has yet to take in is there)."""
    async with platform.runtime("identity").sessions() as session:
        query = select(OutboxMessage).where(col(OutboxMessage.event_type).in_(REFUSED_KINDS))
        return list((await session.scalars(query)).all())


async def _users(identity: Identity, admin: Account, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        email = f"user-{uuid.uuid4().hex[:8]}@example.org"
        invited = await identity.client.post(
            "/users", json={"email": email, "role": "member"}, headers=admin.auth
        )
        assert invited.status_code == 201, invited.text
        ids.append(invited.json()["id"])
    return ids


async def _records(identity: Identity, owner: Account, operator: Account) -> list[Asked]:
    """Every route that finds a record by its path, each on a record of its own (so that each
    route's one entry is its own), with the answer it gave before this was filed."""
    org = owner.organisation_id
    users = await _users(identity, owner, 9)
    organisations = [(await identity.organisation())[0] for _ in range(5)]
    grants = []
    for _ in range(3):
        requested = await identity.client.post(
            "/grants",
            json={"organisation_id": org, "reason": "Investigate ticket 4711", "minutes": 60},
            headers=operator.auth,
        )
        assert requested.status_code == 201, requested.text
        grants.append(requested.json()["id"])
    notice = await maintenance_notice(identity, operator, owner)
    passkeys = [
        (await register(identity, owner, authenticator(identity), name))["passkey"]["id"]
        for name in ("Laptop", "Phone")
    ]
    user = partial(Asked, owner=org, status=404, detail="User not found")
    hidden = partial(Asked, status=404, detail="Organisation not found")
    operators = partial(Asked, status=403, detail="Forbidden")
    return [
        user("GET", "/users/{id}", users[0]),
        user("POST", "/users/{id}/disable", users[1]),
        user("POST", "/users/{id}/enable", users[2]),
        user("DELETE", "/users/{id}", users[3]),
        user("PUT", "/users/{id}/role", users[4], body={"role": "admin"}),
        user("POST", "/users/{id}/invitation", users[5]),
        user("POST", "/users/{id}/password-reset", users[6]),
        user("POST", "/users/{id}/mfa/reset", users[7]),
        user("POST", "/users/{id}/unlock", users[8]),
        hidden("GET", "/organisations/{id}", organisations[0], organisations[0]),
        hidden(
            "POST",
            "/organisations/{id}/admins",
            organisations[1],
            organisations[1],
            body={"email": f"mine-{uuid.uuid4().hex[:6]}@example.org"},
        ),
        operators(
            "PUT",
            "/organisations/{id}/name",
            organisations[2],
            organisations[2],
            body={"name": "X"},
        ),
        operators("POST", "/organisations/{id}/disable", organisations[3], organisations[3]),
        operators("POST", "/organisations/{id}/enable", organisations[4], organisations[4]),
        *(
            Asked("POST", f"/grants/{{id}}/{act}", grant, org, 404, "Not found")
            for act, grant in zip(("approve", "deny", "revoke"), grants, strict=True)
        ),
        Asked(
            "POST",
            "/maintenance-notices/{id}/objection",
            notice["id"],
            org,
            404,
            "Not found",
            body={"reason": "We never agreed to this window"},
        ),
        Asked(
            "PATCH", "/me/passkeys/{id}", passkeys[0], org, 404, "Passkey not found", {"name": "x"}
        ),
        Asked("DELETE", "/me/passkeys/{id}", passkeys[1], org, 404, "Passkey not found"),
        Asked("DELETE", "/me/sessions/{id}", owner.session_id, org, 404, "Session not found"),
    ]


def _pin_the_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attempt of this test falls in one minute, so a repeat is exactly a duplicate."""
    minute = datetime.now(UTC).replace(second=30, microsecond=0)
    monkeypatch.setattr(access, "_now", lambda: minute)


async def test_a_refused_request_for_another_organisations_record_is_in_its_log_once__TOM_T3c(
    identity: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pin_the_minute(monkeypatch)
    operator = await identity.admin("operator")
    owner = await identity.admin()
    stranger = await identity.admin()
    routes = await _records(identity, owner, operator)

    for asked in routes:
        refused = await _send(identity, stranger, asked)
        absent = await _send(identity, stranger, asked, str(uuid.uuid4()))
        # The answer is the one it always was, and the same as for a record that does not exist.
        assert (refused.status_code, refused.json()["detail"]) == (asked.status, asked.detail)
        assert refused.headers["content-type"] == absent.headers["content-type"]
        assert {**refused.json(), "instance": ""} == {**absent.json(), "instance": ""}
        again = await _send(identity, stranger, asked)  # the same attempt within the minute
        assert again.json() == refused.json()

    # One attempt per route, none for the ids that exist nowhere, none for the repeats.
    rows = await _refusal_rows(identity.platform)
    assert sorted((row.event_type, row.subject.split(".")[1]) for row in rows) == sorted(
        (asked.kind, asked.owner) for asked in routes
    )

    async def filed() -> list[AuditEntry]:
        entries = await identity.platform.audit_entries(outcome="denied")
        mine = [entry for entry in entries if entry.event_type in REFUSED_KINDS]
        return mine if len(mine) >= len(routes) else []

    entries = {entry.subject: entry for entry in await eventually(filed)}
    assert len(entries) == len(routes)
    for asked in routes:
        entry = entries[asked.record_id]
        assert (entry.event_type, entry.organisation_id) == (asked.kind, asked.owner), asked
        assert entry.actor_id == stranger.user_id
        assert entry.actor_organisation_id == stranger.organisation_id
        assert entry.supplier_intervention is True  # someone of another organisation
        assert entry.data == {
            "record_id": asked.record_id,
            "method": asked.method,
            "status": asked.status,
        }
    own = await identity.platform.audit_entries(organisation_id=stranger.organisation_id)
    assert not [entry for entry in own if entry.event_type in REFUSED_KINDS]

    # The owner reads them in its log, in words.
    answer = await identity.platform.clients["audit"].get(
        "/audit/entries",
        headers=owner.auth,
        params={"lang": "nl", "outcome": "denied", "action": "dpa.identity.", "limit": 500},
    )
    assert answer.status_code == 200, answer.text
    sentences = {item["sentence"] for item in answer.json()["items"]}
    assert any("probeerde de gebruiker" in text and "werd geweigerd" in text for text in sentences)
    assert any("probeerde de sessie" in text for text in sentences), sentences


async def test_a_refusal_within_ones_own_organisation_or_for_no_record_files_nothing__TOM_T3c(
    identity: Identity,
) -> None:
    operator = await identity.admin("operator")
    owner = await identity.admin()
    colleague = await identity.member(owner, role="admin")
    grant = await identity.client.post(
        "/grants",
        json={"organisation_id": owner.organisation_id, "reason": "Ticket 4711", "minutes": 60},
        headers=operator.auth,
    )
    notice = await maintenance_notice(identity, operator, owner)
    refusals = [
        # one's own organisation: a missing user, an act only the operator may do, a colleague's
        # session
        (owner, "GET", f"/users/{uuid.uuid4()}", None, 404),
        (owner, "PUT", f"/organisations/{owner.organisation_id}/name", {"name": "Y"}, 403),
        (colleague, "DELETE", f"/me/sessions/{owner.session_id}", None, 404),
        # the operator, a party to the grant it asked for and to the notice it sent
        (operator, "POST", f"/grants/{grant.json()['id']}/approve", None, 404),
        (
            operator,
            "POST",
            f"/maintenance-notices/{notice['id']}/objection",
            {"reason": "The operator cannot object"},
            404,
        ),
        # no such record anywhere
        (operator, "GET", f"/organisations/{uuid.uuid4()}", None, 404),
        (colleague, "PATCH", f"/me/passkeys/{uuid.uuid4()}", {"name": "x"}, 404),
    ]
    for who, method, url, body, status in refusals:
        answer = await identity.client.request(method, url, json=body, headers=who.auth)
        assert answer.status_code == status, (url, answer.text)
    # Filed (or not) before the answer: an attempt would be in identity's outbox already.
    assert await _refusal_rows(identity.platform) == []


def test_each_identity_route_on_a_record_by_id_files_refusals_or_says_why_not__TOM_T3c() -> None:
    """A new route on a record by id fails here until it files its refusals (add it to the test
    above) or says why it does not (LEFT)."""
    covered = {
        ("GET", "/users/{user_id}"),
        ("DELETE", "/users/{user_id}"),
        ("POST", "/users/{user_id}/disable"),
        ("POST", "/users/{user_id}/enable"),
        ("PUT", "/users/{user_id}/role"),
        ("POST", "/users/{user_id}/invitation"),
        ("POST", "/users/{user_id}/password-reset"),
        ("POST", "/users/{user_id}/mfa/reset"),
        ("POST", "/users/{user_id}/unlock"),
        ("GET", "/organisations/{organisation_id}"),
        ("POST", "/organisations/{organisation_id}/admins"),
        ("PUT", "/organisations/{organisation_id}/name"),
        ("POST", "/organisations/{organisation_id}/disable"),
        ("POST", "/organisations/{organisation_id}/enable"),
        ("POST", "/grants/{grant_id}/approve"),
        ("POST", "/grants/{grant_id}/deny"),
        ("POST", "/grants/{grant_id}/revoke"),
        ("POST", "/maintenance-notices/{notice_id}/objection"),
        ("PATCH", "/me/passkeys/{passkey_id}"),
        ("DELETE", "/me/passkeys/{passkey_id}"),
        ("DELETE", "/me/sessions/{session_id}"),
    }
    by_id = {
        (method.upper(), path)
        for path, operations in openapi("identity")["paths"].items()
        if "{" in path
        for method in operations
    }
    assert by_id == covered | set(LEFT)
