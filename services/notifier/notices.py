"""Notices about agreements: breaches, subprocessor changes, disclosures, agreement changes.

Reads the catalogued payloads of identity and agreements; knows nothing of storage or channels.
"""

from dataclasses import dataclass, field, replace
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
    occurred_at: str | None = None  # when the event happened (the webhook's timestamp)
    to_admins: bool = False  # also the organisation's active admins, as identity lists them
    former_address_of: str | None = None  # an e-mail change: also the address it replaced


@dataclass(frozen=True)
class ClockOpening:
    kind: str  # breach | objection
    organisation_id: str
    thread_id: str
    deadline: datetime
    facts: dict[str, Any]


@dataclass(frozen=True)
class ContactCheck:
    """USE-3: whether each party registered a contact for ``topic``; if one did not, ``warning``
    goes to every party (its contacts for the warning's topic, and its admins), naming which
    parties lack one in the ``missing`` fact."""

    topic: Topic
    parties: dict[str, str]  # party (controller, processor) -> organisation id
    warning: Notice


@dataclass
class Plan:
    notices: list[Notice] = field(default_factory=list)
    opens: list[ClockOpening] = field(default_factory=list)
    closes: list[tuple[str, str, str]] = field(default_factory=list)  # kind, thread, reason
    checks: list[ContactCheck] = field(default_factory=list)


OUTCOMES = {
    "approved": "approved",
    "objected": "objection recorded",
    "accepted": "deemed accepted",
    "expired": "window closed without decision",
    "withdrawn": "withdrawn by the processor",
}


def base(event: Envelope, **kwargs: Any) -> Notice:
    return Notice(
        event_id=str(event.id), cause=str(event.id), occurred_at=event.time.isoformat(), **kwargs
    )


def on_breach(event: Envelope, data: dict[str, Any]) -> Plan:
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
            base(
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


def on_breach_update(event: Envelope, data: dict[str, Any]) -> Plan:
    return Plan(
        notices=[
            base(
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


def on_authority_recorded(event: Envelope, data: dict[str, Any]) -> Plan:
    reason = "authority_notified" if data.get("notified_authority") else "decided_not_to_notify"
    return Plan(closes=[("breach", str(data["notice_id"]), reason)])


def on_authority_deadline_passed(event: Envelope, data: dict[str, Any]) -> Plan:
    return Plan(
        notices=[
            base(
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


def on_subprocessor_notice(event: Envelope, data: dict[str, Any]) -> Plan:
    facts = {
        key: data[key]
        for key in (
            "change_id", "agreement_id", "processor_id", "kind", "subprocessor", "service",
            "location", "transfer_mechanism", "authorisation", "effective_date",
            "data_categories", "objection_deadline", "silence_is_acceptance",
        )
        if key in data
    }  # fmt: skip
    thread = str(data["notice_id"])
    organisation = str(data["controller_id"])
    link = f"/agreements/{data['agreement_id']}/subprocessor-notices/{thread}"
    plan = Plan(
        notices=[
            base(
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


def on_subprocessor_outcome(event: Envelope, data: dict[str, Any]) -> Plan:
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
        base(
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


def on_disclosure(event: Envelope, data: dict[str, Any]) -> Plan:
    """A legally required disclosure is made known to the controller beforehand where the law
    allows it (DPA-4a); where the law forbids telling, no notice goes out."""
    if data.get("prohibited_by_law"):
        return Plan()
    verb = event.type.split(".")[3]
    facts: dict[str, Any] = {
        k: data[k] for k in ("agreement_id", "disclosure_id", "outcome") if k in data
    }
    return _agreement_notice(
        event, "disclosure" if verb == "reported" else "disclosure_outcome", facts,
        link=f"/agreements/{data['agreement_id']}/disclosures/{data['disclosure_id']}",
    )  # fmt: skip


def on_agreement_changed(event: Envelope, data: dict[str, Any]) -> Plan:
    _, entity, verb = event.type.split(".")[1:4]
    facts = {"change": f"{entity} {verb}"} | {
        k: data[k] for k in ("agreement_id", "version", "status", "fields") if k in data
    }
    return _agreement_notice(
        event, "agreement_changed", facts, link=f"/agreements/{data['agreement_id']}"
    )


def on_instruction_concern(event: Envelope, data: dict[str, Any]) -> Plan:
    """DPA-14: the processor's concern reaches the controller; the controller's answer reaches
    the processor (and is confirmed to the controller)."""
    verb = event.type.split(".")[3]
    facts: dict[str, Any] = {
        k: data[k]
        for k in ("agreement_id", "instruction_id", "number", "outcome", "replacement_id")
        if k in data and data[k] is not None
    }
    link = f"/agreements/{data['agreement_id']}/instructions"
    parties = (
        [str(data["controller_id"])]
        if verb == "reported"
        else [str(data["processor_id"]), str(data["controller_id"])]
    )
    told = base(
        event,
        notice="instruction_concern" if verb == "reported" else "instruction_concern_answered",
        topic=Topic.agreement,
        organisation_id=event.tenantid,
        facts=facts,
        link=link,
        thread_id=str(data["instruction_id"]),
    )
    # Filed under the controller; the processor's copy has a cause of its own (exactly once each).
    return Plan(
        notices=[
            told
            if organisation == event.tenantid
            else replace(told, organisation_id=organisation, cause=f"{told.cause}/{organisation}")
            for organisation in parties
        ]
    )


def on_agreement_signed(event: Envelope, data: dict[str, Any]) -> Plan:
    """Once both parties signed an agreement's first version, each must be reachable about a
    breach: a party without a breach contact gets both parties warned (USE-3, TOM-O4)."""
    if not data.get("fully_signed") or data.get("version") != 1:
        return Plan()
    agreement_id = str(data["agreement_id"])
    warning = base(
        event,
        notice="breach_contact_missing",
        topic=Topic.agreement,
        organisation_id=event.tenantid,
        facts={"agreement_id": agreement_id, "version": 1},
        link="/organisation/contacts",
        thread_id=agreement_id,
        to_admins=True,
    )
    parties = {
        "controller": str(data["controller_id"]),
        "processor": str(data["processor_id"]),
    }
    return Plan(checks=[ContactCheck(Topic.breach, parties, warning)])


def on_instruction_issued(event: Envelope, data: dict[str, Any]) -> Plan:
    """A new documented instruction reaches the processor, which must follow it (DPA-1)."""
    processor = data.get("processor_id")
    if not processor:
        return Plan()
    facts = {k: data[k] for k in ("agreement_id", "instruction_id", "number") if k in data}
    notice = base(
        event,
        notice="instruction_issued",
        topic=Topic.agreement,
        organisation_id=str(processor),
        facts=facts,
        link=f"/agreements/{data['agreement_id']}/instructions",
        thread_id=str(data["instruction_id"]),
    )
    return Plan(notices=[replace(notice, cause=f"{notice.cause}/{processor}")])


def _agreement_notice(event: Envelope, notice: str, facts: dict[str, Any], *, link: str) -> Plan:
    """A notice to the controller (the events' tenant) and, where the event names it, the same
    notice to the processor: both parties hear of what changes in their agreement."""
    told = base(
        event,
        notice=notice,
        topic=Topic.agreement,
        organisation_id=event.tenantid,
        facts=facts,
        link=link,
        thread_id=str(facts["agreement_id"]),
    )
    processor = str(event.data.get("processor_id") or "")
    notices = [told]
    if processor and processor != event.tenantid:
        notices.append(replace(told, organisation_id=processor, cause=f"{told.cause}/{processor}"))
    return Plan(notices=notices)
