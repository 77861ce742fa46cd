"""HTTP routes for one's own account: invitation, password, reset, e-mail address, second
factor."""

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status

from services.identity import accounts, email_changes, login, mfa, step_up
from services.identity.api import AuthorityDep
from services.identity.domain import STEP_UP_MINUTES, IdentityRuleBroken
from services.identity.errors import STEP_UP_RESPONSE
from services.identity.resets import ResetRequests
from services.identity.schemas import (
    Accepted,
    ConfirmIn,
    EmailChangeIn,
    EmailConfirmIn,
    EnrolmentOut,
    InvitationAcceptIn,
    PasswordChangeIn,
    RecoveryCodesOut,
    ResetCompleteIn,
    ResetRequestIn,
    StepUpIn,
    StepUpOut,
    UserPublic,
)
from services.identity.users import view_own_account
from services.identity.views import user_public
from shared.auth import CurrentPrincipal
from shared.request import client_address
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
    resets.submit(body.email, client_address.get())
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
    user = await view_own_account(session=session, authority=authority, principal=principal)
    return user_public(user)


@router.post("/me/password", responses={400: {}, 422: {}, **STEP_UP_RESPONSE})
async def change_password(
    body: PasswordChangeIn,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    authority: AuthorityDep,
) -> dict[str, int]:
    """Change one's password, proving the current one, in a recently authenticated session;
    optionally end the other sessions."""
    try:
        ended = await accounts.change_password(
            sessions=runtime.sessions,
            authority=authority,
            principal=principal,
            current=body.current_password,
            new=body.new_password,
            end_other_sessions=body.end_other_sessions,
        )
    except accounts.CurrentPasswordWrong:
        raise HTTPException(400, detail="The current password is not correct.") from None
    except IdentityRuleBroken as error:
        raise HTTPException(422, detail=str(error)) from None
    return {"other_sessions_ended": ended}


EMAIL_CHANGE_ANSWER = Accepted(
    detail="If the address can be used, a link to confirm it is on its way there; it works once, "
    "within an hour. Until then you sign in with your current address; both addresses are told "
    "when the change is made."
)


@router.post(
    "/me/email",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={422: {}, **STEP_UP_RESPONSE},
)
async def change_email(
    body: EmailChangeIn, principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> Accepted:
    """Ask to sign in with another address, in a recently authenticated session: the change is
    made when the link sent to the new address is used. The answer is the same whether or not
    the address can be used."""
    try:
        await email_changes.request_own_change(
            session=session, authority=authority, principal=principal, email=body.email
        )
    except IdentityRuleBroken as error:
        raise HTTPException(422, detail=str(error)) from None
    return EMAIL_CHANGE_ANSWER


@router.post(
    "/email-change/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={400: {}, 409: {}, 422: {}},
)
async def confirm_email(body: EmailConfirmIn, runtime: RuntimeDep, authority: AuthorityDep) -> None:
    """Use the link mailed to the new address: the account signs in with it from now on; both
    addresses are told."""
    try:
        await email_changes.confirm_change(
            sessions=runtime.sessions, authority=authority, secret=body.token
        )
    except email_changes.ChangeRefused:
        raise LINK_REFUSED from None
    except email_changes.AddressTaken:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="This address cannot be used for your account; ask for the change again with "
            "another one.",
        ) from None


@router.post("/me/mfa/totp", response_model=EnrolmentOut, responses={409: {}})
async def begin_totp(
    principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> EnrolmentOut:
    """Start TOTP enrolment: a secret, its otpauth:// URI and a QR code (SVG)."""
    try:
        enrolment = await mfa.begin_own_enrolment(
            session=session, authority=authority, principal=principal
        )
    except mfa.AlreadyEnrolled:
        raise HTTPException(
            409, detail="A second factor is already set up; an admin can reset it."
        ) from None
    return EnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_svg=enrolment.qr_svg)


@router.post("/me/mfa/totp/confirm", response_model=RecoveryCodesOut, responses={409: {}, 422: {}})
async def confirm_totp(
    body: ConfirmIn, principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> RecoveryCodesOut:
    """Confirm with a first code; answers ten single-use recovery codes, shown only this once."""
    try:
        codes = await mfa.confirm_own_enrolment(
            session=session, authority=authority, principal=principal, code=body.code
        )
    except mfa.AlreadyEnrolled:
        raise HTTPException(409, detail="A second factor is already set up.") from None
    except mfa.SecondFactorRefused as error:
        raise HTTPException(422, detail=str(error)) from None
    return RecoveryCodesOut(recovery_codes=codes)


@router.post(
    "/me/mfa/recovery-codes",
    response_model=RecoveryCodesOut,
    responses={409: {}, **STEP_UP_RESPONSE},
)
async def new_recovery_codes(
    principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> RecoveryCodesOut:
    """Replace the recovery codes (the old ones stop working), in a recently authenticated
    session."""
    try:
        codes = await mfa.renew_recovery_codes(
            session=session, authority=authority, principal=principal
        )
    except mfa.NotEnrolled:
        raise HTTPException(409, detail="Set up a second factor first.") from None
    return RecoveryCodesOut(recovery_codes=codes)


@router.post("/me/step-up/options", responses={401: {}, 409: {}})
async def step_up_options(
    principal: CurrentPrincipal, runtime: RuntimeDep, authority: AuthorityDep
) -> dict[str, Any]:
    """Passkey options for a step-up (``navigator.credentials.get``); 409 without a passkey."""
    try:
        return await step_up.options(
            sessions=runtime.sessions, authority=authority, principal=principal
        )
    except login.LoginRefused:
        raise HTTPException(409, detail="You have no passkey; use a code.") from None


STEP_UP_REFUSED = HTTPException(
    status.HTTP_400_BAD_REQUEST,
    detail="Confirmation failed: check your password and code, or try again later.",
)


@router.post("/me/step-up", response_model=StepUpOut, responses={400: {}, 422: {}})
async def prove_again(
    body: StepUpIn,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    authority: AuthorityDep,
) -> StepUpOut:
    """Prove oneself again in this session: the password, and a second factor (a code, a
    recovery code or a passkey's answer) for a user who has one. For the next few minutes the
    session may make the changes that need it. A refusal (one answer for every reason) counts
    toward the lock like a login."""
    if sum(x is not None for x in (body.code, body.recovery_code, body.credential)) > 1:
        raise HTTPException(422, detail="send at most one of code, recovery_code, credential")
    try:
        methods = await step_up.step_up(
            sessions=runtime.sessions,
            authority=authority,
            principal=principal,
            password=body.password,
            code=body.code,
            recovery_code=body.recovery_code,
            credential=body.credential,
            address=client_address.get(),
        )
    except login.LoginRefused:  # the session stays valid: 400, not 401
        raise STEP_UP_REFUSED from None
    return StepUpOut(methods=methods, valid_minutes=STEP_UP_MINUTES)
