"""The rules of the end of processing (DPA-13, DPA-4b), pure: by when the data must be returned
or destroyed, when the parties are reminded, and what a processor's attestation must say.

Art. 13 of the contract asks the processor to return or destroy the data "when processing ends"
and to certify the destruction; it names no period. The platform sets one (default 30 days after
termination; the parties may agree another in the terms, ``closure_days``), so an agreement
cannot stay terminated but open unnoticed. The end is complete when the controller made its
choice (pactum returned or destroyed what it holds) and the processor attested, in its own
name, what it destroyed or returned on its own systems and backups.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from services.agreements.domain import AgreementRuleBroken
from shared.moments import as_utc

BRUSSELS = ZoneInfo("Europe/Brussels")


class Outstanding(StrEnum):
    """What the end of processing still waits for."""

    controller_choice = "controller_choice"  # return or destruction, by the controller
    processor_attestation = "processor_attestation"  # the processor's own systems and backups


class DeadlineStep(StrEnum):
    """What the sweep announces about the deadline: once before it, once when it passed."""

    approaching = "approaching"
    passed = "passed"


def period_days(*, terms: Mapping[str, Any], default: int) -> int:
    """The days the agreement gives to return or destroy after termination: its own term
    ``closure_days`` where its version in force sets one, else the service's default."""
    days = terms.get("closure_days")
    return int(days) if days is not None else default


def closure_deadline(*, terminated_at: datetime, days: int) -> datetime:
    """By when the data must be returned or destroyed: ``days`` after termination."""
    if days < 1:
        raise AgreementRuleBroken("days: the period after termination is at least one day")
    return as_utc(terminated_at) + timedelta(days=days)


def outstanding(*, closed: bool, attested: bool) -> list[Outstanding]:
    waiting = []
    if not closed:
        waiting.append(Outstanding.controller_choice)
    if not attested:
        waiting.append(Outstanding.processor_attestation)
    return waiting


def due_step(
    *,
    deadline: datetime,
    remind_days: int,
    now: datetime,
    announced: bool,
    passed: bool,
) -> DeadlineStep | None:
    """The step due at ``now`` for an end still outstanding, if one is not yet taken."""
    moment = as_utc(now)
    if moment >= as_utc(deadline):
        return None if passed else DeadlineStep.passed
    if moment >= as_utc(deadline) - timedelta(days=remind_days) and not announced:
        return DeadlineStep.approaching
    return None


def overdue(*, deadline: datetime, now: datetime, waiting: list[Outstanding]) -> bool:
    return bool(waiting) and as_utc(now) >= as_utc(deadline)


@dataclass(frozen=True)
class AttestedItem:
    """One thing the processor destroyed or returned: what, where, when, how; for a backup,
    when the copy expires (DPA-4b allows backups needed for the service, not beyond)."""

    what: str
    system: str
    action: str
    done_at: datetime
    method: str
    backup: bool
    backup_expires_at: datetime | None


def _day(moment: datetime) -> date:
    """The calendar day in Brussels: a person attests "on 7 December", not to the second."""
    return as_utc(moment).astimezone(BRUSSELS).date()


def check_attestation(items: list[AttestedItem], *, terminated_at: datetime, now: datetime) -> None:
    """Refuse an attestation that cannot be true; the message names the item and the field."""
    if not items:
        raise AgreementRuleBroken("items: attest at least one thing destroyed or returned")
    for number, item in enumerate(items, start=1):
        done = as_utc(item.done_at)
        if done > as_utc(now):
            raise AgreementRuleBroken(f"item {number}: done_at lies in the future")
        if _day(done) < _day(terminated_at):
            raise AgreementRuleBroken(
                f"item {number}: done_at lies before the day the agreement was terminated"
            )
        if item.backup and item.backup_expires_at is None:
            raise AgreementRuleBroken(
                f"item {number}: a backup needs backup_expires_at, when its copy expires"
            )
        if not item.backup and item.backup_expires_at is not None:
            raise AgreementRuleBroken(
                f"item {number}: backup_expires_at is only for backups (set backup to true)"
            )
        if item.backup_expires_at is not None and as_utc(item.backup_expires_at) < done:
            raise AgreementRuleBroken(f"item {number}: backup_expires_at lies before done_at")
