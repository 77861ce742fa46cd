"""Compliance evidence (DPA-11): per agreement, everything a controller or its mandated auditor
needs to check compliance, each section naming the requirement IDs it evidences; and the
processor's record of processing per controller (art. 30(2) GDPR)."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements import domain
from services.agreements.access import find, tenant_of
from services.agreements.closure import holdings
from services.agreements.commitments import measures, supervision
from services.agreements.commitments.schemas import ControllerMeasurePublic, MeasureReviewPublic
from services.agreements.domain import LIVE
from services.agreements.lifecycle import store
from services.agreements.lifecycle.service import public
from shared.auth import Principal
from shared.event_types.agreements import COMPLIANCE_REPORT_EXPORTED, PROCESSING_RECORD_EXPORTED
from shared.events.contracts.agreements import ComplianceReportExported, ProcessingRecordExported
from shared.outbox import Outbox

# section -> (requirement IDs it evidences, the records it is built from)
SECTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "annex1_and_signatures": (("DPA-1", "DPA-3", "DPA-20"), ("versions", "signatures")),
    "instructions": (("DPA-1", "DPA-14"), ("instructions",)),
    "annex2_measures": (("DPA-6",), ()),
    "supervision": (("DPA-18",), ()),
    "subprocessors": (
        ("DPA-5", "DPA-4a", "DPA-17"),
        ("subprocessor_changes", "subprocessor_notices", "subprocessor_flow_downs"),
    ),
    "staff_with_access": (("DPA-8", "DPA-9"), ("staff",)),
    "breaches": (("TOM-O4",), ("breaches", "breach_notices")),
    "disclosures": (("DPA-4a",), ("disclosures",)),
    "privacy_notice": (("DPA-10",), ("privacy_notices",)),
    "assistance": (
        ("DPA-15", "DPA-16", "DPA-19"),
        ("subject_requests", "assistance_requests"),
    ),
    "end_of_processing": (("DPA-13", "DPA-4b"), ()),
}


async def compliance_report(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, agreement_id: uuid.UUID
) -> dict[str, Any]:
    async with session.begin():
        agreement = await find(session, principal, agreement_id)
        held = await holdings.everything(session, agreement)
        annex2 = await measures.annex2(session, agreement)
        sections: dict[str, Any] = {}
        for name, (requirements, sources) in SECTIONS.items():
            sections[name] = {
                "requirements": list(requirements),
                "records": {source: held[source] for source in sources},
            }
        sections["annex2_measures"]["records"] = {
            "measures": [
                m.model_dump(mode="json") | {"requirements": ["DPA-6", m.id]} for m in annex2
            ]
        }
        sections["supervision"]["records"] = await _supervision(session, agreement.id)
        sections["end_of_processing"]["records"] = {
            "status": agreement.status,
            "terminated_at": agreement.terminated_at,
            "termination_reason": agreement.termination_reason,
        }
        index: dict[str, list[str]] = {}
        for name, section in sections.items():
            for requirement in section["requirements"]:
                index.setdefault(requirement, []).append(name)
        for measure in annex2:
            index.setdefault(measure.id, []).append("annex2_measures")
        outbox.add(
            session,
            type=COMPLIANCE_REPORT_EXPORTED,
            tenant=tenant_of(agreement),
            actor=principal.actor,
            subject=str(agreement.id),
            data=ComplianceReportExported(
                agreement_id=agreement.id, sections=list(sections), requirements=sorted(index)
            ),
        )
        view = await public(session, agreement)
        return {
            "generated_at": datetime.now(UTC).isoformat(),
            "generated_for": principal.user_id,
            "agreement": view.model_dump(mode="json"),
            "sections": sections,
            "requirement_index": dict(sorted(index.items())),
        }


async def _supervision(session: AsyncSession, agreement_id: uuid.UUID) -> dict[str, Any]:
    """DPA-18 next to Annex 2: the controller's own measures, its reviews of the processor's
    measures, and every risk assessment (the last one counts), oldest first."""
    own, reviews, assessments = await holdings.supervision(session, agreement_id)
    return {
        "controller_measures": [
            ControllerMeasurePublic.model_validate(row).model_dump(mode="json") for row in own
        ],
        "measure_reviews": [
            MeasureReviewPublic.model_validate(row).model_dump(mode="json") for row in reviews
        ],
        "risk_assessments": [
            supervision.assessment_view(row).model_dump(mode="json") for row in assessments
        ],
    }


async def processing_record(
    *, session: AsyncSession, outbox: Outbox, principal: Principal
) -> dict[str, Any]:
    """Art. 30(2): the categories of processing the caller carries out for each controller."""
    processor_id = uuid.UUID(principal.organisation_id)
    async with session.begin():
        agreements = await store.agreements_of_processor(
            session=session, processor_id=processor_id, statuses=LIVE
        )
        entries = []
        for agreement in agreements:
            version = await store.version(
                session=session, agreement_id=agreement.id, number=agreement.version
            )
            assert version is not None
            annex1 = version.annex1
            entries.append(
                {
                    "agreement_id": str(agreement.id),
                    "controller_id": str(agreement.controller_id),
                    "nature": annex1.get("nature"),
                    "purpose": annex1.get("purpose"),
                    "data_categories": domain.category_names(annex1),
                    "data_subject_categories": annex1.get("data_subject_categories", []),
                    "subprocessor_authorisation": agreement.authorisation,
                }
            )
        outbox.add(
            session,
            type=PROCESSING_RECORD_EXPORTED,
            tenant=principal.organisation_id,
            actor=principal.actor,
            data=ProcessingRecordExported(
                processor_id=processor_id, agreement_ids=[a.id for a in agreements]
            ),
        )
        return {"processor_id": str(processor_id), "processing": entries}
