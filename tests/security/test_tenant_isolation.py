"""The cross-tenant access matrix (ASVS 5.0 8.2.2, 8.4.1; TOM-T5), generated from the routes.

For every operation in the four OpenAPI documents and every caller below, the request is sent
twice: naming victim's real objects (path parameters, and id fields of the body and query), and
naming ids that exist nowhere. Neither may succeed on victim's objects, and both must answer the
same status and the same body (ids aside): a caller must not learn whether victim's object exists.
An operation that names no object may succeed (on the caller's own organisation), but its answer
must not carry any of victim's ids that the request did not send.

A new route is in the matrix without anyone writing a test for it; a path parameter the world has
no victim object for fails the test until ``tests/security/world.py`` seeds one.
"""

import json
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, find, settings

from tests.security.world import SERVICES, World
from tests.support.documents import openapi

FULL = os.environ.get("PACTUM_PROOF_FULL") == "1"

# Operations anyone may call without a token, and why that is safe.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "liveness probe: answers 'alive', nothing else",
    ("GET", "/readyz"): "readiness probe: says whether the database and NATS answer",
    ("GET", "/.well-known/jwks.json"): "public keys that verify access tokens",
    ("GET", "/certificate-keys"): "public keys that verify destruction certificates",
    ("GET", "/certificate-keys/current.pem"): "the same public key as PEM, for openssl",
    ("GET", "/audit/checkpoint-key"): "public key that verifies audit checkpoints",
    ("POST", "/login"): "sign-in: the credentials are the e-mail address and password",
    ("POST", "/login/second-factor"): "sign-in: the credential is the login challenge",
    ("POST", "/login/enrolment"): "sign-in: the credential is the login challenge",
    ("POST", "/sessions/refresh"): "the credential is the refresh token in the body",
    ("POST", "/invitations/accept"): "the credential is the one-time invitation token",
    ("POST", "/password-reset"): "answers 202 whether or not the address is known",
    ("POST", "/password-reset/complete"): "the credential is the one-time reset token",
    ("POST", "/invitations/inspect"): "the credential is the one-time invitation token",
    ("POST", "/password-reset/inspect"): "the credential is the one-time reset token",
    ("POST", "/login/organisation"): "sign-in at an organisation's own identity provider: "
    "answers where to send the browser (what any SSO sign-in page reveals), no data",
    ("POST", "/login/organisation/callback"): "the credential is the provider's one-time code "
    "with the state this sign-in kept",
}

# Operations that name another organisation on purpose, and may answer differently for one that
# exists (never with its data).
NAMES_ANOTHER_ORGANISATION: dict[tuple[str, str], str] = {
    ("POST", "/grants"): "an operator asks a customer for access; the customer must exist",
    ("POST", "/maintenance-notices"): "an operator announces maintenance to an existing customer",
}

# Operations by which the operator's admin runs the platform, on any organisation, by design
# (services/identity/organisation_api.py: no customer data, each an event in that organisation's
# log). Every other caller must still fail on them.
OPERATOR_RUNS_THE_PLATFORM: dict[tuple[str, str], str] = {
    ("PUT", "/organisations/{organisation_id}/name"): "the operator names organisations",
    ("POST", "/organisations/{organisation_id}/disable"): "the operator disables organisations",
    ("POST", "/organisations/{organisation_id}/enable"): "the operator enables organisations",
    ("POST", "/organisations/announcements"): "the operator re-announces every organisation",
    ("GET", "/organisations/{organisation_id}"): "the operator reads any organisation",
    ("POST", "/organisations"): "the operator creates organisations",
    ("POST", "/organisations/{organisation_id}/admins"): "the operator invites an "
    "organisation's admins (it would add one to victim for the rest of the matrix)",
}

# Operations whose path names a position in the caller's own log, not an object: every
# organisation has an entry 0. The answer must then be the caller's, never victim's.
CALLERS_OWN: dict[tuple[str, str], str] = {
    ("GET", "/audit/proofs/inclusion/{log_index}"): "log_index counts in the caller's own log",
}

# Answers that carry victim's ids to a caller entitled to them, and why.
ENTITLED: dict[tuple[str, str, str], str] = {
    ("GET", "/grants", "operator without grant"): "an operator sees the grants it asked for, "
    "which name the customer",
    ("GET", "/audit/entries", "operator without grant"): "the operator's own log records the "
    "grants it asked for, naming the customer",
    ("GET", "/audit/export", "operator without grant"): "the same log, exported",
    ("GET", "/organisations", "operator without grant"): "the operator lists every "
    "organisation (id, name, kind, status: no customer data)",
    ("GET", "/maintenance-notices", "operator without grant"): "the operator sees the notices "
    "it sent, which name the customer",
}

Caller = Callable[[World], dict[str, str]]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Real users, each request in a session of its own (a logout in the matrix ends only that one).
CALLERS: dict[str, Caller] = {
    "stranger admin": lambda w: _bearer(w.fresh_token("stranger", "admin")),
    "stranger member": lambda w: _bearer(w.fresh_token("stranger", "member")),
    "stranger auditor": lambda w: _bearer(w.fresh_token("stranger", "auditor")),
    "operator without grant": lambda w: _bearer(w.fresh_token("operator", "admin")),
    "operator, expired grant": lambda w: _bearer(w.expired_grant_token()),
    "revoked session": lambda w: _bearer(w.revoked_token),
    "no token": lambda w: {},
}

ID_FIELDS = {  # body and query fields that name an object, to the victim object they name
    "agreement_id": "agreement_id",
    "agreement": "agreement_id",
    "organisation_id": "organisation_id",
    "counterparty_id": "organisation_id",
    "processor_id": "processor_id",
    "user_id": "user_id",
    "breach_id": "breach_id",
    "thread_id": "thread_id",
}


@dataclass
class Attempt:
    method: str
    path: str
    query: dict[str, Any]
    body: Any

    def named(self) -> str:
        return f"{self.method} {self.path}"


def _nowhere(value: str) -> str:
    """An id of the same kind as ``value`` that names nothing (a catalogue key stays)."""
    if value.isdigit():
        return str(90_000 + int(value))
    if re.fullmatch(r"[0-9a-f-]{36}", value):
        return str(uuid.uuid4())
    return value


def _example(operation: Any) -> tuple[dict[str, Any], Any]:
    """The simplest valid query and body of ``operation``, from its schema."""
    if not operation.body and not operation.query:
        return {}, None
    case = find(
        operation.as_strategy(),
        lambda _: True,
        settings=settings(
            database=None, phases=[Phase.generate, Phase.shrink], max_examples=50,
            suppress_health_check=list(HealthCheck),
        ),
    )  # fmt: skip
    body = case.body if case.body is not None and not _is_unset(case.body) else None
    return dict(case.query or {}), body


def _is_unset(value: Any) -> bool:
    return type(value).__name__ == "NotSet"


def _refer(value: Any, refer: Callable[[str, Any], Any]) -> Any:
    if isinstance(value, dict):
        return {key: refer(key, _refer(item, refer)) for key, item in value.items()}
    if isinstance(value, list):
        return [_refer(item, refer) for item in value]
    return value


def _attempts(world: World, method: str, path: str, operation: Any) -> tuple[Attempt, Attempt]:
    """The request naming victim's objects, and the same naming nothing that exists."""
    query, body = _example(operation)
    victim_path, nowhere_path = path, path
    for name in re.findall(r"{(\w+)}", path):
        value = world.object_for(path, name)
        victim_path = victim_path.replace(f"{{{name}}}", value)
        nowhere_path = nowhere_path.replace(f"{{{name}}}", _nowhere(value))
    nowhere_ids: dict[str, str] = {}

    def to_victim(key: str, value: Any) -> Any:
        if key in ID_FIELDS and isinstance(value, str):
            return world.victim_objects[ID_FIELDS[key]]
        return value

    def to_nowhere(key: str, value: Any) -> Any:
        if key in ID_FIELDS and isinstance(value, str):
            return nowhere_ids.setdefault(key, _nowhere(world.victim_objects[ID_FIELDS[key]]))
        return value

    return (
        Attempt(method, victim_path, _refer(query, to_victim), _refer(body, to_victim)),
        Attempt(method, nowhere_path, _refer(query, to_nowhere), _refer(body, to_nowhere)),
    )


async def _send(client: httpx.AsyncClient, attempt: Attempt, headers: dict[str, str]) -> Any:
    return await client.request(
        attempt.method,
        attempt.path,
        params=attempt.query or None,
        json=attempt.body,
        headers=headers,
    )


def _without_ids(text: str, ids: set[str]) -> str:
    """The answer with the ids it names masked, and without the problem's ``instance`` (the
    path the caller sent, echoed: it tells nothing about the object)."""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict) and "instance" in document:
        document.pop("instance")
        text = json.dumps(document)
    for value in sorted(ids, key=len, reverse=True):
        text = text.replace(value, "<id>")
    return text


def _strings(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_strings(item) for item in value.values()), set())
    if isinstance(value, list):
        return set().union(*(_strings(item) for item in value), set())
    return {str(value)} if value is not None else set()


async def _check(world: World, service: str, method: str, path: str, operation: Any) -> list[str]:
    findings = []
    client = world.client(service)
    on_victim, on_nothing = _attempts(world, method, path, operation)
    victim_ids = {value for value in world.victim_objects.values() if len(value) > 8}
    refers = on_victim != on_nothing
    if method == "GET" and "{" in path:  # the path must name something real: victim sees it
        owner = _bearer(world.fresh_token("victim"))
        if path.startswith("/internal/"):  # the notifier's credential, not a user's
            owner = {"x-pactum-delivery-key": world.authority.delivery_key}
        owners = await _send(client, on_victim, owner)
        if not owners.is_success:
            findings.append(f"{service} GET {path}: victim's admin gets {owners.status_code}")
    for caller, headers_of in CALLERS.items():
        operator = caller == "operator without grant"
        if operator and (method, path) in OPERATOR_RUNS_THE_PLATFORM:
            continue  # not even sent: it would disable victim for the rest of the matrix
        headers = headers_of(world)
        victim = await _send(client, on_victim, headers)
        nothing = await _send(client, on_nothing, headers)
        where = f"{service} {on_victim.named()} as {caller}"
        names_object = "{" in path
        if (method, path) in CALLERS_OWN:
            if victim.is_success and victim.text == owners.text:  # owners: read above (a GET)
                findings.append(f"{where}: answers what victim's admin gets")
            continue
        if names_object and victim.is_success:
            findings.append(f"{where}: {victim.status_code} {victim.text[:200]}")
            continue
        if operator and (method, path) in NAMES_ANOTHER_ORGANISATION:
            continue
        if refers and victim.status_code != nothing.status_code:
            findings.append(
                f"{where}: {victim.status_code} for victim's object, "
                f"{nothing.status_code} for none ({victim.text[:120]} / {nothing.text[:120]})"
            )
            continue
        if names_object or not victim.is_success:
            sent = _strings(on_nothing.body) | _strings(on_nothing.query) | {on_nothing.path}
            nowhere = {part for text in sent for part in re.findall(r"[0-9a-f-]{36}|9\d{5}", text)}
            if _without_ids(victim.text, victim_ids) != _without_ids(nothing.text, nowhere):
                findings.append(
                    f"{where}: answers differ ({victim.text[:120]} / {nothing.text[:120]})"
                )
            continue
        sent_ids = _strings(on_victim.body) | _strings(on_victim.query)
        leaked = [value for value in victim_ids - sent_ids if value in victim.text]
        if leaked and (method, path, caller) not in ENTITLED:
            findings.append(f"{where}: the answer carries victim's {leaked}")
    return findings


@pytest.mark.parametrize("backend", ["sqlite", "postgres"] if FULL else ["sqlite"])
@pytest.mark.timeout(240)
async def test_no_caller_reaches_or_detects_another_tenants_objects__ASVS_8_2_2_TOM_T5(
    world: World,
) -> None:
    findings: list[str] = []
    covered = 0
    for service in SERVICES:
        document = world.platform.apps[service].openapi()
        schema = schemathesis.openapi.from_dict(json.loads(json.dumps(document)))
        for path, operations in document["paths"].items():
            for method in operations:
                key = (method.upper(), path)
                if key in PUBLIC:
                    continue
                operation = schema[path][method]
                findings += await _check(world, service, key[0], path, operation)
                covered += 1
    assert covered >= 90  # every operation of the four services but the public ones
    assert not findings, "\n".join(findings)


def test_every_public_operation_exists_and_needs_no_token() -> None:
    """The list of public operations is not a place to hide a route: each one exists."""

    paths = {
        (method.upper(), path)
        for service in SERVICES
        for path, operations in openapi(service)["paths"].items()
        for method, operation in operations.items()
        if not operation.get("security")
    }
    assert set(PUBLIC) <= paths
