"""The processor's part of the end (DPA-13, DPA-4b): a named admin of the processor attests, in
their own session, what the processor destroyed or returned on its own systems and backups.
Pactum adds its own part (its rows, the archive) and signs the whole into the certificate; the
controller sees it. Where the end stands (its deadline, what it waits for) is read here too."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain
from services.agreements.access import find, record_read, require, tenant_of
from services.agreements.closure import rules
from services.agreements.closure import store as ends
from services.agreements.closure.certificates import CertificateKey
from services.agreements.closure.schemas import (
    AttestationCreate,
    AttestationPublic,
    ClosureState,
)
from services.agreements.closure.store import Attestation, Certificate
from services.agreements.commitments import store as records
from services.agreements.domain import AgreementRuleBroken, Party
from services.agreements.lifecycle import store as agreements
from services.agreements.lifecycle.store import Agreement
from shared.auth import Principal
from shared.event_types.agreements import DESTRUCTION_ATTESTATION_SIGNED
from shared.events.contracts.agreements import DestructionAttested
from shared.moments import as_utc
from shared.outbox import Outbox


def part_of(row: Attestation) -> dict[str, Any]:
    """The processor's part as it stands in the signed statement."""
    return {
        "attested_by": {
            "user_id": row.attested_by,
            "name": row.attested_name,
            "role": row.attested_role,
        },
        "attested_at": as_utc(row.attested_at).isoformat(),
        "items": row.items,
    }


def _attester(principal: Principal) -> tuple[str, str]:
    """The attester's name and role, from the session (never from the body)."""
    if not principal.display_name:
        raise AgreementRuleBroken(
            "your session carries no name: sign in again so the attestation names you"
        )
    return principal.display_name, "admin"


async def attest(
    *,
    session: AsyncSession,
    outbox: Outbox,
    key: CertificateKey,
    principal: Principal,
    agreement_id: uuid.UUID,
    body: AttestationCreate,
) -> AttestationPublic:
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id, lock=True)
        require(agreement, principal, Party.processor)
        if agreement.status not in domain.ENDED or agreement.terminated_at is None:
            raise domain.StateConflict("attest only after the agreement was terminated")
        if await ends.attestation_of(session=session, agreement_id=agreement.id):
            raise domain.StateConflict("the processor already attested the end of this agreement")
        name, role = _attester(principal)
        rules.check_attestation(
            [rules.AttestedItem(**item.model_dump()) for item in body.items],
            terminated_at=agreement.terminated_at,
            now=now,
        )
        row = Attestation(
            agreement_id=agreement.id,
            items=[item.model_dump(mode="json") for item in body.items],
            attested_by=principal.user_id,
            attested_name=name,
            attested_role=role,
            attested_at=now,
        )
        session.add(row)
        await session.flush()
        certificate_id = await _sign_into_certificate(session, key, agreement, row, now)
        backups = [item.backup_expires_at for item in body.items if item.backup_expires_at]
        assert agreement.controller_id is not None
        assert agreement.processor_id is not None
        outbox.add(
            session,
            type=DESTRUCTION_ATTESTATION_SIGNED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=DestructionAttested(
                agreement_id=agreement.id,
                attestation_id=row.id,
                controller_id=agreement.controller_id,
                processor_id=agreement.processor_id,
                items=len(body.items),
                backups=len(backups),
                backups_expire_by=max(backups) if backups else None,
                certificate_id=certificate_id,
            ),
        )
        return AttestationPublic.model_validate(row)


async def _sign_into_certificate(
    session: AsyncSession,
    key: CertificateKey,
    agreement: Agreement,
    row: Attestation,
    now: datetime,
) -> uuid.UUID | None:
    """Once the controller closed the agreement, pactum signs the whole anew: its own part and
    the processor's. Before that, the attestation waits for the closure, which signs it in."""
    found = await records.of_agreement(Certificate, session=session, agreement_id=agreement.id)
    if not found:
        return None
    certificate = found[0]
    statement = dict(certificate.statement) | {
        "processor_attestation": part_of(row),
        "issued_at": now.isoformat(),
    }
    certificate.statement = statement  # a new dict, so the JSON column sees the change
    certificate.signature = key.sign(statement)
    certificate.key_id = key.key_id
    certificate.issued_at = now
    return certificate.id


async def state(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    days: int,
) -> ClosureState:
    """Where the end stands, for either party: deadline, overdue, what it waits for."""
    now = datetime.now(UTC)
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        row = await ends.attestation_of(session=session, agreement_id=agreement.id)
        record_read(
            session,
            outbox,
            principal,
            agreement,
            record="closure",
            record_ids=[row.id] if row else [],
        )
        terminated = as_utc(agreement.terminated_at) if agreement.terminated_at else None
        if terminated is None:
            return ClosureState(
                agreement_id=agreement.id,
                terminated_at=None,
                due_at=None,
                overdue=False,
                outstanding=[],
                attestation=None,
            )
        marks = await ends.deadline_of(session=session, agreement_id=agreement.id)
        if marks:
            due = as_utc(marks.due_at)
        else:
            in_force = await agreements.version(
                session=session, agreement_id=agreement.id, number=agreement.version
            )
            assert in_force is not None
            period = rules.period_days(terms=in_force.terms, default=days)
            due = rules.closure_deadline(terminated_at=terminated, days=period)
        waiting = rules.outstanding(
            closed=agreement.status == domain.AgreementStatus.closed, attested=row is not None
        )
        return ClosureState(
            agreement_id=agreement.id,
            terminated_at=terminated,
            due_at=due,
            overdue=rules.overdue(deadline=due, now=now, waiting=waiting)
            or bool(waiting and marks and marks.passed_at),
            outstanding=[str(item) for item in waiting],
            attestation=AttestationPublic.model_validate(row) if row else None,
        )
