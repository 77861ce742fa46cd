"""HTTP routes of an agreement's lifecycle: parse, call a use case; errors map in ``errors``."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status

from services.agreements.access import Admin, Reader
from services.agreements.lifecycle import privacy_notices, service, signing
from services.agreements.lifecycle.schemas import (
    AgreementCreate,
    AgreementList,
    AgreementPublic,
    AmendmentCreate,
    DraftUpdate,
    PrivacyNoticeAnswer,
    PrivacyNoticeCreate,
    PrivacyNoticeList,
    PrivacyNoticePublic,
    SignatureCreate,
    Termination,
    VersionList,
)
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/agreements", tags=["agreements"])


def _register(request: Request) -> signing.SubprocessorRegister:
    register: signing.SubprocessorRegister = request.app.state.subprocessor_register
    return register


RegisterDep = Annotated[signing.SubprocessorRegister, Depends(_register)]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such agreement for your organisation."}
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The agreement's state does not allow this step."}
}


# 422 (already documented for every route): the caller's kind does not fit its party, or
# counterparty_id is not an organisation that can be the other party.
PARTIES_CHECKED: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Your organisation is not known to the agreements service yet (identity's "
        "event about it is not consumed yet): try again shortly.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}},
    },
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AgreementPublic,
    responses=PARTIES_CHECKED,
)
async def create_agreement(
    body: AgreementCreate, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> AgreementPublic:
    """Create a draft agreement; the caller states which party its organisation is.

    Both parties are checked against the organisations identity created: the caller's
    organisation must be of the kind of the stated party, the counterparty (if given) a known
    organisation of the other kind.
    """
    return await service.create_agreement(
        session=session, outbox=runtime.outbox, principal=principal, draft=body
    )


@router.get("", response_model=AgreementList)
async def list_agreements(
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> AgreementList:
    """List the agreements the caller's organisation is a party to, newest first, a page at a
    time (``next_cursor``)."""
    return await service.list_agreements(
        session=session, outbox=runtime.outbox, principal=principal, limit=limit, cursor=cursor
    )


@router.get("/{agreement_id}", response_model=AgreementPublic, responses=NOT_FOUND)
async def read_agreement(
    agreement_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> AgreementPublic:
    """Read one agreement the caller's organisation is a party to; the read is audited."""
    return await service.read_agreement(
        session=session, outbox=runtime.outbox, principal=principal, agreement_id=agreement_id
    )


@router.patch("/{agreement_id}", response_model=AgreementPublic, responses=NOT_FOUND | CONFLICT)
async def update_draft(
    agreement_id: uuid.UUID,
    body: DraftUpdate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AgreementPublic:
    """Edit a draft nobody signed yet; signed agreements change only by amendment."""
    return await service.update_draft(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        change=body,
    )


@router.post(
    "/{agreement_id}/signatures", response_model=AgreementPublic, responses=NOT_FOUND | CONFLICT
)
async def sign(
    agreement_id: uuid.UUID,
    body: SignatureCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
    register: RegisterDep,
) -> AgreementPublic:
    """Sign, for the caller's party, the version awaiting signature (draft or amendment).

    The signature block records the place, the signer's name and capacity (DPA-20). The first
    signature of version 1 fixes the processor's subprocessor list into its text.
    """
    return await signing.sign(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        block=body,
        register=register,
    )


@router.post(
    "/{agreement_id}/activation", response_model=AgreementPublic, responses=NOT_FOUND | CONFLICT
)
async def activate(
    agreement_id: uuid.UUID, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> AgreementPublic:
    """Put an agreement both parties signed into effect: processing starts. Where the processor
    submitted a privacy notice, the controller must have approved its newest version (DPA-10)."""
    return await service.change_status(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        action="activate",
    )


@router.post(
    "/{agreement_id}/termination", response_model=AgreementPublic, responses=NOT_FOUND | CONFLICT
)
async def terminate(
    agreement_id: uuid.UUID,
    body: Termination,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AgreementPublic:
    """End the processing; return or destruction of the data follows (DPA-13)."""
    return await service.change_status(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        action="terminate",
        reason=body.reason,
    )


@router.post(
    "/{agreement_id}/amendments",
    status_code=status.HTTP_201_CREATED,
    response_model=AgreementPublic,
    responses=NOT_FOUND | CONFLICT,
)
async def propose_amendment(
    agreement_id: uuid.UUID,
    body: AmendmentCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AgreementPublic:
    """Propose a new version; it comes into force once both parties signed it."""
    return await signing.propose_amendment(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        amendment=body,
    )


@router.post(
    "/{agreement_id}/amendments/{number}/withdrawal",
    response_model=AgreementPublic,
    responses=NOT_FOUND | CONFLICT,
)
async def withdraw_amendment(
    agreement_id: uuid.UUID,
    number: Annotated[int, Path(ge=2, le=100_000)],
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AgreementPublic:
    """Withdraw (proposer) or decline (other party) an amendment awaiting signatures."""
    return await signing.withdraw_amendment(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        number=number,
    )


@router.get("/{agreement_id}/versions", response_model=VersionList, responses=NOT_FOUND)
async def list_versions(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    register: RegisterDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> VersionList:
    """Every version with who signed it and when, oldest first, a page at a time
    (``next_cursor``); nothing signed is ever overwritten."""
    return await signing.list_versions(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        register=register,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/{agreement_id}/privacy-notices",
    status_code=status.HTTP_201_CREATED,
    response_model=PrivacyNoticePublic,
    responses=NOT_FOUND | CONFLICT,
)
async def submit_privacy_notice(
    agreement_id: uuid.UUID,
    body: PrivacyNoticeCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> PrivacyNoticePublic:
    """As processor: submit the privacy notice for the data subjects you collect data from to
    the controller, before processing starts (DPA-10); a new version after a comment."""
    return await privacy_notices.submit(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        body=body,
    )


@router.post(
    "/{agreement_id}/privacy-notices/{notice_id}/answer",
    response_model=PrivacyNoticePublic,
    responses=NOT_FOUND | CONFLICT,
)
async def answer_privacy_notice(
    agreement_id: uuid.UUID,
    notice_id: uuid.UUID,
    body: PrivacyNoticeAnswer,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> PrivacyNoticePublic:
    """As controller: approve the newest version of the privacy notice, or comment on it; the
    agreement is activated (processing starts) only after approval (DPA-10)."""
    return await privacy_notices.answer(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        notice_id=notice_id,
        body=body,
    )


@router.get(
    "/{agreement_id}/privacy-notices", response_model=PrivacyNoticeList, responses=NOT_FOUND
)
async def list_privacy_notices(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> PrivacyNoticeList:
    """Every version of the privacy notice with the controller's answers, newest first."""
    return await privacy_notices.history(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        limit=limit,
        cursor=cursor,
    )
