"""Everything this service holds for one agreement, as plain records: the material of the return
of data (DPA-13), the export (TOM-T4) and the compliance report (DPA-11)."""

import uuid
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from services.agreements.assistance import store as assistance_store
from services.agreements.breaches import store as breach_store
from services.agreements.commitments import store as records
from services.agreements.commitments.store import (
    ControllerMeasure,
    Disclosure,
    Instruction,
    MeasureRecord,
    MeasureReview,
    RiskAssessment,
    StaffMember,
)
from services.agreements.lifecycle import store
from services.agreements.lifecycle.store import Agreement
from services.agreements.subprocessors import store as subprocessor_store

Rows = list[dict[str, Any]]


def _plain(rows: list[Any], *, without: tuple[str, ...] = ()) -> Rows:
    return [
        {k: v for k, v in row.model_dump(mode="json").items() if k not in without}
        for row in rows
        if isinstance(row, SQLModel)
    ]


class Supervision(NamedTuple):
    """The controller's side of art. 6 (DPA-18), oldest first: its own measures, its reviews of
    the processor's Annex 2 measures, and every risk assessment (the newest one counts)."""

    controller_measures: list[ControllerMeasure]
    measure_reviews: list[MeasureReview]
    risk_assessments: list[RiskAssessment]


async def supervision(session: AsyncSession, agreement_id: uuid.UUID) -> Supervision:
    return Supervision(
        await records.of_agreement(
            ControllerMeasure, session=session, agreement_id=agreement_id,
            order=ControllerMeasure.recorded_at,
        ),
        await records.of_agreement(
            MeasureReview, session=session, agreement_id=agreement_id,
            order=MeasureReview.recorded_at,
        ),
        await records.of_agreement(
            RiskAssessment, session=session, agreement_id=agreement_id,
            order=RiskAssessment.recorded_at,
        ),
    )  # fmt: skip


async def everything(session: AsyncSession, agreement: Agreement) -> dict[str, Rows]:
    """Every record of the agreement, by kind: the signed text, the commitments, subprocessors,
    breaches, and the assistance asked and given."""
    versions = await store.versions(session=session, agreement_id=agreement.id)
    signatures = await store.signatures(session=session, version_ids=[v.id for v in versions])
    privacy_notices = await store.all_privacy_notices(session=session, agreement_id=agreement.id)
    subject_requests, assistance_requests = await assistance_store.everything_of(
        session=session, agreement_id=agreement.id
    )
    return {
        "agreement": _plain([agreement]),
        "versions": _plain(versions),
        "signatures": _plain(signatures),
        **await _commitments(session, agreement.id),
        **await _subprocessors(session, agreement.id, versions),
        **await _breaches(session, agreement.id),
        "privacy_notices": _plain(privacy_notices),
        "subject_requests": _plain(subject_requests),
        "assistance_requests": _plain(assistance_requests),
    }


async def _commitments(session: AsyncSession, agreement_id: uuid.UUID) -> dict[str, Rows]:
    async def of(table: type[Any], order: Any) -> list[Any]:
        return await records.of_agreement(
            table, session=session, agreement_id=agreement_id, order=order
        )

    supervised = await supervision(session, agreement_id)
    disclosures = await of(Disclosure, Disclosure.recorded_at)
    return {
        "instructions": _plain(await of(Instruction, Instruction.number)),
        "measures": _plain(await of(MeasureRecord, MeasureRecord.recorded_at)),
        # DPA-18: what the controller itself did about security and its supervision of Annex 2
        "controller_measures": _plain(supervised.controller_measures),
        "measure_reviews": _plain(supervised.measure_reviews),
        "risk_assessments": _plain(supervised.risk_assessments),
        "staff": _plain(await of(StaffMember, StaffMember.added_at)),
        # a demand the law keeps from the controller stays out of what the controller receives
        "disclosures": _plain([d for d in disclosures if not d.prohibited_by_law]),
    }


async def _subprocessors(
    session: AsyncSession, agreement_id: uuid.UUID, versions: list[Any]
) -> dict[str, Rows]:
    notices = await subprocessor_store.notices_of_agreement(
        session=session, agreement_id=agreement_id
    )
    changes = await subprocessor_store.changes_by_id(
        session=session, change_ids=[n.change_id for n in notices]
    )
    # The flow-down agreements (DPA-17) of every subprocessor this agreement was told of or
    # signed with, each recording kept.
    listed = [
        uuid.UUID(str(entry["change_id"]))
        for version in versions
        for entry in version.subprocessors or []
    ]
    flow_downs = await subprocessor_store.flow_down_history(
        session=session, change_ids=[*changes, *listed]
    )
    return {
        "subprocessor_changes": _plain(list(changes.values())),
        "subprocessor_notices": _plain(notices),
        "subprocessor_flow_downs": _plain(flow_downs),
    }


async def _breaches(session: AsyncSession, agreement_id: uuid.UUID) -> dict[str, Rows]:
    notices = await breach_store.notices_of_agreement(session=session, agreement_id=agreement_id)
    breaches = await breach_store.breaches_by_id(
        session=session, breach_ids=list({n.breach_id for n in notices})
    )
    return {"breaches": _plain(breaches), "breach_notices": _plain(notices)}
