"""The revocation list every service keeps (unit level; the cross-service path is proven in
test_sessions.py and test_users.py on a real nats-server)."""

import uuid
from datetime import timedelta

from pydantic import BaseModel

from shared.events import Actor, Envelope, new_event
from shared.events.contracts.identity import GrantDecided, SessionRevoked, SigningKeyRevoked
from shared.revocation import RevocationList


def _event(type: str, data: BaseModel) -> Envelope:
    return new_event(
        source="/dpa/identity",
        type=type,
        tenant=str(uuid.uuid4()),
        actor=Actor.system("identity"),
        data=data,
    )


def test_revoked_sessions_and_grants_are_refused_and_others_are_not() -> None:
    revocations = RevocationList()
    session, other, grant = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    ended = SessionRevoked(user_id=uuid.uuid4(), session_ids=[session], reason="logout")
    revocations.apply(_event("dpa.identity.session.revoked.v1", ended))
    withdrawn = GrantDecided(grant_id=grant, operator_id=uuid.uuid4())
    revocations.apply(_event("dpa.identity.grant.revoked.v1", withdrawn))
    assert revocations.is_revoked(session_id=str(session), grant_id=None)
    assert not revocations.is_revoked(session_id=str(other), grant_id=None)
    assert revocations.is_revoked(session_id=str(other), grant_id=str(grant))


def test_entries_are_forgotten_once_no_token_can_carry_them() -> None:
    revocations = RevocationList(remember=timedelta(seconds=-1))
    revocations.revoke_sessions(["s"])
    revocations.forget_expired()
    assert not revocations.is_revoked(session_id="s", grant_id=None)


def test_a_revoked_signing_key_is_handed_to_whoever_follows_it() -> None:
    revocations = RevocationList()
    dropped: list[str] = []
    revocations.on_key_revoked.append(dropped.append)
    revocations.apply(
        _event(
            "dpa.identity.signing_key.revoked.v1",
            SigningKeyRevoked(key_id="old-kid", replaced_by="new-kid"),
        )
    )
    assert dropped == ["old-kid"]
    assert not revocations.is_revoked(session_id="s", grant_id=None)  # sessions untouched
