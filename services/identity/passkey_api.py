"""HTTP routes for passkeys (WebAuthn): one's own, and signing in with one. Thin: parse, call,
map errors. The options are WebAuthn's JSON, handed to ``navigator.credentials`` as they are."""

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, status

from services.identity import login, passkeys
from services.identity.access import RecordRefused
from services.identity.api import LOGIN_FAILED, AuthorityDep, _tokens
from services.identity.domain import IdentityRuleBroken
from services.identity.errors import STEP_UP_RESPONSE
from services.identity.schemas import (
    PasskeyEnrolIn,
    PasskeyEnrolOptionsIn,
    PasskeyList,
    PasskeyNameIn,
    PasskeyOptionsIn,
    PasskeyPublic,
    PasskeyRegisteredOut,
    PasskeyRegisterIn,
    PasskeySignInIn,
    TokensOut,
)
from shared.auth import CurrentPrincipal, Principal
from shared.request import client_address
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(tags=["passkeys"])

PASSKEY_REFUSED = HTTPException(
    status.HTTP_400_BAD_REQUEST,
    detail="The passkey could not be verified; start again (the request may have expired).",
)


def _not_found(principal: Principal, passkey_id: uuid.UUID) -> RecordRefused:
    """Another user's passkey is none at all; another organisation's log has the attempt."""
    return RecordRefused(
        principal=principal, record="passkey", record_id=passkey_id, detail="Passkey not found"
    )


@router.post("/me/passkeys/options", responses=STEP_UP_RESPONSE)
async def registration_options(
    principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> dict[str, Any]:
    """Options for ``navigator.credentials.create``: a fresh challenge (valid for the configured
    timeout, once), user verification required, the caller's passkeys excluded. A user who has a
    second factor already needs a recent authentication (step-up)."""
    return await passkeys.own_registration_options(
        session=session, authority=authority, principal=principal
    )


@router.post(
    "/me/passkeys",
    status_code=status.HTTP_201_CREATED,
    response_model=PasskeyRegisteredOut,
    responses={400: {}, 422: {}, **STEP_UP_RESPONSE},
)
async def register(
    body: PasskeyRegisterIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    authority: AuthorityDep,
) -> PasskeyRegisteredOut:
    """Register a passkey with the browser's answer; a first second factor comes with ten
    recovery codes, shown this once."""
    try:
        registered = await passkeys.register_own(
            session=session,
            authority=authority,
            principal=principal,
            credential=body.credential,
            name=body.name,
        )
    except passkeys.PasskeyRefused:
        raise PASSKEY_REFUSED from None
    except IdentityRuleBroken as error:
        raise HTTPException(422, detail=str(error)) from None
    return PasskeyRegisteredOut(
        passkey=PasskeyPublic.model_validate(registered.passkey),
        recovery_codes=registered.recovery_codes,
    )


@router.get("/me/passkeys", response_model=PasskeyList)
async def my_passkeys(
    principal: CurrentPrincipal, session: SessionDep, authority: AuthorityDep
) -> PasskeyList:
    """The caller's passkeys (the read is audited)."""
    found = await passkeys.own_passkeys(session=session, authority=authority, principal=principal)
    return PasskeyList(items=[PasskeyPublic.model_validate(p) for p in found])


@router.patch("/me/passkeys/{passkey_id}", response_model=PasskeyPublic, responses={404: {}})
async def rename_passkey(
    passkey_id: uuid.UUID,
    body: PasskeyNameIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    authority: AuthorityDep,
) -> PasskeyPublic:
    try:
        passkey = await passkeys.rename_own(
            session=session,
            authority=authority,
            principal=principal,
            passkey_id=passkey_id,
            name=body.name,
        )
    except passkeys.PasskeyNotFound:
        raise _not_found(principal, passkey_id) from None
    except IdentityRuleBroken as error:
        raise HTTPException(422, detail=str(error)) from None
    return PasskeyPublic.model_validate(passkey)


@router.delete(
    "/me/passkeys/{passkey_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        404: {},
        409: {"description": "The organisation requires this second factor."},
        **STEP_UP_RESPONSE,
    },
)
async def remove_passkey(
    passkey_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    authority: AuthorityDep,
) -> None:
    try:
        await passkeys.remove_own(
            session=session, authority=authority, principal=principal, passkey_id=passkey_id
        )
    except passkeys.PasskeyNotFound:
        raise _not_found(principal, passkey_id) from None
    except IdentityRuleBroken as error:
        raise HTTPException(409, detail=str(error)) from None


@router.post("/login/passkey/options", responses={401: {}})
async def sign_in_options(
    body: PasskeyOptionsIn, runtime: RuntimeDep, authority: AuthorityDep
) -> dict[str, Any]:
    """Options for ``navigator.credentials.get``: with a login challenge, for the second factor
    (the user's passkeys named); without, for a passwordless sign-in."""
    try:
        if body.challenge is None:
            return await passkeys.sign_in_options(sessions=runtime.sessions, authority=authority)
        return await passkeys.second_factor_options(
            sessions=runtime.sessions, authority=authority, challenge_secret=body.challenge
        )
    except login.LoginRefused:
        raise LOGIN_FAILED from None


@router.post("/login/passkey", response_model=TokensOut, responses={401: {}})
async def sign_in(body: PasskeySignInIn, runtime: RuntimeDep, authority: AuthorityDep) -> TokensOut:
    """Sign in with a passkey: after the password (with its challenge: amr pwd, hwk), or without
    one where the organisation allows it (amr hwk, mfa). Every refusal is the same 401."""
    try:
        if body.challenge is None:
            tokens = await passkeys.sign_in(
                sessions=runtime.sessions,
                authority=authority,
                credential=body.credential,
                address=client_address.get(),
            )
        else:
            tokens = await passkeys.second_factor(
                sessions=runtime.sessions,
                authority=authority,
                challenge_secret=body.challenge,
                credential=body.credential,
                address=client_address.get(),
            )
    except login.LoginRefused:
        raise LOGIN_FAILED from None
    return _tokens(tokens)


@router.post("/login/enrolment/passkey/options", responses={401: {}})
async def enrolment_options(
    body: PasskeyEnrolOptionsIn, runtime: RuntimeDep, authority: AuthorityDep
) -> dict[str, Any]:
    """The organisation requires a second factor (or a passkey) the user lacks: options to
    register a passkey now, before the login ends."""
    try:
        return await passkeys.enrol_options(
            sessions=runtime.sessions, authority=authority, challenge_secret=body.challenge
        )
    except login.LoginRefused:
        raise LOGIN_FAILED from None


@router.post(
    "/login/enrolment/passkey", response_model=TokensOut, responses={400: {}, 401: {}, 422: {}}
)
async def enrol(body: PasskeyEnrolIn, runtime: RuntimeDep, authority: AuthorityDep) -> TokensOut:
    """Register the passkey and finish the login with it (recovery codes with a first factor)."""
    try:
        tokens, codes = await passkeys.enrol_during_login(
            sessions=runtime.sessions,
            authority=authority,
            challenge_secret=body.challenge,
            credential=body.credential,
            name=body.name,
        )
    except login.LoginRefused:
        raise LOGIN_FAILED from None
    except passkeys.PasskeyRefused:
        raise PASSKEY_REFUSED from None
    except IdentityRuleBroken as error:
        raise HTTPException(422, detail=str(error)) from None
    return _tokens(tokens, codes or None)
