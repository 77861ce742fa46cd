"""Notices of what the parties owe each other under the agreement beyond instructions: the
processor's privacy notice submitted to the controller and its answer (DPA-10).

A request reaches the party that must answer it; the answer reaches the party that asked, and is
confirmed to the controller, under whose tenant the events are filed. Each party's copy has a
cause of its own, so each is told exactly once.
"""

from dataclasses import replace
from typing import Any

from services.notifier.domain import Topic
from services.notifier.notices import Plan, base
from shared.events import Envelope


def _told(
    event: Envelope,
    data: dict[str, Any],
    *,
    notice: str,
    parties: list[str],
    facts: tuple[str, ...],
    link: str,
    thread: str,
) -> Plan:
    told = base(
        event,
        notice=notice,
        topic=Topic.agreement,
        organisation_id=event.tenantid,
        facts={key: data[key] for key in facts if data.get(key) is not None},
        link=link,
        thread_id=thread,
    )
    return Plan(
        notices=[
            told
            if organisation == event.tenantid
            else replace(told, organisation_id=organisation, cause=f"{told.cause}/{organisation}")
            for organisation in (str(data[f"{party}_id"]) for party in parties)
        ]
    )


def on_privacy_notice(event: Envelope, data: dict[str, Any]) -> Plan:
    """DPA-10: a submitted version reaches the controller; its answer reaches the processor."""
    submitted = event.type.split(".")[3] == "proposed"
    return _told(
        event,
        data,
        notice="privacy_notice_submitted" if submitted else "privacy_notice_answered",
        parties=["controller"] if submitted else ["processor", "controller"],
        facts=("agreement_id", "version", "review"),
        link=f"/agreements/{data['agreement_id']}/privacy-notice",
        thread=str(data["agreement_id"]),
    )


def on_subject_request(event: Envelope, data: dict[str, Any]) -> Plan:
    """DPA-15: a forwarded request reaches the controller (and confirms the processor's
    deadline to it); assistance reaches the controller; the closure reaches the processor; a
    missed deadline reminds both."""
    verb = event.type.split(".")[3]
    notice, parties = {
        "forwarded": ("subject_request", ["controller", "processor"]),
        "assisted": ("subject_request_assisted", ["controller"]),
        "closed": ("subject_request_closed", ["processor", "controller"]),
        "expired": ("subject_request_overdue", ["processor", "controller"]),
    }[verb]
    return _told(
        event,
        data,
        notice=notice,
        parties=parties,
        facts=(
            "agreement_id", "number", "right", "received_at", "due_at", "answer_by", "late",
            "outcome",
        ),
        link=f"/agreements/{data['agreement_id']}/subject-requests",
        thread=str(data["request_id"]),
    )  # fmt: skip


def on_assistance_request(event: Envelope, data: dict[str, Any]) -> Plan:
    """DPA-16, DPA-19: the controller's request reaches the processor; its answer reaches the
    controller (and is confirmed to the processor)."""
    asked = event.type.split(".")[3] == "requested"
    return _told(
        event,
        data,
        notice="assistance_requested" if asked else "assistance_answered",
        parties=["processor", "controller"] if asked else ["controller", "processor"],
        facts=("agreement_id", "number", "kind", "due_on", "intervenes"),
        link=f"/agreements/{data['agreement_id']}/assistance",
        thread=str(data["request_id"]),
    )


def on_end_of_processing(event: Envelope, data: dict[str, Any]) -> Plan:
    """DPA-13: the processor's attestation reaches the controller (and confirms it to the
    processor); the return-or-destruction deadline, approaching or passed, reminds both."""
    notice = {
        "destruction_attestation.signed": "destruction_attested",
        "closure_deadline.announced": "closure_deadline_approaching",
        "closure_deadline.expired": "closure_deadline_passed",
    }[".".join(event.type.split(".")[2:4])]
    return _told(
        event,
        data | {"return_by": data.get("due_at")},
        notice=notice,
        parties=["controller", "processor"],
        facts=("agreement_id", "return_by", "outstanding", "items", "backups", "backups_expire_by"),
        link=f"/agreements/{data['agreement_id']}/end",
        thread=str(data["agreement_id"]),
    )


def on_measure_stated(event: Envelope, data: dict[str, Any]) -> Plan:
    """DPA-18: the controller supervises the processor's measures, so it is told when an Annex 2
    measure's status changes (a statement that keeps the status tells no one)."""
    previous = data.get("previous_status") or "planned"
    if previous == data["status"] or not data.get("controller_id"):
        return Plan()
    return _told(
        event,
        data | {"previous_status": previous},
        notice="measure_status_changed",
        parties=["controller"],
        facts=("agreement_id", "measure_id", "status", "previous_status"),
        link=f"/agreements/{data['agreement_id']}/annexes#measure-{data['measure_id']}",
        thread=str(data["agreement_id"]),
    )


def on_measure_review(event: Envelope, data: dict[str, Any]) -> Plan:
    """DPA-18: a review that asks a follow-up of the processor reaches the processor; the
    controller closing a review (its follow-up done, or none needed) reaches both parties, so
    the processor knows its measure is no longer under review and the controller has it on file."""
    if event.type.split(".")[3] == "closed":
        return _told(
            event,
            data,
            notice="measure_review_closed",
            parties=["controller", "processor"],
            facts=("agreement_id", "measure_id", "reviewed_on"),
            link=f"/agreements/{data['agreement_id']}/supervision",
            thread=str(data["review_id"]),
        )
    if data.get("follow_up_due_on") is None:
        return Plan()
    return _told(
        event,
        data,
        notice="measure_review_reported",
        parties=["processor"],
        facts=("agreement_id", "measure_id", "reviewed_on", "follow_up_due_on"),
        link=f"/agreements/{data['agreement_id']}/supervision",
        thread=str(data["review_id"]),
    )
