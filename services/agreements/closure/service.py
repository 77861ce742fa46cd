"""The end of processing (DPA-13, DPA-4b): the controller takes its data back (the export) or
has it destroyed; either way the personal data held for the agreement is then destroyed, except
what a legal hold keeps, and a signed certificate says what, when, by whom and what was kept."""

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.agreements import domain
from services.agreements.access import find, record_read, require, tenant_of
from services.agreements.assistance import store as assistance_store
from services.agreements.closure import archive, attestation, holdings
from services.agreements.closure import store as ends
from services.agreements.closure.certificates import CertificateKey, canonical, signature_bytes
from services.agreements.closure.schemas import CertificatePublic, Closure
from services.agreements.closure.store import Certificate, Export
from services.agreements.commitments import store as records
from services.agreements.commitments.store import Disclosure, Instruction, StaffMember
from services.agreements.domain import Party
from services.agreements.lifecycle.store import Agreement
from shared.auth import Principal
from shared.event_types.agreements import AGREEMENT_CLOSED, AGREEMENT_EXPORTED
from shared.events.contracts.agreements import AgreementClosed, AgreementExported
from shared.moments import as_utc
from shared.outbox import Outbox

DESTROYED = "[destroyed]"


async def export(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, agreement_id: uuid.UUID
) -> tuple[bytes, str]:
    """The archive of everything held for the agreement; the export itself is evidenced."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        require(agreement, principal, Party.controller)
        content = await holdings.everything(session, agreement)
        data = archive.build(
            content,
            header={
                "agreement_id": str(agreement.id),
                "exported_at": now.isoformat(),
                "exported_by": principal.user_id,
            },
        )
        digest = hashlib.sha256(data).hexdigest()
        session.add(
            Export(
                agreement_id=agreement.id,
                sha256=digest,
                exported_by=principal.user_id,
                exported_at=now,
            )
        )
        outbox.add(
            session,
            type=AGREEMENT_EXPORTED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=AgreementExported(agreement_id=agreement.id, sha256=digest, files=sorted(content)),
        )
    return data, digest


async def _destroy(session: AsyncSession, agreement: Agreement, kept: set[str]) -> dict[str, int]:
    """Delete or blank the personal data held for the agreement; the contract record stays."""
    destroyed: dict[str, int] = {}
    if "staff" not in kept:
        staff = await records.of_agreement(StaffMember, session=session, agreement_id=agreement.id)
        await session.execute(
            delete(StaffMember).where(col(StaffMember.agreement_id) == agreement.id)
        )
        destroyed["staff"] = len(staff)
    if "instructions" not in kept:
        rows = await records.of_agreement(Instruction, session=session, agreement_id=agreement.id)
        for instruction in rows:
            instruction.text = DESTROYED
        destroyed["instructions"] = len(rows)
    if "disclosures" not in kept:
        demands = await records.of_agreement(Disclosure, session=session, agreement_id=agreement.id)
        for demand in demands:
            demand.authority = demand.legal_basis = demand.scope = DESTROYED
            demand.outcome_note = None
        destroyed["disclosures"] = len(demands)
    # Data subjects' requests and the controller's requests may name people (DPA-15, DPA-19).
    subject_requests, assistance_requests = await assistance_store.everything_of(
        session=session, agreement_id=agreement.id
    )
    if "subject_requests" not in kept:
        for request in subject_requests:
            request.summary = DESTROYED
            request.assistance = DESTROYED if request.assistance else None
            request.outcome_note = None
        destroyed["subject_requests"] = len(subject_requests)
    if "assistance_requests" not in kept:
        for asked in assistance_requests:
            asked.question = DESTROYED
            asked.answer = DESTROYED if asked.answer else None
        destroyed["assistance_requests"] = len(assistance_requests)
    # The controller's supervision (DPA-18) names its reviewers; what was found stays.
    if "supervision" not in kept:
        supervised = await holdings.supervision(session, agreement.id)
        for review in supervised.measure_reviews:
            review.reviewer = DESTROYED
        for assessment in supervised.risk_assessments:
            assessment.reviewed_by = DESTROYED
        destroyed["supervision"] = len(supervised.measure_reviews) + len(
            supervised.risk_assessments
        )
    return destroyed


def _statement(
    *,
    certificate_id: uuid.UUID,
    agreement: Agreement,
    body: Closure,
    returned_sha256: str | None,
    destroyed: dict[str, int],
    issued_for: str,
    now: datetime,
    processor_part: dict[str, Any] | None,
) -> dict[str, Any]:
    """What the certificate attests: what was destroyed, what was kept and why, for whom, when;
    pactum's own part (its rows, the archive) and the processor's attestation of its own systems
    and backups (None until a named admin of the processor attests; then signed anew)."""
    return {
        "certificate_id": str(certificate_id),
        "agreement_id": str(agreement.id),
        "controller_id": str(agreement.controller_id),
        "processor_id": str(agreement.processor_id),
        "choice": body.choice,
        "returned_archive_sha256": returned_sha256,
        "destroyed": destroyed,
        "method": "deleted or overwritten in the agreements database",
        "legal_holds": [hold.model_dump() for hold in body.legal_holds],
        "issued_at": now.isoformat(),
        "issued_for": issued_for,
        "issuer": "pactum agreements",
        "processor_attestation": processor_part,
    }


async def close(
    *,
    session: AsyncSession,
    outbox: Outbox,
    key: CertificateKey,
    principal: Principal,
    agreement_id: uuid.UUID,
    body: Closure,
) -> CertificatePublic:
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.controller)
        next_status = domain.step(agreement.status, "close")
        exports = await records.of_agreement(Export, session=session, agreement_id=agreement.id)
        assert agreement.terminated_at is not None
        returned = [e for e in exports if as_utc(e.exported_at) >= as_utc(agreement.terminated_at)]
        if body.choice == "return" and not returned:
            raise domain.StateConflict("take the export first: GET /agreements/{id}/export")
        kept = {hold.what for hold in body.legal_holds}
        destroyed = await _destroy(session, agreement, kept)
        certificate_id = uuid.uuid4()
        attested = await ends.attestation_of(session=session, agreement_id=agreement.id)
        statement = _statement(
            certificate_id=certificate_id,
            agreement=agreement,
            body=body,
            returned_sha256=returned[-1].sha256 if returned else None,
            destroyed=destroyed,
            issued_for=principal.user_id,
            now=now,
            processor_part=attestation.part_of(attested) if attested else None,
        )
        certificate = Certificate(
            id=certificate_id,
            agreement_id=agreement.id,
            statement=statement,
            signature=key.sign(statement),
            key_id=key.key_id,
            issued_at=now,
        )
        session.add(certificate)
        agreement.status = next_status
        outbox.add(
            session,
            type=AGREEMENT_CLOSED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=AgreementClosed(
                agreement_id=agreement.id,
                choice=body.choice,
                certificate_id=certificate_id,
                destroyed=destroyed,
                legal_holds=len(body.legal_holds),
            ),
        )
        view = CertificatePublic.model_validate(certificate)
    view.public_key = key.public_jwk
    return view


async def certificate(
    *,
    session: AsyncSession,
    outbox: Outbox,
    key: CertificateKey,
    principal: Principal,
    agreement_id: uuid.UUID,
) -> CertificatePublic:
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        rows = await records.of_agreement(Certificate, session=session, agreement_id=agreement.id)
        if not rows:
            raise domain.NotFound("Certificate")
        row = rows[0]
        record_read(
            session, outbox, principal, agreement, record="certificate", record_ids=[row.id]
        )
        view = CertificatePublic.model_validate(row)
    view.public_key = key.public_jwk if row.key_id == key.key_id else {}
    return view


async def certificate_files(
    *,
    session: AsyncSession,
    outbox: Outbox,
    key: CertificateKey,
    principal: Principal,
    agreement_id: uuid.UUID,
) -> tuple[bytes, bytes]:
    """The exact bytes that were signed and the raw signature, for ``openssl pkeyutl``."""
    view = await certificate(
        session=session, outbox=outbox, key=key, principal=principal, agreement_id=agreement_id
    )
    return canonical(view.statement), signature_bytes(view.signature)
