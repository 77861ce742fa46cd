"""HTTP routes for signing in: keys, login steps, sessions. Thin: parse, call, map errors."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse

from services.identity import login, mfa, sessions
from services.identity.access import RecordRefused
from services.identity.authority import Authority
from services.identity.schemas import (
    ChallengeOut,
    EnrolmentIn,
    EnrolmentOut,
    LoginIn,
    RefreshIn,
    SecondFactorIn,
    SessionList,
    SessionPublic,
    TokensOut,
)
from shared.auth import CurrentPrincipal
from shared.request import client_address
from shared.runtime import RuntimeDep, SessionDep


async def authority_of(request: Request) -> Authority:
    """Async on purpose: FastAPI runs a plain ``def`` dependency in its thread pool."""
    authority: Authority = request.app.state.authority
    return authority


AuthorityDep = Annotated[Authority, Depends(authority_of)]

# One answer for wrong, unknown, locked and disabled (ASVS 6.3.8).
LOGIN_FAILED = HTTPException(
    status.HTTP_401_UNAUTHORIZED,
    detail="Login failed: check your e-mail address, password and code, or try again later.",
)
THROTTLED = HTTPException(
    status.HTTP_429_TOO_MANY_REQUESTS,
    detail="Too many failed attempts from your address; try again later.",
    headers={"Retry-After": "60"},
)

router = APIRouter(tags=["sign-in"])


@router.get("/.well-known/jwks.json", summary="The public keys that verify access tokens.")
async def jwks(authority: AuthorityDep) -> Response:
    return JSONResponse(authority.jwks(), headers={"cache-control": "public, max-age=300"})


def _tokens(tokens: sessions.Tokens, codes: list[str] | None = None) -> TokensOut:
    return TokensOut(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        session_id=tokens.session_id,
        methods=list(tokens.methods),
        recovery_codes=codes,
    )


@router.post(
    "/login",
    response_model=TokensOut | ChallengeOut,
    responses={401: {"description": "Login failed (always the same answer)."}, 429: {}},
)
async def password_login(
    body: LoginIn, runtime: RuntimeDep, authority: AuthorityDep
) -> TokensOut | ChallengeOut:
    """First step: e-mail and password. Answers tokens, or the next step's challenge."""
    try:
        result = await login.password_login(
            sessions=runtime.sessions,
            authority=authority,
            email=body.email,
            password=body.password,
            address=client_address.get(),
        )
    except login.Throttled:
        raise THROTTLED from None
    except login.LoginRefused:
        raise LOGIN_FAILED from None
    return login_answer(result)


def login_answer(result: sessions.Tokens | login.Pending) -> TokensOut | ChallengeOut:
    """Tokens, or the challenge of the step still due (the password's or a provider's)."""
    if isinstance(result, login.Pending):
        return ChallengeOut(
            challenge=result.challenge,
            next=result.next,
            methods=list(result.methods),
            factors=list(result.factors),
        )
    return _tokens(result)


@router.post("/login/second-factor", response_model=TokensOut, responses={401: {}})
async def second_factor(
    body: SecondFactorIn, runtime: RuntimeDep, authority: AuthorityDep
) -> TokensOut:
    """Second step: a TOTP code, or one of the recovery codes."""
    if (body.code is None) == (body.recovery_code is None):
        raise HTTPException(422, detail="send either code or recovery_code")
    try:
        tokens = await mfa.second_factor(
            sessions=runtime.sessions,
            authority=authority,
            challenge_secret=body.challenge,
            code=body.code,
            recovery_code=body.recovery_code,
            address=client_address.get(),
        )
    except login.LoginRefused:
        raise LOGIN_FAILED from None
    return _tokens(tokens)


@router.post(
    "/login/enrolment", response_model=EnrolmentOut | TokensOut, responses={401: {}, 422: {}}
)
async def enrol_during_login(
    body: EnrolmentIn, runtime: RuntimeDep, authority: AuthorityDep
) -> EnrolmentOut | TokensOut:
    """When the organisation requires a second factor: without code, start; with code, finish."""
    try:
        result = await mfa.enrol_during_login(
            sessions=runtime.sessions,
            authority=authority,
            challenge_secret=body.challenge,
            code=body.code,
        )
    except login.LoginRefused:
        raise LOGIN_FAILED from None
    except mfa.SecondFactorRefused as error:
        raise HTTPException(422, detail=str(error)) from None
    if isinstance(result, mfa.Enrolment):
        return EnrolmentOut(secret=result.secret, otpauth_uri=result.uri, qr_svg=result.qr_svg)
    tokens, codes = result
    return _tokens(tokens, codes)


@router.post("/sessions/refresh", response_model=TokensOut, responses={401: {}})
async def refresh(body: RefreshIn, runtime: RuntimeDep, authority: AuthorityDep) -> TokensOut:
    """Rotate the refresh token; a used one presented again ends the whole session."""
    try:
        tokens = await sessions.refresh(
            sessions=runtime.sessions, authority=authority, presented=body.refresh_token
        )
    except sessions.RefreshRefused:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Not authenticated") from None
    return _tokens(tokens)


@router.post("/sessions/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep) -> None:
    """End the caller's session; every service refuses its tokens from now on."""
    await sessions.log_out(session=session, authority=authority, principal=principal)


@router.get("/me/sessions", response_model=SessionList)
async def my_sessions(
    principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> SessionList:
    """The caller's live sessions (their devices); the current one is marked."""
    found = await sessions.own_sessions(session=session, authority=authority, principal=principal)
    return SessionList(
        items=[
            SessionPublic(
                id=login.id,
                methods=login.methods.split(","),
                created_at=login.created_at,
                expires_at=login.expires_at,
                current=str(login.id) == principal.session_id,
            )
            for login in found
        ]
    )


@router.delete(
    "/me/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "No such live session of yours."}},
)
async def end_my_session(
    session_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    authority: AuthorityDep,
) -> None:
    """End one of the caller's sessions (a lost or forgotten device), everywhere at once."""
    ended = await sessions.end_own_session(
        session=session, authority=authority, principal=principal, session_id=session_id
    )
    if not ended:  # not the caller's: another organisation's log has the attempt (TOM-T3c)
        raise RecordRefused(
            principal=principal, record="session", record_id=session_id, detail="Session not found"
        )
