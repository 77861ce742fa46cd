"""Retention of the notifier's own personal data (TOM-T1, TOM-32a; issue 14.5).

A delivery keeps the address it was sent to and the notice's text (``message``) for
``delivery_retention_days`` after it was planned; then both are removed and the row stays: the
evidence that a notice of that kind, caused by that event, was delivered (or failed), when, over
which channel and to which recipient key (a contact, user, endpoint or the admins, by id, never an
address). Its attempts lose their free-text detail (an SMTP reply may quote the address).
Deliveries still pending or being sent are left alone.

An in-app inbox item is deleted ``inbox_read_retention_days`` after it was read, or, unread,
after ``delivery_retention_days``; its delivery stays (cleared as above).

Each run works organisation by organisation, at most ``retention_batch_size`` rows of each kind
per transaction, and commits one ``dpa.notifier.retention.expired.v1`` with the counts together
with the change (one per organisation and run; one per batch when more than a batch is due). A
row is cleared once (``retention_applied_at``), so a second run, or a second replica (rows locked
with ``SKIP LOCKED`` on PostgreSQL), finds nothing more to do.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.notifier.addressing import SYSTEM
from services.notifier.domain import DeliveryStatus
from services.notifier.ledger import Attempt, Delivery, InboxItem
from shared.event_types.notifier import NOTIFIER_RETENTION_EXPIRED
from shared.events.contracts.notifier import RetentionApplied
from shared.outbox import Outbox

log = structlog.get_logger("pactum.notifier.retention")

# What a cleared delivery's message keeps: ids, no address, no text.
KEPT_IN_MESSAGE = ("event_id", "locale", "endpoint_id")
FINISHED = (DeliveryStatus.delivered, DeliveryStatus.failed)


@dataclass(frozen=True)
class Cutoffs:
    """Deliveries planned before ``delivered_before`` and items read before ``read_before`` are
    past their retention."""

    delivered_before: datetime
    read_before: datetime

    @classmethod
    def at(cls, now: datetime, *, delivery_days: int, inbox_read_days: int) -> "Cutoffs":
        return cls(
            delivered_before=now - timedelta(days=delivery_days),
            read_before=now - timedelta(days=inbox_read_days),
        )


def cleared_message(message: dict[str, Any]) -> dict[str, Any]:
    """The message without its address and text: only the ids it names."""
    return {key: message[key] for key in KEPT_IN_MESSAGE if key in message}


async def apply_retention(
    *,
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    cutoffs: Cutoffs,
    batch_size: int,
    now: datetime,
) -> dict[str, int]:
    """One run: every organisation with something past its retention, one transaction and one
    event each; returns, per organisation, how many rows were cleared or deleted."""
    done: dict[str, int] = {}
    for organisation_id in await _organisations_due(sessions, cutoffs):
        while True:  # more than a batch due (a first run over a long history): batch by batch
            async with sessions() as session, session.begin():
                cleared = await _clear_deliveries(
                    session, organisation_id, cutoffs=cutoffs, batch_size=batch_size, now=now
                )
                deleted = await _delete_inbox_items(
                    session, organisation_id, cutoffs=cutoffs, batch_size=batch_size
                )
                if not cleared and not deleted:
                    break  # all done (or another replica took them first)
                outbox.add(
                    session,
                    type=NOTIFIER_RETENTION_EXPIRED,
                    tenant=organisation_id,
                    actor=SYSTEM,
                    data=RetentionApplied(
                        deliveries_cleared=cleared,
                        inbox_items_deleted=deleted,
                        delivered_before=cutoffs.delivered_before,
                        read_before=cutoffs.read_before,
                    ),
                )
            done[organisation_id] = done.get(organisation_id, 0) + cleared + deleted
            await asyncio.sleep(0)  # the requests and the dispatcher in between
            if cleared < batch_size and deleted < batch_size:
                break
    if done:
        log.info("notifier.retention_applied", organisations=len(done), rows=sum(done.values()))
    return done


def _deliveries_due(cutoffs: Cutoffs) -> Any:
    return (
        col(Delivery.retention_applied_at).is_(None),
        col(Delivery.status).in_(FINISHED),
        col(Delivery.created_at) < cutoffs.delivered_before,
    )


def _items_due(cutoffs: Cutoffs) -> Any:
    return or_(
        col(InboxItem.read_at) < cutoffs.read_before,
        col(InboxItem.read_at).is_(None) & (col(InboxItem.created_at) < cutoffs.delivered_before),
    )


async def _organisations_due(
    sessions: async_sessionmaker[AsyncSession], cutoffs: Cutoffs
) -> list[str]:
    async with sessions() as session:
        deliveries = await session.scalars(
            select(col(Delivery.organisation_id)).where(*_deliveries_due(cutoffs)).distinct()
        )
        items = await session.scalars(
            select(col(InboxItem.organisation_id)).where(_items_due(cutoffs)).distinct()
        )
        return sorted(set(deliveries.all()) | set(items.all()))


async def _clear_deliveries(
    session: AsyncSession, organisation_id: str, *, cutoffs: Cutoffs, batch_size: int, now: datetime
) -> int:
    due = list(
        (
            await session.scalars(
                select(Delivery)
                .where(col(Delivery.organisation_id) == organisation_id, *_deliveries_due(cutoffs))
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )
    for delivery in due:
        delivery.message = cleared_message(delivery.message)
        delivery.retention_applied_at = now
    if due:
        await session.execute(
            update(Attempt)
            .where(
                col(Attempt.organisation_id) == organisation_id,
                col(Attempt.delivery_id).in_([delivery.id for delivery in due]),
            )
            .values(detail=None)
            .execution_options(synchronize_session=False)
        )
    return len(due)


async def _delete_inbox_items(
    session: AsyncSession, organisation_id: str, *, cutoffs: Cutoffs, batch_size: int
) -> int:
    due = list(
        (
            await session.scalars(
                select(col(InboxItem.id))
                .where(col(InboxItem.organisation_id) == organisation_id, _items_due(cutoffs))
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )
    if due:
        await session.execute(
            delete(InboxItem)
            .where(col(InboxItem.id).in_(due))
            .execution_options(synchronize_session=False)
        )
    return len(due)
