"""Use cases of an organisation's own identity provider (OpenID Connect federation, issue 13.4).

Connect and disconnect (an admin of the organisation, in its tenant), and the sign-in in two
steps: ``begin`` keeps a ``FederatedAttempt`` (state as a digest, nonce, PKCE verifier sealed) and
answers the provider's authorization URL; ``finish`` takes the ``state`` and ``code`` the
provider sent back, uses the attempt up (once, in its own transaction, before anything else),
exchanges the code, verifies the ID token (federation_oidc.py) and opens the session as a
password sign-in would (``sessions.start_session``), or asks for a second factor here where the
organisation's policy wants one the provider did not report. Every refusal is ``LoginRefused``:
the caller cannot tell a wrong state from a tampered token or an unknown person.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import structlog
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.identity import onetime, store
from services.identity.authority import Authority
from services.identity.caller import recent_account
from services.identity.domain import OrganisationStatus, UserStatus
from services.identity.federation_oidc import (
    Fetching,
    ProviderUnusable,
    TokenRefused,
    authorization_url,
    discover,
    exchange_code,
    new_secret,
    provider_keys,
    verify_id_token,
)
from services.identity.federation_rules import (
    Assertion,
    Connection,
    check_claim,
    check_domains,
    check_issuer,
    check_values,
    counts_as_mfa,
    domain_of,
    session_methods,
    verified_address,
)
from services.identity.login import LoginRefused, Pending, new_challenge, usable_factors
from services.identity.sessions import Tokens, start_session
from services.identity.store import FederatedAttempt, IdentityProvider, Organisation, UserAccount
from services.identity.views import actor_of
from shared.auth import Principal
from shared.event_types.identity import (
    FEDERATED_LOGIN_SUCCEEDED,
    IDP_CONNECTED,
    IDP_DISCONNECTED,
    LOGIN_FAILED,
)
from shared.events import Actor, Outcome
from shared.events.contracts.identity import (
    FederatedSignIn,
    IdpConnected,
    IdpDisconnected,
    LoginFailed,
)
from shared.moments import as_utc

log = structlog.get_logger("pactum.identity.federation")

SECRET_CONTEXT = "identity_provider.client_secret"  # noqa: S105 (a sealing context)
VERIFIER_CONTEXT = "federated_attempt.verifier"


class NotConnected(LookupError):
    """The organisation has no identity provider connected."""


@dataclass(frozen=True)
class Settings:
    """What an admin sends to connect the provider (the secret may be left out on a change)."""

    issuer: str
    client_id: str
    client_secret: str | None
    email_claim: str
    allowed_domains: list[str]
    just_in_time: bool
    mfa_acr: list[str]
    mfa_amr: list[str]


@dataclass(frozen=True)
class Started:
    authorization_url: str
    state: str


def _now() -> datetime:
    return datetime.now(UTC)


def _split(value: str, separator: str = " ") -> tuple[str, ...]:
    return tuple(part for part in value.split(separator) if part)


def connection(provider: IdentityProvider) -> Connection:
    return Connection(
        allowed_domains=_split(provider.allowed_domains, ","),
        just_in_time=provider.just_in_time,
        mfa_acr=_split(provider.mfa_acr),
        mfa_amr=_split(provider.mfa_amr),
    )


async def provider_of(
    *, session: AsyncSession, organisation_id: uuid.UUID
) -> IdentityProvider | None:
    return await session.scalar(
        select(IdentityProvider).where(col(IdentityProvider.organisation_id) == organisation_id)
    )


async def connected_provider(
    *, session: AsyncSession, organisation_id: uuid.UUID
) -> IdentityProvider | None:
    """The organisation's connected provider, if any, read in its own transaction."""
    async with session.begin():
        return await provider_of(session=session, organisation_id=organisation_id)


async def require_recent_admin(*, session: AsyncSession, principal: Principal) -> None:
    """Raise StepUpRequired unless the caller authenticated within the last few minutes: who
    signs in to the organisation changes with its provider."""
    async with session.begin():
        await recent_account(session, principal)


def checked(settings: Settings, *, allow_http: bool) -> Settings:
    """The settings cleaned, or ``IdentityRuleBroken`` naming what to change."""
    return Settings(
        issuer=check_issuer(settings.issuer, allow_http=allow_http),
        client_id=settings.client_id.strip(),
        client_secret=settings.client_secret,
        email_claim=check_claim(settings.email_claim),
        allowed_domains=list(check_domains(settings.allowed_domains)),
        just_in_time=settings.just_in_time,
        mfa_acr=list(check_values(settings.mfa_acr, field="mfa_acr")),
        mfa_amr=list(check_values(settings.mfa_amr, field="mfa_amr")),
    )


async def discover_provider(settings: Settings, fetching: Fetching) -> Any:
    """The provider's endpoints (outside any transaction: it is a network call)."""
    return await discover(settings.issuer, fetching)


async def connect(
    *,
    session: AsyncSession,
    authority: Authority,
    organisation_id: uuid.UUID,
    settings: Settings,
    endpoints: Any,
    actor: Actor,
) -> IdentityProvider:
    """Connect the organisation's provider, or change it, in one transaction. A first
    connection needs the client secret; a change without one keeps the sealed one."""
    async with session.begin():
        provider = await provider_of(session=session, organisation_id=organisation_id)
        if provider is None and not settings.client_secret:
            raise MissingSecret
        if provider is None:
            provider = _unconnected(organisation_id)
        if settings.client_secret:
            provider.client_secret_sealed = authority.sealer.seal(
                settings.client_secret, context=f"{SECRET_CONTEXT}:{organisation_id}"
            )
        _take_settings(provider, settings, endpoints)
        session.add(provider)
        authority.outbox.add(
            session,
            type=IDP_CONNECTED,
            tenant=str(organisation_id),
            actor=actor,
            subject=str(provider.id),
            data=_connected(provider, settings),
        )
        return provider


def _unconnected(organisation_id: uuid.UUID) -> IdentityProvider:
    """The organisation's provider before its first connection fills it in."""
    return IdentityProvider(
        organisation_id=organisation_id,
        client_secret_sealed="",
        allowed_domains="",
        authorization_endpoint="",
        token_endpoint="",
        jwks_uri="",
        issuer="",
        client_id="",
        connected_at=_now(),
    )


def _take_settings(provider: IdentityProvider, settings: Settings, endpoints: Any) -> None:
    """The admin's settings and the provider's discovered endpoints, connected as of now (the
    sealed secret aside)."""
    provider.issuer = settings.issuer
    provider.client_id = settings.client_id
    provider.email_claim = settings.email_claim
    provider.allowed_domains = ",".join(settings.allowed_domains)
    provider.just_in_time = settings.just_in_time
    provider.mfa_acr = " ".join(settings.mfa_acr)
    provider.mfa_amr = " ".join(settings.mfa_amr)
    provider.authorization_endpoint = endpoints.authorization_endpoint
    provider.token_endpoint = endpoints.token_endpoint
    provider.jwks_uri = endpoints.jwks_uri
    provider.connected_at = _now()


def _connected(provider: IdentityProvider, settings: Settings) -> IdpConnected:
    """What ``idp.connected`` says: the provider as connected, and whether the secret changed
    (never the secret)."""
    return IdpConnected(
        provider_id=provider.id,
        issuer=provider.issuer,
        client_id=provider.client_id,
        email_claim=provider.email_claim,
        allowed_domains=settings.allowed_domains,
        just_in_time=provider.just_in_time,
        mfa_acr=settings.mfa_acr,
        mfa_amr=settings.mfa_amr,
        secret_changed=bool(settings.client_secret),
    )


class MissingSecret(Exception):
    """A first connection without the client secret."""


async def disconnect(
    *, session: AsyncSession, authority: Authority, organisation_id: uuid.UUID, actor: Actor
) -> None:
    """Disconnect the organisation's provider (NotConnected without one), in one transaction."""
    async with session.begin():
        provider = await provider_of(session=session, organisation_id=organisation_id)
        if provider is None:
            raise NotConnected
        await session.execute(
            delete(FederatedAttempt).where(
                col(FederatedAttempt.provider_id) == provider.id,
                col(FederatedAttempt.organisation_id) == organisation_id,
            )
        )
        await session.delete(provider)
        authority.outbox.add(
            session,
            type=IDP_DISCONNECTED,
            tenant=str(organisation_id),
            actor=actor,
            subject=str(provider.id),
            data=IdpDisconnected(provider_id=provider.id, issuer=provider.issuer),
        )


async def _provider_for(
    session: AsyncSession, *, email: str | None, organisation_id: uuid.UUID | None
) -> IdentityProvider | None:
    """The provider an organisation connected, or the one provider that answers for the
    address's domain (none when two organisations claim it: never guess)."""
    if organisation_id is not None:
        return await provider_of(session=session, organisation_id=organisation_id)
    if email is None:
        return None
    domain = domain_of(email)
    candidates = await session.scalars(
        select(IdentityProvider).where(col(IdentityProvider.allowed_domains).contains(domain))
    )
    found = [p for p in candidates if domain in connection(p).allowed_domains]
    return found[0] if len(found) == 1 else None


async def begin(
    *,
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    email: str | None,
    organisation_id: uuid.UUID | None,
) -> Started:
    """A sign-in at the organisation's provider: the URL to send the browser to, and the state
    the console keeps to match the provider's answer to this browser."""
    state, nonce, verifier = new_secret(), new_secret(), new_secret()
    async with sessions() as session, session.begin():
        provider = await _provider_for(session, email=email, organisation_id=organisation_id)
        if provider is None:
            raise LoginRefused
        organisation = await session.get(Organisation, provider.organisation_id)
        if organisation is None or organisation.status is not OrganisationStatus.active:
            raise LoginRefused
        session.add(
            FederatedAttempt(
                state_digest=onetime.digest(state),
                provider_id=provider.id,
                organisation_id=provider.organisation_id,
                nonce=nonce,
                verifier_sealed=authority.sealer.seal(verifier, context=VERIFIER_CONTEXT),
                expires_at=_now()
                + timedelta(minutes=authority.settings.federation_attempt_minutes),
            )
        )
        url = authorization_url(
            endpoint=provider.authorization_endpoint,
            client_id=provider.client_id,
            redirect_uri=authority.settings.federation_redirect_uri,
            state=state,
            nonce=nonce,
            verifier=verifier,
            login_hint=email,
        )
    return Started(authorization_url=url, state=state)


@dataclass(frozen=True)
class _Used:
    provider: IdentityProvider
    nonce: str
    verifier: str
    client_secret: str


async def _use_attempt(
    sessions: async_sessionmaker[AsyncSession], authority: Authority, state: str
) -> _Used:
    """Use the attempt ``state`` names, once; committed before the code is exchanged."""
    now = _now()
    async with sessions() as session, session.begin():
        digest = onetime.digest(state)
        result = await session.execute(
            update(FederatedAttempt)
            .where(
                col(FederatedAttempt.state_digest) == digest,
                col(FederatedAttempt.used_at).is_(None),
            )
            .values(used_at=now)
        )
        assert isinstance(result, CursorResult)
        attempt = await session.get(FederatedAttempt, digest)
        if result.rowcount != 1 or attempt is None or as_utc(attempt.expires_at) <= now:
            raise LoginRefused
        provider = await session.get(IdentityProvider, attempt.provider_id)
        if provider is None or provider.organisation_id != attempt.organisation_id:
            raise LoginRefused
        return _Used(
            provider=provider,
            nonce=attempt.nonce,
            verifier=authority.sealer.open(attempt.verifier_sealed, context=VERIFIER_CONTEXT),
            client_secret=authority.sealer.open(
                provider.client_secret_sealed,
                context=f"{SECRET_CONTEXT}:{provider.organisation_id}",
            ),
        )


def assertion_of(claims: dict[str, Any], email_claim: str) -> Assertion:
    email = claims.get(email_claim)
    amr = claims.get("amr")
    acr = claims.get("acr")
    return Assertion(
        email=email if isinstance(email, str) else None,
        # A provider that names the address in another claim (upn, a broker's own) vouches for
        # it there; the standard ``email`` claim needs ``email_verified`` true.
        email_verified=claims.get("email_verified") is True or email_claim != "email",
        acr=acr if isinstance(acr, str) else None,
        amr=tuple(str(value) for value in amr) if isinstance(amr, list) else (),
    )


async def finish(
    *,
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    fetching: Fetching,
    state: str,
    code: str,
) -> Tokens | Pending:
    """The provider's answer: verified, matched to a user, a session (or a second step)."""
    used = await _use_attempt(sessions, authority, state)
    provider = used.provider
    try:
        token = await exchange_code(
            fetching=fetching,
            token_endpoint=provider.token_endpoint,
            code=code,
            verifier=used.verifier,
            redirect_uri=authority.settings.federation_redirect_uri,
            client_id=provider.client_id,
            client_secret=used.client_secret,
        )
        claims = verify_id_token(
            token,
            jwks=await provider_keys(provider.jwks_uri, fetching),
            issuer=provider.issuer,
            client_id=provider.client_id,
            nonce=used.nonce,
        )
    except (TokenRefused, ProviderUnusable) as error:
        await _refused(sessions, authority, provider, str(error))
    assertion = assertion_of(claims, provider.email_claim)
    rules = connection(provider)
    async with sessions() as session, session.begin():
        organisation = await session.get(Organisation, provider.organisation_id)
        email = verified_address(assertion, rules)
        if email is None or organisation is None:
            reason = "address not verified or not in an allowed domain"
        elif organisation.status is not OrganisationStatus.active:
            reason = "organisation disabled"
        else:
            user, provisioned = await _user_for(session, authority, organisation, email, rules)
            if user is not None and user.status is UserStatus.active:
                return await _signed_in(
                    session, authority, organisation, user, provider, assertion, provisioned
                )
            reason = "no active account and no just-in-time provisioning"
    return await _refused(sessions, authority, provider, reason)


async def _user_for(
    session: AsyncSession,
    authority: Authority,
    organisation: Organisation,
    email: str,
    rules: Connection,
) -> tuple[UserAccount | None, bool]:
    """The organisation's account for ``email``; a new member where just-in-time is allowed and
    the address holds no account anywhere (an address holds one account on the platform)."""
    user = await session.scalar(
        select(UserAccount).where(
            col(UserAccount.organisation_id) == organisation.id,
            col(UserAccount.email) == email,
        )
    )
    if user is not None or not rules.just_in_time:
        return user, False
    if await store.user_by_email(session=session, email=email) is not None:
        return None, False
    now = _now()
    user = UserAccount(
        organisation_id=organisation.id,
        email=email,
        role="member",
        status=UserStatus.active,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    return user, True


async def _signed_in(
    session: AsyncSession,
    authority: Authority,
    organisation: Organisation,
    user: UserAccount,
    provider: IdentityProvider,
    assertion: Assertion,
    provisioned: bool,
) -> Tokens | Pending:
    rules = connection(provider)
    methods = session_methods(assertion, rules)
    mfa = counts_as_mfa(assertion, rules)
    policy = store.second_factor_policy(organisation)
    result: Tokens | Pending
    # The provider's second factor is not a passkey for pactum's origin: an organisation that
    # requires one of its admins still asks for it here.
    if policy.requires_passkey(user.role) or (
        not mfa and (user.mfa_enrolled_at is not None or policy.requires_mfa(user.role))
    ):
        factors = await usable_factors(session, policy, user)
        if factors:
            result = new_challenge(session, authority, user, "second_factor", methods, factors)
        else:
            setup = ("passkey",) if policy.requires_passkey(user.role) else ("passkey", "otp")
            result = new_challenge(session, authority, user, "enrol_second_factor", methods, setup)
    else:
        result = await start_session(
            session=session, authority=authority, user=user, methods=methods
        )
    authority.outbox.add(
        session,
        type=FEDERATED_LOGIN_SUCCEEDED,
        tenant=str(organisation.id),
        actor=actor_of(user),
        subject=str(user.id),
        data=FederatedSignIn(
            user_id=user.id,
            provider_id=provider.id,
            session_id=result.session_id if isinstance(result, Tokens) else None,
            provisioned=provisioned,
            counted_as_mfa=mfa,
            acr=assertion.acr[:200] if assertion.acr else None,
        ),
    )
    return result


async def _refused(
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    provider: IdentityProvider,
    why: str,
) -> NoReturn:
    """Record the failed federated sign-in (``login.failed``, reason federation) and refuse
    generically. ``why`` goes to the log only, never to the caller; it names no secret."""
    log.info("identity.federated_sign_in_refused", provider_id=str(provider.id), why=why)
    async with sessions() as session, session.begin():
        authority.outbox.add(
            session,
            type=LOGIN_FAILED,
            tenant=str(provider.organisation_id),
            actor=Actor(id="anonymous", organisation_id=str(provider.organisation_id)),
            subject=None,
            outcome=Outcome.failed,
            data=LoginFailed(user_id=None, reason="federation"),
        )
    raise LoginRefused
