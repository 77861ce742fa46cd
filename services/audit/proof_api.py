"""HTTP routes for tamper evidence: the checkpoint key, signed checkpoints, proofs, verification."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import PlainTextResponse

from services.audit import errors, service
from services.audit.checkpoints import (
    CheckpointSigner,
    latest_checkpoint,
    public_checkpoint,
)
from services.audit.schemas import (
    CheckpointKey,
    CheckpointKeyPeriod,
    CheckpointPublic,
    ConsistencyProof,
    InclusionProof,
    Verification,
)
from services.audit.service import NotFound
from shared.auth import Principal, Role, require_roles
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/audit", tags=["audit: tamper evidence"])

LogReader = Annotated[Principal, Depends(require_roles(Role.admin, Role.auditor))]


def _signer(request: Request) -> CheckpointSigner:
    signer: CheckpointSigner = request.app.state.checkpoint_signer
    return signer


SignerDep = Annotated[CheckpointSigner, Depends(_signer)]


@router.get("/checkpoint-key", response_model=CheckpointKey)
async def checkpoint_key(signer: SignerDep) -> CheckpointKey:
    """The public Ed25519 key that signs checkpoints now, and the retired keys that signed earlier
    ones with their validity periods (pin this document to verify exports offline)."""
    keys = [CheckpointKeyPeriod.model_validate(key.published()) for key in signer.key_ring()]
    current = keys[-1]
    return CheckpointKey(
        key_id=current.key_id,
        public_key=current.public_key,
        valid_from=current.valid_from,
        log_origin=signer.origin,
        note_verifier_key=signer.note_key.text,
        keys=keys,
    )


@router.post("/checkpoints", response_model=CheckpointPublic, status_code=status.HTTP_201_CREATED)
async def sign_checkpoint(
    principal: LogReader, session: SessionDep, signer: SignerDep
) -> CheckpointPublic:
    """Sign the organisation's current tree head now (or return the latest, if unchanged)."""
    signed = await service.sign_checkpoint(session=session, signer=signer, principal=principal)
    return CheckpointPublic.model_validate(public_checkpoint(signed))


@router.get("/checkpoints/latest", response_model=CheckpointPublic)
async def latest(principal: LogReader, session: SessionDep) -> CheckpointPublic:
    """The organisation's newest signed checkpoint."""
    signed = await latest_checkpoint(session, organisation_id=principal.organisation_id)
    if signed is None:
        raise NotFound
    return CheckpointPublic.model_validate(public_checkpoint(signed))


NOTE = "text/plain; charset=utf-8"


@router.get(
    "/organisations/{organisation_id}/checkpoint",
    response_class=PlainTextResponse,
    responses={
        200: {
            "content": {NOTE: {}},
            "description": "The organisation's latest checkpoint as a C2SP signed note.",
        },
        404: {"description": "No checkpoint, or not an organisation the caller may follow."},
        409: {"description": errors.BROKEN_CHECKPOINT},
    },
)
async def latest_note(
    organisation_id: str, principal: LogReader, session: SessionDep, signer: SignerDep
) -> PlainTextResponse:
    """An organisation's latest checkpoint as a C2SP tlog-checkpoint signed note, for itself and
    for the other party of any of its agreements (a controller pins its processor's log)."""
    note = await service.latest_note(
        session=session, signer=signer, principal=principal, organisation_id=organisation_id
    )
    return PlainTextResponse(note, media_type=NOTE)


PROOF_ANSWERS: dict[int | str, dict[str, Any]] = {
    409: {"description": errors.BROKEN_TREE},
}


@router.get("/proofs/inclusion/{log_index}", response_model=InclusionProof, responses=PROOF_ANSWERS)
async def inclusion_proof(
    log_index: int,
    principal: LogReader,
    session: SessionDep,
    runtime: RuntimeDep,
    signer: SignerDep,
) -> InclusionProof:
    """Proof that entry ``log_index`` is in the latest signed tree (RFC 9162 audit path)."""
    if not 0 <= log_index < 2**62:
        raise NotFound
    entry, signed, path = await service.inclusion(
        session=session,
        outbox=runtime.outbox,
        signer=signer,
        principal=principal,
        log_index=log_index,
    )
    return InclusionProof(
        log_index=entry.log_index,
        leaf_hash=entry.leaf_hash,
        tree_size=signed.size,
        path=[step.hex() for step in path],
        checkpoint=CheckpointPublic.model_validate(public_checkpoint(signed)),
    )


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyProof,
    responses={404: {"description": "No signed checkpoint of either size."}, **PROOF_ANSWERS},
)
async def consistency_proof(
    principal: LogReader,
    session: SessionDep,
    runtime: RuntimeDep,
    first: Annotated[int, Query(ge=1, le=2**62, description="Size of the older checkpoint.")],
    second: Annotated[int, Query(ge=1, le=2**62, description="Size of the newer checkpoint.")],
) -> ConsistencyProof:
    """Proof that the older signed tree is a prefix of the newer one (RFC 9162)."""
    if first > second:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="first must be <= second")
    older, newer, path = await service.consistency(
        session=session, outbox=runtime.outbox, principal=principal, first=first, second=second
    )
    return ConsistencyProof(
        first=CheckpointPublic.model_validate(public_checkpoint(older)),
        second=CheckpointPublic.model_validate(public_checkpoint(newer)),
        path=[step.hex() for step in path],
    )


@router.get("/verification", response_model=Verification)
async def verification(
    principal: LogReader, session: SessionDep, runtime: RuntimeDep, signer: SignerDep
) -> Verification:
    """Check the stored log against every signed checkpoint; names the first bad entry (DPA-11)."""
    report, signed = await service.verify(
        session=session, outbox=runtime.outbox, signer=signer, principal=principal
    )
    return Verification(
        valid=report.valid,
        tree_size=report.tree_size,
        entries_checked=report.entries_checked,
        first_bad_position=report.first_bad_position,
        problem=report.problem,
        checkpoint=CheckpointPublic.model_validate(public_checkpoint(signed)) if signed else None,
    )
