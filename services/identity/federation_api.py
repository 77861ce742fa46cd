"""HTTP routes of an organisation's own identity provider: its admins connect and disconnect it;
anyone starts a sign-in there and brings back the provider's answer. Thin: parse, call
federation.py, map errors. Every refusal of a sign-in is the same 401."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, HTTPException, status

from services.identity import federation, login
from services.identity.api import AuthorityDep, login_answer
from services.identity.domain import IdentityRuleBroken
from services.identity.errors import STEP_UP_RESPONSE
from services.identity.federation_oidc import Fetching, ProviderUnusable
from services.identity.federation_schemas import (
    FederatedCallbackIn,
    FederatedStartIn,
    FederatedStartOut,
    IdentityProviderIn,
    IdentityProviderPublic,
)
from services.identity.schemas import ChallengeOut, TokensOut
from services.identity.store import IdentityProvider
from shared.auth import Principal, Role, require_roles
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(tags=["organisation sign-in (OpenID Connect)"])

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
FEDERATION_FAILED = HTTPException(
    status.HTTP_401_UNAUTHORIZED,
    detail="Sign-in with your organisation failed; start again from the sign-in page.",
)
NOT_CONNECTED = HTTPException(
    status.HTTP_404_NOT_FOUND, detail="Your organisation has no identity provider connected."
)


async def fetching(authority: AuthorityDep) -> AsyncIterator[Fetching]:
    """An HTTP client for one request to a provider; private hosts outside production only."""
    settings = authority.settings
    async with httpx.AsyncClient(timeout=settings.federation_timeout_seconds) as client:
        yield Fetching(client=client, allow_private=settings.environment != "production")


FetchingDep = Annotated[Fetching, Depends(fetching)]


def _own_organisation(principal: Principal) -> uuid.UUID:
    if principal.grant_id is not None:  # a supplier under a grant administers nothing here
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="Not allowed")
    return uuid.UUID(principal.organisation_id)


def _public(provider: IdentityProvider, authority: AuthorityDep) -> IdentityProviderPublic:
    rules = federation.connection(provider)
    return IdentityProviderPublic(
        id=provider.id,
        issuer=provider.issuer,
        client_id=provider.client_id,
        email_claim=provider.email_claim,
        allowed_domains=list(rules.allowed_domains),
        just_in_time=provider.just_in_time,
        mfa_acr=list(rules.mfa_acr),
        mfa_amr=list(rules.mfa_amr),
        connected_at=provider.connected_at,
        redirect_uri=authority.settings.federation_redirect_uri,
    )


@router.get(
    "/organisation/identity-provider",
    response_model=IdentityProviderPublic,
    responses={403: {}, 404: {"description": "No identity provider connected."}},
)
async def identity_provider(
    principal: Admin, session: SessionDep, authority: AuthorityDep
) -> IdentityProviderPublic:
    """The organisation's connected identity provider (never its secret)."""
    organisation_id = _own_organisation(principal)
    provider = await federation.connected_provider(session=session, organisation_id=organisation_id)
    if provider is None:
        raise NOT_CONNECTED
    return _public(provider, authority)


@router.put(
    "/organisation/identity-provider",
    response_model=IdentityProviderPublic,
    responses={
        **STEP_UP_RESPONSE,
        422: {"description": "A setting is refused, or the provider's discovery failed."},
    },
)
async def connect_identity_provider(
    body: IdentityProviderIn,
    principal: Admin,
    session: SessionDep,
    authority: AuthorityDep,
    reach: FetchingDep,
) -> IdentityProviderPublic:
    """Connect the organisation's OpenID Provider (or change it): its discovery document is read
    and must name the same issuer and offer PKCE S256. Who signs in to the organisation changes
    with it, so the admin must have authenticated within the last few minutes (step-up)."""
    organisation_id = _own_organisation(principal)
    await federation.require_recent_admin(session=session, principal=principal)
    try:
        settings = federation.checked(
            federation.Settings(**body.model_dump()),
            allow_http=authority.settings.environment != "production",
        )
    except IdentityRuleBroken as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None
    try:
        endpoints = await federation.discover_provider(settings, reach)
    except ProviderUnusable as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"The provider's discovery document could not be used ({error}); check the "
            "issuer URL.",
        ) from None
    try:
        provider = await federation.connect(
            session=session,
            authority=authority,
            organisation_id=organisation_id,
            settings=settings,
            endpoints=endpoints,
            actor=principal.actor,
        )
    except federation.MissingSecret:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="client_secret is needed to connect a provider",
        ) from None
    return _public(provider, authority)


@router.delete(
    "/organisation/identity-provider",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**STEP_UP_RESPONSE, 404: {"description": "No identity provider connected."}},
)
async def disconnect_identity_provider(
    principal: Admin, session: SessionDep, authority: AuthorityDep
) -> None:
    """Disconnect it: its users sign in with their password (or passkey) again. After a recent
    authentication only (step-up), as for connecting."""
    organisation_id = _own_organisation(principal)
    await federation.require_recent_admin(session=session, principal=principal)
    try:
        await federation.disconnect(
            session=session,
            authority=authority,
            organisation_id=organisation_id,
            actor=principal.actor,
        )
    except federation.NotConnected:
        raise NOT_CONNECTED from None


@router.post("/login/organisation", response_model=FederatedStartOut, responses={401: {}})
async def start_federated_sign_in(
    body: FederatedStartIn, runtime: RuntimeDep, authority: AuthorityDep
) -> FederatedStartOut:
    """Start a sign-in at the organisation's provider (picked by the address's domain or the
    organisation): the URL to send the browser to, and the state to keep with it."""
    try:
        started = await federation.begin(
            sessions=runtime.sessions,
            authority=authority,
            email=body.email,
            organisation_id=body.organisation_id,
        )
    except login.LoginRefused:
        raise FEDERATION_FAILED from None
    return FederatedStartOut(authorization_url=started.authorization_url, state=started.state)


@router.post(
    "/login/organisation/callback",
    response_model=TokensOut | ChallengeOut,
    responses={401: {"description": "Sign-in failed (always the same answer)."}},
)
async def finish_federated_sign_in(
    body: FederatedCallbackIn, runtime: RuntimeDep, authority: AuthorityDep, reach: FetchingDep
) -> TokensOut | ChallengeOut:
    """The provider's answer (state and code): tokens, or the next step's challenge where the
    organisation wants a second factor the provider did not report."""
    try:
        result = await federation.finish(
            sessions=runtime.sessions,
            authority=authority,
            fetching=reach,
            state=body.state,
            code=body.code,
        )
    except login.LoginRefused:
        raise FEDERATION_FAILED from None
    return login_answer(result)
