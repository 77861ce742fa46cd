"""The demo data for ``make run``: the seed contract between UTOPIA (controller, "het bestuur")
and iBeauty BVBA (processor), as a draft with Annex 1 filled in and Annex 2 stated, ready for
both parties to sign through the API. Idempotent: a fixed id, created once.

The seed also registers the demo organisations in the directory of known organisations, so the
demo works whichever service starts first; identity's events about them, consumed later, change
nothing."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agreements.commitments.store import MeasureRecord
from services.agreements.commitments.tom_catalogue import CATALOGUE
from services.agreements.directory import store as directory
from services.agreements.domain import AgreementStatus, OrganisationKind, Party, VersionStatus
from services.agreements.lifecycle.schemas import Annex1, DataCategory, Terms
from services.agreements.lifecycle.store import Agreement, AgreementVersion
from shared.demo import IBEAUTY_ID, ORGANISATIONS, UTOPIA_ID
from shared.event_types.agreements import AGREEMENT_CREATED
from shared.events import Actor
from shared.events.contracts.agreements import AgreementCreated
from shared.outbox import Outbox

SEED_AGREEMENT_ID = uuid.uuid5(uuid.UUID(UTOPIA_ID), f"verwerkersovereenkomst:{IBEAUTY_ID}")

ANNEX1 = Annex1(
    subject="Beheer van de online afsprakenmodule en klantendossiers van het bestuur",
    duration="Zolang de hoofdovereenkomst tussen UTOPIA en iBeauty BVBA loopt",
    nature="Hosting, opslag, raadpleging, ondersteuning en back-up",
    purpose="Afspraken van burgers plannen en opvolgen in opdracht van het bestuur",
    data_categories=[
        DataCategory(name="identificatiegegevens", retention_days=730),
        DataCategory(name="contactgegevens", retention_days=730),
        DataCategory(name="afspraakgegevens", retention_days=365),
    ],
    data_subject_categories=["burgers", "personeelsleden van het bestuur"],
    legal_basis="AVG art. 6.1(e): taak van algemeen belang van het bestuur",
)

# Measures the platform itself provides, with where the evidence lives; the rest stay planned.
PLATFORM_EVIDENCE = {
    "TOM-T1": "retention sweep of the agreements service (docs/agreements.md)",
    "TOM-T2e": "roles admin, member and auditor enforced per route",
    "TOM-T3a": "every change and read is an event in the append-only audit log",
    "TOM-T3b": "the audit log is readable by the customer's own users",
    "TOM-T3c": "supplier interventions are flagged in the customer's audit log",
    "TOM-T4": "export of everything held per agreement, JSON and CSV with manifest",
    "TOM-O4": "the breach procedure (docs/agreements.md, 'The breach procedure'): reports "
    "notify each affected controller until closure and track both clocks",
}


async def seed_demo_contract(
    *, sessions: async_sessionmaker[AsyncSession], outbox: Outbox, service: str
) -> bool:
    """Create the seed contract unless it exists; returns whether it was created."""
    await directory.register(
        sessions,
        {
            uuid.UUID(organisation_id): (name, OrganisationKind(kind))
            for organisation_id, (name, kind) in ORGANISATIONS.items()
        },
        learnt_from=directory.LearntFrom.demo_seed,
    )
    actor = Actor.system(service)
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        if await session.get(Agreement, SEED_AGREEMENT_ID) is not None:
            return False
        agreement = _seed_agreement(actor, now)
        session.add(agreement)
        await session.flush()
        session.add(_first_draft(agreement, actor, now))
        session.add_all(_annex2(agreement, actor, now))
        outbox.add(
            session,
            type=AGREEMENT_CREATED,
            tenant=UTOPIA_ID,
            actor=actor,
            subject=str(agreement.id),
            data=AgreementCreated(
                agreement_id=agreement.id,
                counterparty_id=agreement.counterparty_id,
                controller_id=agreement.controller_id,
                processor_id=agreement.processor_id,
            ),
        )
    return True


def _seed_agreement(actor: Actor, now: datetime) -> Agreement:
    """The draft agreement between UTOPIA (controller) and iBeauty BVBA (processor)."""
    return Agreement(
        id=SEED_AGREEMENT_ID,
        organisation_id=uuid.UUID(UTOPIA_ID),
        counterparty_id=uuid.UUID(IBEAUTY_ID),
        controller_id=uuid.UUID(UTOPIA_ID),
        processor_id=uuid.UUID(IBEAUTY_ID),
        title="Verwerkersovereenkomst UTOPIA - iBeauty BVBA",
        status=AgreementStatus.draft,
        created_by=actor.id,
        created_at=now,
    )


def _first_draft(agreement: Agreement, actor: Actor, now: datetime) -> AgreementVersion:
    """Version 1, proposed by the controller: Annex 1 filled in, the default terms."""
    return AgreementVersion(
        agreement_id=agreement.id,
        number=1,
        status=VersionStatus.draft,
        annex1=ANNEX1.model_dump(mode="json"),
        terms=Terms().model_dump(mode="json"),
        proposed_by=actor.id,
        proposed_by_party=Party.controller,
        created_at=now,
    )


def _annex2(agreement: Agreement, actor: Actor, now: datetime) -> list[MeasureRecord]:
    """Annex 2 stated: every measure of the catalogue, implemented where the platform provides
    it (with where the evidence lives), planned otherwise."""
    measures = []
    for measure in CATALOGUE:
        evidence = PLATFORM_EVIDENCE.get(measure.id)
        measures.append(
            MeasureRecord(
                agreement_id=agreement.id,
                measure_id=measure.id,
                status="implemented" if evidence else "planned",
                evidence=evidence or "",
                recorded_by=actor.id,
                recorded_at=now,
            )
        )
    return measures
