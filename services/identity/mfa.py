"""The second factor (TOM-T2b): TOTP enrolment and verification, single-use recovery codes.

A TOTP code is accepted once: the user's last accepted time step only moves forward, in one
conditional UPDATE, so a replayed or parallel code fails (ASVS 6.5.1). Failed codes count toward
the same lockout as failed passwords (TOM-T5).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.identity import onetime, store, totp
from services.identity.authority import Authority
from services.identity.caller import own_account, recent_account
from services.identity.login import (
    LoginRefused,
    _record_failure,
    open_challenge,
    usable_factors,
    use_challenge,
)
from services.identity.sessions import Tokens, start_session
from services.identity.store import Organisation, RecoveryCode, UserAccount
from services.identity.views import actor_of
from shared.auth import Principal
from shared.event_types.identity import MFA_ENROLLED, RECOVERY_CODE_ISSUED
from shared.events import Actor
from shared.events.contracts.identity import MfaEnrolled, RecoveryCodesIssued

ISSUER = "pactum"


class SecondFactorRefused(Exception):
    pass


class AlreadyEnrolled(Exception):
    """The user has a second factor already (an admin can reset it)."""


class NotEnrolled(Exception):
    """The user has no second factor yet."""


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def _now() -> datetime:
    return datetime.now(UTC)


def _context(user: UserAccount) -> str:
    return f"totp:{user.id}"


RECOVERY_MAC = "h1:"  # digests with this prefix are keyed; the others are legacy SHA-256


def recovery_digest(authority: Authority, user: UserAccount, code: str) -> str:
    """HMAC-SHA-256 under identity's data key (ASVS 6.5.2): a stolen database alone does not let
    anyone test guesses offline."""
    message = f"{user.id}:{totp.normalise_recovery_code(code)}"
    return RECOVERY_MAC + authority.sealer.mac(message, purpose="recovery-code")


def legacy_recovery_digest(user: UserAccount, code: str) -> str:
    """How codes issued before migration to the HMAC were stored (50-bit codes, plain SHA-256).
    They keep working until used or replaced by a new set; no new code is stored this way."""
    return onetime.digest(f"{user.id}:{totp.normalise_recovery_code(code)}")


async def begin_enrolment(
    *, session: AsyncSession, authority: Authority, user: UserAccount
) -> Enrolment:
    """A new secret, kept sealed as pending until a first code confirms it."""
    secret = totp.new_secret()
    await session.execute(
        update(UserAccount)
        .where(col(UserAccount.id) == user.id)
        .values(totp_pending=authority.sealer.seal(secret, context=_context(user)))
    )
    uri = totp.provisioning_uri(secret, account=user.email, issuer=ISSUER)
    return Enrolment(secret=secret, uri=uri, qr_svg=totp.qr_svg(uri))


async def confirm_enrolment(
    *, session: AsyncSession, authority: Authority, user: UserAccount, code: str, actor: Actor
) -> list[str]:
    """Confirm the pending secret with a first code; returns ten recovery codes (shown once)."""
    if user.totp_pending is None:
        raise SecondFactorRefused("start the enrolment first")
    secret = authority.sealer.open(user.totp_pending, context=_context(user))
    step = totp.matching_step(secret, code, after_step=0)
    if step is None:
        raise SecondFactorRefused("the code does not match; check the device's clock and retry")
    await session.execute(
        update(UserAccount)
        .where(col(UserAccount.id) == user.id)
        .values(
            totp_sealed=user.totp_pending,
            totp_pending=None,
            totp_last_step=step,
            mfa_enrolled_at=_now(),
        )
    )
    codes = await issue_recovery_codes(session=session, authority=authority, user=user, actor=actor)
    authority.outbox.add(
        session,
        type=MFA_ENROLLED,
        tenant=str(user.organisation_id),
        actor=actor,
        subject=str(user.id),
        data=MfaEnrolled(user_id=user.id, method="totp"),
    )
    return codes


async def begin_own_enrolment(
    *, session: AsyncSession, authority: Authority, principal: Principal
) -> Enrolment:
    """The caller starts TOTP enrolment; AlreadyEnrolled when they have a second factor."""
    async with session.begin():
        user = await own_account(session, principal)
        if user.mfa_enrolled_at is not None:
            raise AlreadyEnrolled
        return await begin_enrolment(session=session, authority=authority, user=user)


async def confirm_own_enrolment(
    *, session: AsyncSession, authority: Authority, principal: Principal, code: str
) -> list[str]:
    """The caller confirms TOTP with a first code: ten recovery codes, shown this once."""
    async with session.begin():
        user = await own_account(session, principal)
        if user.mfa_enrolled_at is not None:
            raise AlreadyEnrolled
        return await confirm_enrolment(
            session=session, authority=authority, user=user, code=code, actor=principal.actor
        )


async def renew_recovery_codes(
    *, session: AsyncSession, authority: Authority, principal: Principal
) -> list[str]:
    """New recovery codes for the caller (the old ones stop), in a recently authenticated
    session; NotEnrolled without a second factor."""
    async with session.begin():
        user = await recent_account(session, principal)
        if user.mfa_enrolled_at is None:
            raise NotEnrolled
        return await issue_recovery_codes(
            session=session, authority=authority, user=user, actor=principal.actor, renewed=True
        )


async def issue_recovery_codes(
    *,
    session: AsyncSession,
    authority: Authority,
    user: UserAccount,
    actor: Actor,
    renewed: bool = False,
) -> list[str]:
    await session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = totp.new_recovery_codes()
    for code in codes:
        session.add(RecoveryCode(digest=recovery_digest(authority, user, code), user_id=user.id))
    authority.outbox.add(
        session,
        type=RECOVERY_CODE_ISSUED,
        tenant=str(user.organisation_id),
        actor=actor,
        subject=str(user.id),
        data=RecoveryCodesIssued(user_id=user.id, count=len(codes), renewed=renewed),
    )
    return codes


async def _accept_code(
    session: AsyncSession, authority: Authority, user: UserAccount, code: str
) -> bool:
    if user.totp_sealed is None:
        return False
    secret = authority.sealer.open(user.totp_sealed, context=_context(user))
    step = totp.matching_step(secret, code, after_step=user.totp_last_step)
    if step is None:
        return False
    result = await session.execute(
        update(UserAccount)
        .where(col(UserAccount.id) == user.id, col(UserAccount.totp_last_step) < step)
        .values(totp_last_step=step)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def _accept_recovery_code(
    session: AsyncSession, authority: Authority, user: UserAccount, code: str
) -> bool:
    digests = [recovery_digest(authority, user, code), legacy_recovery_digest(user, code)]
    result = await session.execute(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.digest).in_(digests),
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=_now())
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def second_factor(
    *,
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    challenge_secret: str,
    code: str | None,
    recovery_code: str | None,
    address: str | None,
) -> Tokens:
    """Finish a login with a TOTP code or a recovery code."""
    async with sessions() as session:
        opened = await open_challenge(
            session=session, secret=challenge_secret, purpose="second_factor"
        )
        if opened is None:
            raise LoginRefused
        challenge, user = opened
        organisation = await session.get(Organisation, user.organisation_id)
        assert organisation is not None
        accepted = await usable_factors(session, store.second_factor_policy(organisation), user)
    threshold = store.lockout_policy(organisation).threshold
    method = "otp" if code is not None else "rec"
    if method not in accepted:  # e.g. an admin who must use a passkey (phishing-resistant)
        await _record_failure(
            sessions, authority, user, organisation, "second_factor", None, address
        )
        raise LoginRefused
    async with sessions() as session, session.begin():
        attempt = await store.reserve_attempt(
            session=session, user_id=user.id, threshold=threshold, now=_now()
        )
    if attempt is not None:
        async with sessions() as session, session.begin():
            if code is not None:
                proven = await _accept_code(session, authority, user, code)
            else:
                proven = await _accept_recovery_code(session, authority, user, recovery_code or "")
            if proven and await use_challenge(session=session, challenge=challenge):
                fresh = await session.get(UserAccount, user.id, populate_existing=True)
                assert fresh is not None
                methods = [*challenge.methods.split(","), method]
                return await start_session(
                    session=session, authority=authority, user=fresh, methods=methods
                )
    reason = "second_factor" if attempt is not None else "locked"
    await _record_failure(sessions, authority, user, organisation, reason, attempt, address)
    raise LoginRefused


async def enrol_during_login(
    *,
    sessions: async_sessionmaker[AsyncSession],
    authority: Authority,
    challenge_secret: str,
    code: str | None,
) -> Enrolment | tuple[Tokens, list[str]]:
    """The organisation requires a second factor the user has not set up yet: set it up now.

    Without ``code``: start (a secret and QR code); with ``code``: confirm, and the login ends
    in a session proven by both factors, with the recovery codes shown once.
    """
    async with sessions() as session, session.begin():
        opened = await open_challenge(
            session=session, secret=challenge_secret, purpose="enrol_second_factor"
        )
        if opened is None:
            raise LoginRefused
        challenge, user = opened
        organisation = await session.get(Organisation, user.organisation_id)
        assert organisation is not None
        if store.second_factor_policy(organisation).requires_passkey(user.role):
            raise SecondFactorRefused("your organisation requires a passkey for admins")
        actor = actor_of(user)
        if code is None:
            return await begin_enrolment(session=session, authority=authority, user=user)
        codes = await confirm_enrolment(
            session=session, authority=authority, user=user, code=code, actor=actor
        )
        if not await use_challenge(session=session, challenge=challenge):
            raise LoginRefused
        fresh = await session.get(UserAccount, user.id, populate_existing=True)
        assert fresh is not None
        methods = [*challenge.methods.split(","), "otp"]
        tokens = await start_session(
            session=session, authority=authority, user=fresh, methods=methods
        )
        return tokens, codes
