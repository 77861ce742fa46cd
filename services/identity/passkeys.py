"""Passkeys (WebAuthn / FIDO2, TOM-T2b): register, name, list and remove them; sign in with one.

The ``webauthn`` package runs the ceremonies' checks: CBOR and COSE, the attestation, the
signature, the origin (the console's), the rp id, user presence and user verification, and the
sign count. What is decided here: which challenge a browser answers (a ``PasskeyCeremony``,
stored as a digest, used once, a few minutes), whose passkey it is, what the organisation's policy
lets it prove, and the events.

User verification is required every time: the authenticator checked a PIN or a biometric, so a
passkey proves possession *and* the user. That is why an organisation may let it sign in without
a password (``passwordless``), and why the session's ``amr`` is then ``[hwk, mfa]``. As a second
factor after the password it adds ``hwk``. A passkey signs for pactum's origin only, so a fake
sign-in page cannot relay it: it is the phishing-resistant factor an organisation can require of
its admins (``phishing_resistant_admins``).
"""

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from services.identity import mfa, store
from services.identity.authority import Authority
from services.identity.caller import own_account, recent_account, require_recent
from services.identity.domain import (
    IdentityRuleBroken,
    OrganisationStatus,
    UserStatus,
    check_passkey_name,
)
from services.identity.login import (
    LoginRefused,
    _failure,
    _record_failure,
    open_challenge,
    use_challenge,
)
from services.identity.onetime import digest
from services.identity.sessions import Tokens, start_session
from services.identity.store import (
    Organisation,
    Passkey,
    PasskeyCeremony,
    RecoveryCode,
    UserAccount,
)
from services.identity.views import actor_of
from shared.auth import Principal
from shared.event_types.identity import (
    PASSKEY_LISTED,
    PASSKEY_REGISTERED,
    PASSKEY_REMOVED,
    PASSKEY_UPDATED,
)
from shared.events import Actor
from shared.events.contracts.identity import PasskeyChanged, PasskeyRegistered, PasskeysListed
from shared.moments import as_utc

# ES256 (every platform authenticator and security key), EdDSA, RS256 (Windows Hello).
ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
CHALLENGE_BYTES = 32


class PasskeyRefused(Exception):
    """The browser's answer does not verify, or answers no challenge of ours."""


class PasskeyNotFound(Exception):
    """No such passkey of the caller's."""


@dataclass(frozen=True)
class Registered:
    passkey: Passkey
    recovery_codes: list[str] | None  # the first second factor comes with recovery codes


def _now() -> datetime:
    return datetime.now(UTC)


async def passkeys_of(*, session: AsyncSession, user_id: uuid.UUID) -> list[Passkey]:
    return list(
        (
            await session.scalars(
                select(Passkey)
                .where(col(Passkey.user_id) == user_id)
                .order_by(col(Passkey.created_at))
            )
        ).all()
    )


async def has_passkey(*, session: AsyncSession, user_id: uuid.UUID) -> bool:
    count = await session.scalar(
        select(func.count()).select_from(Passkey).where(col(Passkey.user_id) == user_id)
    )
    return bool(count)


def _ceremony(
    session: AsyncSession, authority: Authority, purpose: str, user_id: uuid.UUID | None
) -> bytes:
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    session.add(
        PasskeyCeremony(
            digest=digest(bytes_to_base64url(challenge)),
            purpose=purpose,
            user_id=user_id,
            expires_at=_now() + timedelta(seconds=authority.settings.passkey_timeout_seconds),
        )
    )
    return challenge


async def _answered_ceremony(
    session: AsyncSession, client_data_json: bytes, purpose: str, user_id: uuid.UUID | None
) -> bytes:
    """The challenge the browser signed, if it is a live one of ours for this purpose (and
    user); marked used in the caller's transaction, so it answers once."""
    try:
        challenge = parse_client_data_json(client_data_json).challenge
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise PasskeyRefused from None
    ceremony = await session.get(PasskeyCeremony, digest(bytes_to_base64url(challenge)))
    if (
        ceremony is None
        or ceremony.purpose != purpose
        or ceremony.user_id != user_id
        or ceremony.used_at is not None
        or as_utc(ceremony.expires_at) <= _now()
    ):
        raise PasskeyRefused
    used = await session.execute(
        update(PasskeyCeremony)
        .where(
            col(PasskeyCeremony.digest) == ceremony.digest, col(PasskeyCeremony.used_at).is_(None)
        )
        .values(used_at=_now())
    )
    assert isinstance(used, CursorResult)
    if used.rowcount != 1:
        raise PasskeyRefused
    return challenge


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for name in filter(None, passkey.transports.split(",")):
        try:
            transports.append(AuthenticatorTransport(name))
        except ValueError:
            continue
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id), transports=transports or None
    )


# -- registration -----------------------------------------------------------------------------


async def registration_options(
    *, session: AsyncSession, authority: Authority, user: UserAccount
) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptions`` as JSON, for ``navigator.credentials.create``.
    The user handle is the user's id (no address or name in it); the passkeys the user has
    already are excluded, so one authenticator is not registered twice."""
    settings = authority.settings
    options = generate_registration_options(
        rp_id=settings.passkey_rp_id,
        rp_name=settings.passkey_rp_name,
        user_name=user.email,
        user_id=user.id.bytes,
        user_display_name=user.display_name or user.email,
        challenge=_ceremony(session, authority, "register", user.id),
        timeout=settings.passkey_timeout_seconds * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            _descriptor(p) for p in await passkeys_of(session=session, user_id=user.id)
        ],
        supported_pub_key_algs=ALGORITHMS,
    )
    answer: dict[str, Any] = json.loads(options_to_json(options))
    return answer


async def _verified_registration(
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    credential: dict[str, Any],
    name: str,
) -> Passkey:
    """The passkey the browser's ``navigator.credentials.create`` answer proves, named and not yet
    saved: the answer is to a live registration ceremony of the user's, user verification
    included, and the credential is no one's yet. Raises :class:`PasskeyRefused`."""
    settings = authority.settings
    try:
        parsed = parse_registration_credential_json(credential)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise PasskeyRefused from None
    challenge = await _answered_ceremony(
        session, parsed.response.client_data_json, "register", user.id
    )
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=settings.passkey_rp_id,
            expected_origin=settings.passkey_origin,
            require_user_presence=True,
            require_user_verification=True,
            supported_pub_key_algs=ALGORITHMS,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise PasskeyRefused from None
    credential_id = bytes_to_base64url(verified.credential_id)
    taken = await session.scalar(
        select(col(Passkey.id)).where(col(Passkey.credential_id) == credential_id)
    )
    if taken is not None:
        raise PasskeyRefused
    return Passkey(
        user_id=user.id,
        organisation_id=user.organisation_id,
        credential_id=credential_id,
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        name=name,
        aaguid=verified.aaguid,
        transports=",".join(t.value for t in parsed.response.transports or [])[:200],
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
        created_at=_now(),
    )


async def register(
    *,
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    credential: dict[str, Any],
    name: str,
    actor: Actor,
) -> Registered:
    """Verify the browser's ``navigator.credentials.create`` answer and keep the passkey, in the
    caller's transaction. A user's first second factor comes with ten recovery codes."""
    passkey = await _verified_registration(
        session, authority, user, credential, check_passkey_name(name)
    )
    first = user.mfa_enrolled_at is None
    if first:
        await session.execute(
            update(UserAccount).where(col(UserAccount.id) == user.id).values(mfa_enrolled_at=_now())
        )
    session.add(passkey)
    authority.outbox.add(
        session,
        type=PASSKEY_REGISTERED,
        tenant=str(user.organisation_id),
        actor=actor,
        subject=str(user.id),
        data=PasskeyRegistered(
            user_id=user.id,
            passkey_id=passkey.id,
            backup_eligible=passkey.backup_eligible,
            backed_up=passkey.backed_up,
            aaguid=passkey.aaguid,
        ),
    )
    codes = None
    if first:
        codes = await mfa.issue_recovery_codes(
            session=session, authority=authority, user=user, actor=actor
        )
    return Registered(passkey=passkey, recovery_codes=codes)


# -- the user's own passkeys ------------------------------------------------------------------


async def listed(
    *, session: AsyncSession, authority: Authority, user: UserAccount
) -> list[Passkey]:
    found = await passkeys_of(session=session, user_id=user.id)
    authority.outbox.add(
        session,
        type=PASSKEY_LISTED,
        tenant=str(user.organisation_id),
        actor=actor_of(user),
        subject=str(user.id),
        data=PasskeysListed(user_id=user.id, passkey_ids=[p.id for p in found]),
    )
    return found


async def _own(session: AsyncSession, user: UserAccount, passkey_id: uuid.UUID) -> Passkey:
    passkey = await session.scalar(
        select(Passkey).where(col(Passkey.id) == passkey_id, col(Passkey.user_id) == user.id)
    )
    if passkey is None:
        raise PasskeyNotFound
    return passkey


async def rename(
    *,
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    passkey_id: uuid.UUID,
    name: str,
    actor: Actor,
) -> Passkey:
    name = check_passkey_name(name)
    passkey = await _own(session, user, passkey_id)
    await session.execute(update(Passkey).where(col(Passkey.id) == passkey.id).values(name=name))
    authority.outbox.add(
        session,
        type=PASSKEY_UPDATED,
        tenant=str(user.organisation_id),
        actor=actor,
        subject=str(user.id),
        data=PasskeyChanged(user_id=user.id, passkey_id=passkey.id),
    )
    await session.refresh(passkey)
    return passkey


async def remove(
    *,
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    passkey_id: uuid.UUID,
    actor: Actor,
) -> None:
    """Remove a passkey. The last second factor of someone whose organisation requires one stays
    (set up another first); the last of someone free of the requirement takes the recovery codes
    with it."""
    passkey = await _own(session, user, passkey_id)
    organisation = await session.get(Organisation, user.organisation_id)
    assert organisation is not None
    policy = store.second_factor_policy(organisation)
    others = await session.scalar(
        select(func.count())
        .select_from(Passkey)
        .where(col(Passkey.user_id) == user.id, col(Passkey.id) != passkey.id)
    )
    has_totp = user.totp_sealed is not None
    if not others and policy.requires_passkey(user.role):
        raise IdentityRuleBroken(
            "your organisation requires a passkey for admins: register another before removing "
            "this one"
        )
    if not others and not has_totp and policy.requires_mfa(user.role):
        raise IdentityRuleBroken(
            "your organisation requires a second factor: set up another before removing this one"
        )
    await session.execute(delete(Passkey).where(col(Passkey.id) == passkey.id))
    if not others and not has_totp:
        await session.execute(
            update(UserAccount).where(col(UserAccount.id) == user.id).values(mfa_enrolled_at=None)
        )
        await session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    authority.outbox.add(
        session,
        type=PASSKEY_REMOVED,
        tenant=str(user.organisation_id),
        actor=actor,
        subject=str(user.id),
        data=PasskeyChanged(user_id=user.id, passkey_id=passkey.id),
    )


# -- signing in -------------------------------------------------------------------------------


def authentication_options(
    session: AsyncSession,
    authority: Authority,
    purpose: str,
    user_id: uuid.UUID | None,
    allowed: list[Passkey],
) -> dict[str, Any]:
    settings = authority.settings
    options = generate_authentication_options(
        rp_id=settings.passkey_rp_id,
        challenge=_ceremony(session, authority, purpose, user_id),
        timeout=settings.passkey_timeout_seconds * 1000,
        allow_credentials=[_descriptor(p) for p in allowed],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    answer: dict[str, Any] = json.loads(options_to_json(options))
    return answer


async def second_factor_options(
    *, sessions: async_sessionmaker[AsyncSession], authority: Authority, challenge_secret: str
) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptions`` for the user whose password a login challenge
    proved, naming their passkeys."""
    async with sessions() as session, session.begin():
        opened = await open_challenge(
            session=session, secret=challenge_secret, purpose="second_factor"
        )
        if opened is None:
            raise LoginRefused
        _, user = opened
        allowed = await passkeys_of(session=session, user_id=user.id)
        if not allowed:
            raise LoginRefused
        return authentication_options(session, authority, "second_factor", user.id, allowed)


async def sign_in_options(
    *, sessions: async_sessionmaker[AsyncSession], authority: Authority
) -> dict[str, Any]:
    """Options for a passwordless sign-in: no user named, the browser offers its passkeys for
    pactum (discoverable credentials) and the answer says whose it is."""
    async with sessions() as session, session.begin():
        return authentication_options(session, authority, "sign_in", None, [])


async def verify_assertion(
    session: AsyncSession,
    authority: Authority,
    credential: dict[str, Any],
    purpose: str,
    user: UserAccount | None,
) -> Passkey:
    """The passkey that signed the answer to a live ceremony of ``purpose``; its sign count and
    backup state brought up to date. Raises :class:`PasskeyRefused`."""
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise PasskeyRefused from None
    challenge = await _answered_ceremony(
        session, parsed.response.client_data_json, purpose, user.id if user else None
    )
    passkey = await session.scalar(
        select(Passkey).where(col(Passkey.credential_id) == bytes_to_base64url(parsed.raw_id))
    )
    if passkey is None or (user is not None and passkey.user_id != user.id):
        raise PasskeyRefused
    handle = parsed.response.user_handle
    if handle is not None and handle != passkey.user_id.bytes:
        raise PasskeyRefused
    settings = authority.settings
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=settings.passkey_rp_id,
            expected_origin=settings.passkey_origin,
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise PasskeyRefused from None
    # The count moves only from the value this check saw: two answers at once cannot both pass.
    moved = await session.execute(
        update(Passkey)
        .where(col(Passkey.id) == passkey.id, col(Passkey.sign_count) == passkey.sign_count)
        .values(
            sign_count=verified.new_sign_count,
            backed_up=verified.credential_backed_up,
            last_used_at=_now(),
        )
    )
    assert isinstance(moved, CursorResult)
    if moved.rowcount != 1:
        raise PasskeyRefused
    return passkey


async def second_factor(
    *,
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    challenge_secret: str,
    credential: dict[str, Any],
    address: str | None,
) -> Tokens:
    """Finish a login whose password is proven with a passkey; failures count toward the
    account's lock like a wrong TOTP code (TOM-T5)."""
    async with sessions() as session:
        opened = await open_challenge(
            session=session, secret=challenge_secret, purpose="second_factor"
        )
        if opened is None:
            raise LoginRefused
        challenge, user = opened
        organisation = await session.get(Organisation, user.organisation_id)
    assert organisation is not None
    threshold = store.lockout_policy(organisation).threshold
    async with sessions() as session, session.begin():
        attempt = await store.reserve_attempt(
            session=session, user_id=user.id, threshold=threshold, now=_now()
        )
    if attempt is not None:
        async with sessions() as session, session.begin():
            try:
                await verify_assertion(session, authority, credential, "second_factor", user)
            except PasskeyRefused:
                verified = False  # the WebAuthn challenge stays used: one answer each
            else:
                verified = await use_challenge(session=session, challenge=challenge)
            if verified:
                fresh = await session.get(UserAccount, user.id, populate_existing=True)
                assert fresh is not None
                methods = [*challenge.methods.split(","), "hwk"]
                return await start_session(
                    session=session, authority=authority, user=fresh, methods=methods
                )
            await _failure(
                session, authority, user, organisation, "second_factor", attempt, address
            )
        raise LoginRefused
    await _record_failure(sessions, authority, user, organisation, "locked", attempt, address)
    raise LoginRefused


async def sign_in(
    *,
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    credential: dict[str, Any],
    address: str | None,
) -> Tokens:
    """A passwordless sign-in, where the passkey owner's organisation allows it. The passkey
    verified its user, so the session counts as multi-factor (``amr`` = hwk, mfa). A refused
    answer does not count toward the account's lock: a passkey's signature cannot be guessed,
    and its credential id is no secret, so counting would let anyone lock its owner out."""
    async with sessions() as session, session.begin():
        try:
            passkey = await verify_assertion(session, authority, credential, "sign_in", None)
        except PasskeyRefused:
            await _failure(session, authority, None, None, "unknown", None, address)
            raise LoginRefused from None
        user = await session.get(UserAccount, passkey.user_id, populate_existing=True)
        organisation = await session.get(Organisation, passkey.organisation_id)
        assert user is not None
        assert organisation is not None
        if (
            user.status is not UserStatus.active
            or organisation.status != OrganisationStatus.active
            or not organisation.passwordless
        ):
            reason = "disabled"
        elif user.locked_permanently or (
            user.locked_until is not None and as_utc(user.locked_until) > _now()
        ):
            reason = "locked"
        else:
            return await start_session(
                session=session, authority=authority, user=user, methods=["hwk", "mfa"]
            )
        await _failure(session, authority, user, organisation, reason, None, address)
    raise LoginRefused


async def enrol_options(
    *, sessions: async_sessionmaker[AsyncSession], authority: Authority, challenge_secret: str
) -> dict[str, Any]:
    """During a login whose organisation requires a second factor the user lacks: the options
    to register a passkey now."""
    async with sessions() as session, session.begin():
        opened = await open_challenge(
            session=session, secret=challenge_secret, purpose="enrol_second_factor"
        )
        if opened is None:
            raise LoginRefused
        _, user = opened
        return await registration_options(session=session, authority=authority, user=user)


async def enrol_during_login(
    *,
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    challenge_secret: str,
    credential: dict[str, Any],
    name: str,
) -> tuple[Tokens, list[str]]:
    """Register the passkey and finish the login with it: the passkey just verified its user,
    so the session is proven by the password and the passkey."""
    async with sessions() as session, session.begin():
        opened = await open_challenge(
            session=session, secret=challenge_secret, purpose="enrol_second_factor"
        )
        if opened is None:
            raise LoginRefused
        challenge, user = opened
        actor = actor_of(user)
        registered = await register(
            session=session,
            authority=authority,
            user=user,
            credential=credential,
            name=name,
            actor=actor,
        )
        if not await use_challenge(session=session, challenge=challenge):
            raise LoginRefused
        fresh = await session.get(UserAccount, user.id, populate_existing=True)
        assert fresh is not None
        tokens = await start_session(
            session=session,
            authority=authority,
            user=fresh,
            methods=[*challenge.methods.split(","), "hwk"],
        )
        return tokens, registered.recovery_codes or []


# One's own passkeys: each use case finds the caller's account in its own transaction.


async def own_registration_options(
    *, session: AsyncSession, authority: Authority, principal: Principal
) -> dict[str, Any]:
    """Registration options for the caller; one who has a second factor already must have
    authenticated recently (step-up)."""
    async with session.begin():
        user = await own_account(session, principal)
        if user.mfa_enrolled_at is not None:
            await require_recent(session=session, user=user, session_id=principal.session_id)
        return await registration_options(session=session, authority=authority, user=user)


async def register_own(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    credential: dict[str, Any],
    name: str,
) -> Registered:
    """Register a passkey for the caller (step-up first for one who has a second factor)."""
    async with session.begin():
        user = await own_account(session, principal)
        if user.mfa_enrolled_at is not None:
            await require_recent(session=session, user=user, session_id=principal.session_id)
        return await register(
            session=session,
            authority=authority,
            user=user,
            credential=credential,
            name=name,
            actor=principal.actor,
        )


async def own_passkeys(
    *, session: AsyncSession, authority: Authority, principal: Principal
) -> list[Passkey]:
    """The caller's passkeys; the read is audited."""
    async with session.begin():
        user = await own_account(session, principal)
        return await listed(session=session, authority=authority, user=user)


async def rename_own(
    *,
    session: AsyncSession,
    authority: Authority,
    principal: Principal,
    passkey_id: uuid.UUID,
    name: str,
) -> Passkey:
    async with session.begin():
        user = await own_account(session, principal)
        return await rename(
            session=session,
            authority=authority,
            user=user,
            passkey_id=passkey_id,
            name=name,
            actor=principal.actor,
        )


async def remove_own(
    *, session: AsyncSession, authority: Authority, principal: Principal, passkey_id: uuid.UUID
) -> None:
    """Remove one of the caller's passkeys, in a recently authenticated session."""
    async with session.begin():
        user = await recent_account(session, principal)
        await remove(
            session=session,
            authority=authority,
            user=user,
            passkey_id=passkey_id,
            actor=principal.actor,
        )
