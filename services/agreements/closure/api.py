"""HTTP routes of evidence and the end of processing: compliance report, record of processing,
export (return), closure with certificate, and the certificate key."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from services.agreements.access import Admin, Reader
from services.agreements.closure import attestation, report, service
from services.agreements.closure.certificates import CertificateKey
from services.agreements.closure.schemas import (
    AttestationCreate,
    AttestationPublic,
    CertificatePublic,
    Closure,
    ClosureState,
)
from shared.runtime import RuntimeDep, SessionDep

router = APIRouter(tags=["termination"])


def _key(request: Request) -> CertificateKey:
    key: CertificateKey = request.app.state.certificate_key
    return key


KeyDep = Annotated[CertificateKey, Depends(_key)]


@router.get(
    "/agreements/{agreement_id}/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
async def export(
    agreement_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """As controller: everything held for the agreement, JSON and CSV with a SHA-256 manifest."""
    data, digest = await service.export(
        session=session, outbox=runtime.outbox, principal=principal, agreement_id=agreement_id
    )
    return Response(
        content=data,
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="agreement-{agreement_id}.zip"',
            "x-archive-sha256": digest,
        },
    )


@router.post("/agreements/{agreement_id}/closure", response_model=CertificatePublic)
async def close(
    agreement_id: uuid.UUID,
    body: Closure,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
    key: KeyDep,
) -> CertificatePublic:
    """As controller of a terminated agreement: choose return or destruction (DPA-13)."""
    return await service.close(
        session=session,
        outbox=runtime.outbox,
        key=key,
        principal=principal,
        agreement_id=agreement_id,
        body=body,
    )


@router.get("/agreements/{agreement_id}/certificate", response_model=CertificatePublic)
async def read_certificate(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    key: KeyDep,
) -> CertificatePublic:
    """The signed destruction certificate, with the public key to verify it."""
    return await service.certificate(
        session=session,
        outbox=runtime.outbox,
        key=key,
        principal=principal,
        agreement_id=agreement_id,
    )


async def _certificate_files(
    agreement_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    key: KeyDep,
) -> tuple[bytes, bytes]:
    return await service.certificate_files(
        session=session,
        outbox=runtime.outbox,
        key=key,
        principal=principal,
        agreement_id=agreement_id,
    )


CertificateFiles = Annotated[tuple[bytes, bytes], Depends(_certificate_files)]


@router.get(
    "/agreements/{agreement_id}/certificate/statement.json",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
async def certificate_statement(files: CertificateFiles) -> Response:
    """The certificate's statement, byte for byte as signed (for ``openssl pkeyutl -rawin``)."""
    return Response(content=files[0], media_type="application/json")


@router.get(
    "/agreements/{agreement_id}/certificate/signature.bin",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def certificate_signature(files: CertificateFiles) -> Response:
    """The certificate's raw 64-byte Ed25519 signature (for ``openssl pkeyutl -sigfile``)."""
    return Response(content=files[1], media_type="application/octet-stream")


@router.post(
    "/agreements/{agreement_id}/destruction-attestation",
    response_model=AttestationPublic,
    status_code=201,
)
async def attest(
    agreement_id: uuid.UUID,
    body: AttestationCreate,
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
    key: KeyDep,
) -> AttestationPublic:
    """As processor's admin: attest what you destroyed or returned on your own systems and
    backups; your name and role come from your session (DPA-13, DPA-4b)."""
    return await attestation.attest(
        session=session,
        outbox=runtime.outbox,
        key=key,
        principal=principal,
        agreement_id=agreement_id,
        body=body,
    )


@router.get("/agreements/{agreement_id}/closure", response_model=ClosureState)
async def closure_state(
    agreement_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> ClosureState:
    """Where the end stands: the return-or-destruction deadline, overdue, what it waits for."""
    return await attestation.state(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        agreement_id=agreement_id,
        days=getattr(runtime.settings, "closure_days", 30),
    )


@router.get("/certificate-keys")
async def certificate_keys(key: KeyDep) -> dict[str, list[dict[str, str]]]:
    """The public keys that sign destruction certificates (JWK set), for offline checks."""
    return {"keys": [key.public_jwk]}


@router.get(
    "/certificate-keys/current.pem",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}},
)
async def certificate_key_pem(key: KeyDep) -> Response:
    """The public key that signs certificates now, as PEM (for ``openssl pkeyutl -pubin``)."""
    return Response(content=key.public_pem, media_type="application/x-pem-file")


@router.get("/agreements/{agreement_id}/compliance-report")
async def compliance_report(
    agreement_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Everything that evidences compliance, by section, with the requirement IDs (DPA-11)."""
    return await report.compliance_report(
        session=session, outbox=runtime.outbox, principal=principal, agreement_id=agreement_id
    )


@router.get("/processing-record")
async def processing_record(
    principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """As processor: what you process for each controller (art. 30(2) GDPR)."""
    return await report.processing_record(
        session=session, outbox=runtime.outbox, principal=principal
    )
