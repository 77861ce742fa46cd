"""Everything this service holds for one agreement, as plain records: the material of the return
of data (DPA-13), the export (TOM-T4) and the compliance report (DPA-11)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from services.agreements.breaches import store as breach_store
from services.agreements.commitments import store as records
from services.agreements.commitments.store import (
    Disclosure,
    Instruction,
    MeasureRecord,
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


async def everything(session: AsyncSession, agreement: Agreement) -> dict[str, Rows]:
    versions = await store.versions(session=session, agreement_id=agreement.id)
    signatures = await store.signatures(session=session, version_ids=[v.id for v in versions])
    notices = await subprocessor_store.notices_of_agreement(
        session=session, agreement_id=agreement.id
    )
    changes = await subprocessor_store.changes_by_id(
        session=session, change_ids=[n.change_id for n in notices]
    )
    breach_notices = list(
        (
            await session.scalars(
                select(breach_store.BreachNotice).where(
                    col(breach_store.BreachNotice.agreement_id) == agreement.id
                )
            )
        ).all()
    )
    breaches = [await session.get(breach_store.Breach, n.breach_id) for n in breach_notices]
    disclosures = await records.of_agreement(
        Disclosure, session=session, agreement_id=agreement.id, order=Disclosure.recorded_at
    )
    return {
        "agreement": _plain([agreement]),
        "versions": _plain(versions),
        "signatures": _plain(signatures),
        "instructions": _plain(
            await records.of_agreement(
                Instruction, session=session, agreement_id=agreement.id, order=Instruction.number
            )
        ),
        "measures": _plain(
            await records.of_agreement(
                MeasureRecord,
                session=session,
                agreement_id=agreement.id,
                order=MeasureRecord.recorded_at,
            )
        ),
        "staff": _plain(
            await records.of_agreement(
                StaffMember, session=session, agreement_id=agreement.id, order=StaffMember.added_at
            )
        ),
        # a demand the law keeps from the controller stays out of what the controller receives
        "disclosures": _plain([d for d in disclosures if not d.prohibited_by_law]),
        "subprocessor_changes": _plain(list(changes.values())),
        "subprocessor_notices": _plain(notices),
        "breaches": _plain([b for b in breaches if b is not None]),
        "breach_notices": _plain(breach_notices),
    }
