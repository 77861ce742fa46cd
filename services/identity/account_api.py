"""HTTP routes for one's own account: invitation, password, reset, second factor."""

from fastapi import APIRouter, HTTPException, Request, status

from services.identity import accounts, mfa
from services.identity.api import AuthorityDep, own_user
from services.identity.domain import IdentityRuleBroken
from services.identity.resets import ResetRequests
from services.identity.schemas import (
    Accepted,
    ConfirmIn,
    EnrolmentOut,
    InvitationAcceptIn,
    PasswordChangeIn,
    RecoveryCodesOut,
    ResetCompleteIn,
    ResetRequestIn,
    UserPublic,
)
from services.identity.users import view_user
from services.identity.views import user_public
from shared.auth import CurrentPrincipal
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(tags=["account"])

LINK_REFUSED = HTTPException(
    status.HTTP_400_BAD_REQUEST, detail="This link is invalid, used or expired; ask for a new one."
)
RESET_ANSWER = Accepted(
    detail="If an active account uses this address, a reset link is on its way; it is valid for "
    "30 minutes."
)


@router.post(
    "/invitations/accept",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={400: {}, 409: {}, 422: {}},
)
async def accept_invitation(
    body: InvitationAcceptIn, runtime: RuntimeDep, authority: AuthorityDep
) -> None:
    """An invited user chooses their own password with the link's token (TOM-T2c)."""
    try:
        await accounts.accept_invitation(
            sessions=runtime.sessions,
            authority=authority,
            secret=body.token,
            password=body.password,
        )
    except accounts.LinkRefused:
        raise LINK_REFUSED from None
    except accounts.AddressHoldsAccount:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="This address already has a pactum account in another organisation; the "
            "invitation stays open. Ask the organisation that invited you to use another address, "
            "or have your account removed first.",
        ) from None
    except IdentityRuleBroken as error:
        raise HTTPException(422, detail=str(error)) from None


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def request_reset(body: ResetRequestIn, request: Request) -> Accepted:
    """Ask for a reset link by e-mail; the answer is the same whether the account exists or not,
    and so is the work done before it: the request is queued, looked at after the answer."""
    resets: ResetRequests = request.app.state.resets
    resets.submit(body.email)
    return RESET_ANSWER


@router.post(
    "/password-reset/complete", status_code=status.HTTP_204_NO_CONTENT, responses={400: {}, 422: {}}
)
async def complete_reset(
    body: ResetCompleteIn, runtime: RuntimeDep, authority: AuthorityDep
) -> None:
    """Choose a new password with the link's token; every session ends (TOM-T2d)."""
    try:
        await accounts.complete_reset(
            sessions=runtime.sessions,
            authority=authority,
            secret=body.token,
            password=body.password,
        )
    except accounts.LinkRefused:
        raise LINK_REFUSED from None
    except IdentityRuleBroken as error:
        raise HTTPException(422, detail=str(error)) from None


@router.get("/me", response_model=UserPublic)
async def me(
    principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> UserPublic:
    """The caller's own account (the read is audited like any other)."""
    async with session.begin():
        user = await own_user(session, principal)
    user = await view_user(
        session=session, authority=authority, principal=principal, user_id=user.id
    )
    return user_public(user)


@router.post("/me/password", responses={400: {}, 422: {}})
async def change_password(
    body: PasswordChangeIn,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    session: SessionDep,
    authority: AuthorityDep,
) -> dict[str, int]:
    """Change one's password, proving the current one; optionally end the other sessions."""
    async with session.begin():
        user = await own_user(session, principal)
    try:
        ended = await accounts.change_password(
            sessions=runtime.sessions,
            authority=authority,
            user=user,
            current=body.current_password,
            new=body.new_password,
            session_id=principal.session_id,
            end_other_sessions=body.end_other_sessions,
        )
    except accounts.CurrentPasswordWrong:
        raise HTTPException(400, detail="The current password is not correct.") from None
    except IdentityRuleBroken as error:
        raise HTTPException(422, detail=str(error)) from None
    return {"other_sessions_ended": ended}


@router.post("/me/mfa/totp", response_model=EnrolmentOut, responses={409: {}})
async def begin_totp(
    principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> EnrolmentOut:
    """Start TOTP enrolment: a secret, its otpauth:// URI and a QR code (SVG)."""
    async with session.begin():
        user = await own_user(session, principal)
        if user.mfa_enrolled_at is not None:
            raise HTTPException(
                409, detail="A second factor is already set up; an admin can reset it."
            )
        enrolment = await mfa.begin_enrolment(session=session, authority=authority, user=user)
    return EnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_svg=enrolment.qr_svg)


@router.post("/me/mfa/totp/confirm", response_model=RecoveryCodesOut, responses={409: {}, 422: {}})
async def confirm_totp(
    body: ConfirmIn, principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> RecoveryCodesOut:
    """Confirm with a first code; answers ten single-use recovery codes, shown only this once."""
    try:
        async with session.begin():
            user = await own_user(session, principal)
            if user.mfa_enrolled_at is not None:
                raise HTTPException(409, detail="A second factor is already set up.")
            codes = await mfa.confirm_enrolment(
                session=session,
                authority=authority,
                user=user,
                code=body.code,
                actor=principal.actor,
            )
    except mfa.SecondFactorRefused as error:
        raise HTTPException(422, detail=str(error)) from None
    return RecoveryCodesOut(recovery_codes=codes)


@router.post("/me/mfa/recovery-codes", response_model=RecoveryCodesOut, responses={409: {}})
async def new_recovery_codes(
    principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> RecoveryCodesOut:
    """Replace the recovery codes (the old ones stop working)."""
    async with session.begin():
        user = await own_user(session, principal)
        if user.mfa_enrolled_at is None:
            raise HTTPException(409, detail="Set up a second factor first.")
        codes = await mfa.issue_recovery_codes(
            session=session, authority=authority, user=user, actor=principal.actor
        )
    return RecoveryCodesOut(recovery_codes=codes)
