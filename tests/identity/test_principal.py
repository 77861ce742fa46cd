"""The shared token contract identity relies on: ``amr``, ``home_org`` under a grant, and the
revocation check every service's verifier makes (shared/auth.py, shared/revocation.py)."""

import uuid
from typing import Any

import pytest

from shared.auth import InvalidToken, TokenSigner, TokenVerifier
from shared.events import ActorType
from shared.revocation import RevocationList

ISSUER, AUDIENCE = "pactum-identity", "pactum"


def _verifier(signer: TokenSigner, revocations: RevocationList) -> TokenVerifier:
    async def keys() -> dict[str, Any]:
        return signer.jwks()

    return TokenVerifier(jwks=keys, issuer=ISSUER, audience=AUDIENCE, revocations=revocations)


async def test_operator_under_a_grant_acts_in_the_customer_org_as_its_own_org__TOM_T3c() -> None:
    signer = TokenSigner.generate(issuer=ISSUER, audience=AUDIENCE)
    customer, operator_org, grant = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    token = signer.issue(
        user_id="operator-1",
        organisation_id=customer,
        roles=["auditor"],
        actor_type=ActorType.operator,
        grant_id=grant,
        methods=["pwd", "otp"],
        home_organisation_id=operator_org,
    )
    principal = await _verifier(signer, RevocationList()).verify(token)
    assert principal.organisation_id == customer  # every query is scoped to the customer
    assert principal.methods == ("pwd", "otp")
    actor = principal.actor
    assert (actor.organisation_id, actor.type, actor.grant_id) == (
        operator_org,
        ActorType.operator,
        grant,
    )
    assert actor.intervenes_in(customer)


async def test_a_revoked_session_or_grant_is_refused_before_the_token_expires() -> None:
    signer = TokenSigner.generate(issuer=ISSUER, audience=AUDIENCE)
    revocations = RevocationList()
    verifier = _verifier(signer, revocations)
    session, grant = str(uuid.uuid4()), str(uuid.uuid4())
    organisation = str(uuid.uuid4())
    plain = signer.issue(user_id="u", organisation_id=organisation, roles=[], session_id=session)
    granted = signer.issue(
        user_id="o",
        organisation_id=organisation,
        roles=[],
        grant_id=grant,
        actor_type=ActorType.operator,
    )
    await verifier.verify(plain)
    await verifier.verify(granted)
    revocations.revoke_sessions([session])
    revocations.revoke_grant(grant)
    for token in (plain, granted):
        with pytest.raises(InvalidToken, match="revoked"):
            await verifier.verify(token)


async def test_a_user_token_keeps_its_own_organisation_as_actor() -> None:
    signer = TokenSigner.generate(issuer=ISSUER, audience=AUDIENCE)
    organisation = str(uuid.uuid4())
    token = signer.issue(user_id="u", organisation_id=organisation, roles=["member"])
    principal = await _verifier(signer, RevocationList()).verify(token)
    assert principal.actor.organisation_id == organisation
    assert principal.methods == ()
    assert not principal.actor.intervenes_in(organisation)
