"""Reading an organisation's log: filters, a stable cursor, and the controller's view.

An organisation sees its own entries and, as a controller, the entries of its agreements'
processors that concern those agreements (TOM-T3b, TOM-T3c). Nothing else: another organisation's
entries do not exist for it.
"""

from collections.abc import AsyncIterator
from typing import Any, Literal

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.audit.schemas import LogFilter
from services.audit.store import AgreementParties, AuditEntry

Order = Literal["newest", "oldest"]


async def _visibility(session: AsyncSession, organisation_id: str) -> Any:
    own = col(AuditEntry.organisation_id) == organisation_id
    controls = await session.scalar(
        select(col(AgreementParties.agreement_id))
        .where(col(AgreementParties.controller_id) == organisation_id)
        .limit(1)
    )
    if controls is None:
        return own
    concerns_ours = exists().where(
        col(AgreementParties.agreement_id) == col(AuditEntry.agreement_id),
        col(AgreementParties.controller_id) == organisation_id,
        col(AgreementParties.processor_id) == col(AuditEntry.organisation_id),
    )
    return or_(own, and_(col(AuditEntry.agreement_id).is_not(None), concerns_ours))


async def parties(session: AsyncSession, one: str, other: str) -> bool:
    """Do these two organisations share an agreement (either one the controller)?"""
    found = await session.scalar(
        select(col(AgreementParties.agreement_id))
        .where(
            or_(
                and_(
                    col(AgreementParties.controller_id) == one,
                    col(AgreementParties.processor_id) == other,
                ),
                and_(
                    col(AgreementParties.controller_id) == other,
                    col(AgreementParties.processor_id) == one,
                ),
            )
        )
        .limit(1)
    )
    return found is not None


async def selection(
    session: AsyncSession, *, organisation_id: str, where: LogFilter
) -> Select[Any]:
    """The entries this organisation may read that match the filter (unordered)."""
    query = select(AuditEntry).where(await _visibility(session, organisation_id))
    return _narrowed(query, where)


def _narrowed(query: Select[Any], where: LogFilter) -> Select[Any]:
    if where.actor is not None:
        query = query.where(col(AuditEntry.actor_id) == where.actor)
    if where.action is not None:
        query = query.where(col(AuditEntry.event_type).startswith(where.action, autoescape=True))
    if where.resource is not None:
        query = query.where(col(AuditEntry.subject) == where.resource)
    if where.agreement is not None:
        query = query.where(col(AuditEntry.agreement_id) == where.agreement)
    if where.since is not None:
        query = query.where(col(AuditEntry.occurred_at) >= where.since)
    if where.until is not None:
        query = query.where(col(AuditEntry.occurred_at) < where.until)
    if where.supplier_only:
        query = query.where(col(AuditEntry.supplier_intervention).is_(True))
    if where.outcome is not None:
        query = query.where(col(AuditEntry.outcome) == where.outcome.value)
    return query


async def page(
    *,
    session: AsyncSession,
    organisation_id: str,
    where: LogFilter,
    limit: int,
    cursor: int | None = None,
    order: Order = "newest",
) -> list[AuditEntry]:
    """One page; ``cursor`` is the position of the last entry of the previous page."""
    query = await selection(session, organisation_id=organisation_id, where=where)
    position = col(AuditEntry.position)
    if order == "newest":
        if cursor is not None:
            query = query.where(position < cursor)
        query = query.order_by(position.desc())
    else:
        if cursor is not None:
            query = query.where(position > cursor)
        query = query.order_by(position.asc())
    return list((await session.scalars(query.limit(limit))).all())


async def stream(
    *,
    session: AsyncSession,
    organisation_id: str,
    where: LogFilter,
    up_to_index: int | None,
    own_only: bool = False,
    chunk: int = 2000,
) -> AsyncIterator[list[AuditEntry]]:
    """Every matching entry, oldest first, in chunks (an export never holds the whole log).

    The organisation's own entries stop below ``up_to_index`` (its checkpoint); with
    ``own_only`` the processors' entries are left out (the verifier checks one tree).
    """
    if own_only:
        base = select(AuditEntry).where(col(AuditEntry.organisation_id) == organisation_id)
        base = _narrowed(base, where)
    else:
        base = await selection(session, organisation_id=organisation_id, where=where)
    if up_to_index is not None:
        base = base.where(
            or_(
                col(AuditEntry.organisation_id) != organisation_id,
                col(AuditEntry.log_index) < up_to_index,
            )
        )
    position = col(AuditEntry.position)
    ceiling = await session.scalar(select(position).order_by(position.desc()).limit(1)) or 0
    cursor = 0
    while True:
        query = base.where(position > cursor, position <= ceiling).order_by(position)
        rows = list((await session.scalars(query.limit(chunk))).all())
        if not rows:
            return
        yield rows
        session.expunge_all()
        cursor = rows[-1].position or 0
        if len(rows) < chunk:
            return
