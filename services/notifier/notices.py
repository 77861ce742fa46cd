"""Which notices an event calls for, to whom, and which deadline clocks it opens or closes.

Reads the catalogued payloads of identity and agreements; knows nothing of storage or channels.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.notifier.domain import Topic
from shared.events import Envelope


@dataclass(frozen=True)
class Notice:
    notice: str
    topic: Topic
    organisation_id: str  # whose contacts, endpoints and users are told
    cause: str  # the event id (plus the reminder point for reminders): the dedup key
    event_id: str
    facts: dict[str, Any]
    link: str  # path of the item, appended to the public base URL
    thread_id: str | None = None
    user_id: str | None = None  # a notice about one user: their own address and inbox too
    to_contacts: bool = True
    link_id: str | None = None  # a one-time link identity hands over at send time
    copy_to_processor: bool = False  # also the processor of the thread's objection clock


@dataclass(frozen=True)
class ClockOpening:
    kind: str  # breach | objection
    organisation_id: str
    thread_id: str
    deadline: datetime
    facts: dict[str, Any]


@dataclass
class Plan:
    notices: list[Notice] = field(default_factory=list)
    opens: list[ClockOpening] = field(default_factory=list)
    closes: list[tuple[str, str, str]] = field(default_factory=list)  # kind, thread, reason


OUTCOMES = {
    "approved": "approved",
    "objected": "objection recorded",
    "accepted": "deemed accepted",
    "expired": "window closed without decision",
    "withdrawn": "withdrawn by the processor",
}
GRANT_STATUS = {"approved": "granted", "denied": "denied", "revoked": "revoked", "expired": "ended"}


def plan_for(event: Envelope) -> Plan:
    """The notices and clock changes ``event`` calls for (none for most events)."""
    short = event.type.removeprefix("dpa.").rsplit(".", 1)[0]
    handler = _PLANS.get(short)
    return handler(event, event.data) if handler else Plan()


def _base(event: Envelope, **kwargs: Any) -> Notice:
    return Notice(event_id=str(event.id), cause=str(event.id), **kwargs)


def _breach(event: Envelope, data: dict[str, Any]) -> Plan:
    facts: dict[str, Any] = {
        key: data[key]
        for key in (
            "breach_id", "agreement_id", "aware_at", "notified_at", "authority_deadline",
            "processor_deadline", "processor_late", "data_categories", "data_subject_categories",
            "approx_data_subjects", "approx_records", "phase",
        )
        if key in data
    }  # fmt: skip
    thread = str(data["notice_id"])
    organisation = str(data["controller_id"])
    return Plan(
        notices=[
            _base(
                event,
                notice="breach",
                topic=Topic.breach,
                organisation_id=organisation,
                facts=facts,
                link=f"/breaches/{data['breach_id']}",
                thread_id=thread,
            )
        ],
        opens=[
            ClockOpening(
                "breach",
                organisation,
                thread,
                datetime.fromisoformat(str(data["authority_deadline"])),
                facts,
            )
        ],
    )


def _breach_update(event: Envelope, data: dict[str, Any]) -> Plan:
    return Plan(
        notices=[
            _base(
                event,
                notice="breach_update",
                topic=Topic.breach,
                organisation_id=event.tenantid,
                facts={k: data[k] for k in ("breach_id", "agreement_id", "phase", "fields")},
                link=f"/breaches/{data['breach_id']}",
                thread_id=str(data["notice_id"]),
            )
        ]
    )


def _authority_recorded(event: Envelope, data: dict[str, Any]) -> Plan:
    reason = "authority_notified" if data.get("notified_authority") else "decided_not_to_notify"
    return Plan(closes=[("breach", str(data["notice_id"]), reason)])


def _authority_deadline_passed(event: Envelope, data: dict[str, Any]) -> Plan:
    return Plan(
        notices=[
            _base(
                event,
                notice="breach_deadline_passed",
                topic=Topic.breach,
                organisation_id=event.tenantid,
                facts={k: data[k] for k in ("breach_id", "agreement_id", "authority_deadline")},
                link=f"/breaches/{data['breach_id']}",
                thread_id=str(data["notice_id"]),
            )
        ],
        closes=[("breach", str(data["notice_id"]), "deadline_passed")],
    )


def _subprocessor_notice(event: Envelope, data: dict[str, Any]) -> Plan:
    facts = {
        key: data[key]
        for key in (
            "change_id", "agreement_id", "processor_id", "kind", "authorisation",
            "effective_date", "data_categories", "objection_deadline", "silence_is_acceptance",
        )
        if key in data
    }  # fmt: skip
    thread = str(data["notice_id"])
    organisation = str(data["controller_id"])
    link = f"/agreements/{data['agreement_id']}/subprocessor-notices/{thread}"
    plan = Plan(
        notices=[
            _base(
                event,
                notice="subprocessor_change",
                topic=Topic.subprocessor,
                organisation_id=organisation,
                facts=facts,
                link=link,
                thread_id=thread,
            )
        ]
    )
    # The clock also remembers the processor, to confirm the outcome to both parties; without an
    # objection deadline (specific authorisation) it carries no reminders.
    deadline = data.get("objection_deadline") or f"{data['effective_date']}T00:00:00+00:00"
    plan.opens.append(
        ClockOpening(
            "objection",
            organisation,
            thread,
            datetime.fromisoformat(str(deadline)),
            facts | {"link": link},
        )
    )
    return plan


def _subprocessor_outcome(event: Envelope, data: dict[str, Any]) -> Plan:
    verb = event.type.split(".")[3]
    facts = {
        "decision": OUTCOMES.get(verb, verb),
        "deemed": data.get("deemed", False),
        "change_id": data["change_id"],
        "agreement_id": data["agreement_id"],
    }
    thread = str(data["notice_id"])
    link = f"/agreements/{data['agreement_id']}/subprocessor-notices/{thread}"
    notices = [
        _base(
            event,
            notice="subprocessor_outcome",
            topic=Topic.subprocessor,
            organisation_id=event.tenantid,
            facts=facts,
            link=link,
            thread_id=thread,
            copy_to_processor=True,  # confirmed to both parties
        )
    ]
    return Plan(notices=notices, closes=[("objection", thread, verb)])


def _account_locked(event: Envelope, data: dict[str, Any]) -> Plan:
    facts: dict[str, Any] = {
        k: data[k] for k in ("user_id", "until", "lock_number", "permanent") if k in data
    }
    return _security(event, "account_locked", facts, user_id=str(data["user_id"]))


def _mfa(event: Envelope, data: dict[str, Any]) -> Plan:
    facts = {"user_id": data["user_id"], "change": event.type.split(".")[3]}
    return _security(event, "mfa_changed", facts, user_id=str(data["user_id"]), contacts=False)


def _grant_requested(event: Envelope, data: dict[str, Any]) -> Plan:
    facts = {k: data[k] for k in ("grant_id", "operator_id", "access", "minutes", "reason")}
    return _security(event, "grant_requested", facts, link=f"/grants/{data['grant_id']}")


def _grant_changed(event: Envelope, data: dict[str, Any]) -> Plan:
    verb = event.type.split(".")[3]
    facts = {"status": GRANT_STATUS.get(verb, verb)} | {
        k: data[k] for k in ("grant_id", "operator_id", "expires_at") if data.get(k)
    }
    return _security(event, "grant_changed", facts, link=f"/grants/{data['grant_id']}")


def _maintenance(event: Envelope, data: dict[str, Any]) -> Plan:
    facts = {k: data[k] for k in ("notice_id", "starts_at", "ends_at")}
    return _security(event, "maintenance_notice", facts, organisation=str(data["organisation_id"]))


def _link(notice: str) -> Any:
    def plan(event: Envelope, data: dict[str, Any]) -> Plan:
        link_id = data.get("invitation_id") or data.get("link_id")
        if not link_id or not data.get("user_id"):
            return Plan()  # e.g. a reset requested for an unknown address: nothing to send
        return Plan(
            notices=[
                _base(
                    event,
                    notice=notice,
                    topic=Topic.security,
                    organisation_id=event.tenantid,
                    facts={},
                    link="/account",
                    user_id=str(data["user_id"]),
                    to_contacts=False,
                    link_id=str(link_id),
                )
            ]
        )

    return plan


def _security(
    event: Envelope,
    notice: str,
    facts: dict[str, Any],
    *,
    user_id: str | None = None,
    contacts: bool = True,
    link: str = "/account",
    organisation: str | None = None,
) -> Plan:
    return Plan(
        notices=[
            _base(
                event,
                notice=notice,
                topic=Topic.security,
                organisation_id=organisation or event.tenantid,
                facts=facts,
                link=link,
                user_id=user_id,
                to_contacts=contacts,
            )
        ]
    )


_PLANS = {
    "agreements.breach_notice.issued": _breach,
    "agreements.breach_notice.updated": _breach_update,
    "agreements.authority_notification.reported": _authority_recorded,
    "agreements.breach_notice.expired": _authority_deadline_passed,
    "agreements.subprocessor_notice.issued": _subprocessor_notice,
    **{
        f"agreements.subprocessor_notice.{verb}": _subprocessor_outcome
        for verb in ("approved", "objected", "accepted", "expired", "withdrawn")
    },
    "identity.account.locked": _account_locked,
    "identity.mfa.enrolled": _mfa,
    "identity.mfa.reset": _mfa,
    "identity.grant.requested": _grant_requested,
    **{
        f"identity.grant.{verb}": _grant_changed
        for verb in ("approved", "denied", "revoked", "expired")
    },
    "identity.maintenance_notice.sent": _maintenance,
    "identity.user.invited": _link("invitation"),
    "identity.password_reset.requested": _link("password_reset"),
}
