"""The evidence pack (DPA-11): for one agreement and a period, what a DPO hands to an auditor.

The console assembles it from the services' public APIs with the person's own token, so every
read is the person's and audited as theirs, and no service imports another: the agreements
service's compliance report (the agreement, its versions, Annex 2 with evidence and the
controller's supervision (DPA-18), instructions, subprocessors and decisions, breaches with their
clocks, staff, disclosures, the duties' records), the audit log's entries on the agreement in the
period with a freshly signed checkpoint and an inclusion proof for each entry cited, the supplier
interventions and grants, and the notifier's deliveries of the notices those entries caused. The
same pack is served as JSON and as a printable document.

The agreement is read first: a stranger gets the page not found before anything else is asked
(no checkpoint is signed, no log read, in anyone's name).
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import Request

from services.console.agreements.common import agreements_api
from services.console.apis import ApiRefused, Service
from services.console.language import BRUSSELS
from services.console.sessions import Person
from services.console.web import apis_of

ACCESS_VERBS = frozenset({"viewed", "listed", "exported"})
CITED_AT_MOST = 200  # entries proven one by one; the rest are listed, provable on request
LONGEST_PERIOD = timedelta(days=3 * 366)
PROOFS_AT_ONCE = 8


class BadPeriod(ValueError):
    """The period asked for cannot be read or is the wrong way round; the message says why."""


@dataclass(frozen=True)
class Period:
    """Whole days in Brussels, both included."""

    first: date
    last: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(), BRUSSELS).astimezone(UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), BRUSSELS).astimezone(UTC)

    def holds(self, moment: str | None) -> bool:
        return moment is not None and self.since <= _moment(moment) < self.until


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def period_of(first: str, last: str, *, today: date) -> Period:
    """The period from the form: ISO dates, first on or before last, no more than three years;
    by default the twelve months up to today."""
    try:
        end = date.fromisoformat(last) if last else today
        start = date.fromisoformat(first) if first else end - timedelta(days=365)
    except ValueError:
        raise BadPeriod("Give the dates as on a calendar, e.g. 2026-01-31.") from None
    if start > end:
        raise BadPeriod("The period must start on or before the day it ends.")
    if end - start > LONGEST_PERIOD:
        raise BadPeriod("Choose a period of at most three years.")
    return Period(start, end)


def _cited(entry: dict[str, Any], organisation_id: str) -> bool:
    """An entry the pack proves: a step on the agreement (not a read), in the reader's own log
    (the log whose checkpoint the reader can have signed)."""
    verb = str(entry["event_type"]).split(".")[-2]
    return verb not in ACCESS_VERBS and entry["organisation_id"] == organisation_id


async def _audit(
    request: Request, person: Person, agreement_id: str, period: Period
) -> dict[str, Any]:
    """The entries on the agreement in the period, a checkpoint signed now, and a proof that
    each cited entry is in the signed tree."""
    apis, token = apis_of(request), person.access_token
    try:
        entries = await apis.every(
            "audit",
            "/audit/entries",
            token=token,
            params={"agreement": agreement_id, "since": period.since.isoformat(),
                    "until": period.until.isoformat(), "order": "oldest"},
        )  # fmt: skip
        checkpoint = await apis.json("audit", "POST", "/audit/checkpoints", token=token)
        key = await apis.json("audit", "GET", "/audit/checkpoint-key")
    except ApiRefused as refused:
        if refused.status not in (403, 404):
            raise
        return {"readable": False, "entries": [], "proofs": [], "checkpoint": None}
    cited = [e for e in entries if _cited(e, person.organisation_id)]
    gate = asyncio.Semaphore(PROOFS_AT_ONCE)

    async def proof(entry: dict[str, Any]) -> Any:
        async with gate:
            path = f"/audit/proofs/inclusion/{entry['log_index']}"
            return await apis.json("audit", "GET", path, token=token)

    proofs = await asyncio.gather(*(proof(entry) for entry in cited[:CITED_AT_MOST]))
    return {
        "readable": True,
        "organisation_id": person.organisation_id,
        "checkpoint": checkpoint,
        "checkpoint_key": key,
        "entries": entries,
        "cited": [entry["log_index"] for entry in cited[:CITED_AT_MOST]],
        "cited_left_out": max(0, len(cited) - CITED_AT_MOST),
        "proofs": proofs,
    }


async def _every_or_none(request: Request, person: Person, service: Service, path: str) -> Any:
    """A list the person's role may not read is left out of the pack, saying so."""
    try:
        return await apis_of(request).every(service, path, token=person.access_token)
    except ApiRefused as refused:
        if refused.status not in (403, 404):
            raise
        return None


def _deliveries(
    found: list[dict[str, Any]] | None, event_ids: set[str], agreement_id: str, period: Period
) -> list[dict[str, Any]] | None:
    """The notices sent because of the agreement's events (or in its thread) in the period."""
    if found is None:
        return None
    return [
        delivery
        for delivery in found
        if period.holds(delivery["created_at"])
        and (delivery["cause"].split("/")[0] in event_ids or delivery["thread_id"] == agreement_id)
    ]


def _grants(found: list[dict[str, Any]] | None, period: Period) -> list[dict[str, Any]] | None:
    """The supplier's access grants asked before the period ended and not expired before it
    began: those that could have been used in it."""
    if found is None:
        return None
    return [
        grant
        for grant in found
        if _moment(grant["requested_at"]) < period.until
        and (grant["expires_at"] is None or _moment(grant["expires_at"]) >= period.since)
    ]


async def assemble(
    request: Request, person: Person, agreement_id: str, period: Period
) -> dict[str, Any]:
    report = await agreements_api(
        request, person, "GET", f"/agreements/{agreement_id}/compliance-report"
    )
    audit, deliveries, grants = await asyncio.gather(
        _audit(request, person, agreement_id, period),
        _every_or_none(request, person, "notifier", "/notifier/deliveries"),
        _every_or_none(request, person, "identity", "/grants"),
    )
    event_ids = {str(entry["event_id"]) for entry in audit["entries"]}
    return {
        "pack": "pactum evidence pack (DPA-11)",
        "agreement_id": agreement_id,
        "period": {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "time_zone": "Europe/Brussels",
            "since": period.since.isoformat(),
            "until": period.until.isoformat(),
        },
        "generated_at": datetime.now(UTC).isoformat(),
        "generated_by": person.user_id,
        "organisation_id": person.organisation_id,
        "report": report,
        "audit": audit,
        "supplier_interventions": [e for e in audit["entries"] if e["supplier_intervention"]],
        "grants": _grants(grants, period),
        "notice_deliveries": _deliveries(deliveries, event_ids, agreement_id, period),
    }
