"""Subprocessor-change alerts: the change as registered, the objection deadline and the way to
object, reminders before the deadline, the outcome confirmed to both parties (DPA-5, USE-3)."""

import uuid
from datetime import UTC, date, datetime, timedelta

from services.notifier import templates
from services.notifier.domain import RETRY_DELAYS, Locale
from shared.events.contracts.agreements import (
    AgreementStatusChanged,
    DisclosureRecorded,
    InstructionConcernAnswered,
    InstructionConcernRaised,
    InstructionIssued,
    SubprocessorNoticeDecided,
    SubprocessorNoticeIssued,
)
from shared.events.subjects import PLATFORM_TENANT
from tests.notifier.conftest import Notifier, event
from tests.support.platform import eventually


def change_notice(controller: str, processor: str, deadline: datetime) -> SubprocessorNoticeIssued:
    return SubprocessorNoticeIssued(
        agreement_id=uuid.uuid4(),
        notice_id=uuid.uuid4(),
        change_id=uuid.uuid4(),
        processor_id=uuid.UUID(processor),
        controller_id=uuid.UUID(controller),
        kind="add",
        authorisation="general",
        subprocessor="Hosting NV",
        service="managed PostgreSQL hosting",
        location="Brussels, BE",
        transfer_mechanism="none: processing inside the EEA",
        effective_date=date(2026, 6, 1),
        data_categories=["contact data", "case files"],
        objection_deadline=deadline,
        silence_is_acceptance=True,
    )


async def _mail_count(notifier: Notifier, address: str, count: int) -> bool:
    return len(notifier.mail_to(address)) >= count


async def test_change_alert_reminders_and_outcome_reach_both_parties__DPA_5_USE_3(
    notifier: Notifier,
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(controller, ["subprocessor"], email="dpo@gemeente.example", locale="fr")
    await notifier.contact(processor, ["subprocessor"], email="privacy@leverancier.example")
    now = datetime.now(UTC)
    deadline = now + timedelta(days=30)
    data = change_notice(controller, processor, deadline)
    issued = event("dpa.agreements.subprocessor_notice.issued.v1", controller, data)
    await notifier.publish(issued)
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 1))
    await notifier.settled(controller)

    [alert] = notifier.mail_to("dpo@gemeente.example")
    assert "objection possible" in str(alert["Subject"])
    text = alert.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    link = (
        f"https://pactum.test/agreements/{data.agreement_id}/subprocessor-notices/{data.notice_id}"
    )
    for fact in (str(data.change_id), "add", "general", "1 juin 2026", "contact data, case files",
                 "Hosting NV", "managed PostgreSQL hosting", "Brussels, BE",
                 "none: processing inside the EEA",
                 templates.moment(deadline, Locale.fr), link, str(issued.id)):  # fmt: skip
        assert fact in text, fact

    await notifier.tick(deadline - timedelta(days=6))
    await notifier.tick(deadline - timedelta(days=6))
    assert len(notifier.mail_to("dpo@gemeente.example")) == 2
    assert "Rappel" in str(notifier.mail_to("dpo@gemeente.example")[1]["Subject"])

    decided = SubprocessorNoticeDecided(
        agreement_id=data.agreement_id,
        notice_id=data.notice_id,
        change_id=data.change_id,
        decision="objected",
    )
    objected = event(
        "dpa.agreements.subprocessor_notice.objected.v1",
        controller,
        decided,
        source="/dpa/agreements",
    )
    await notifier.publish(objected)
    await eventually(lambda: _mail_count(notifier, "privacy@leverancier.example", 1))
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 3))
    [confirmation] = notifier.mail_to("privacy@leverancier.example")
    assert "bezwaar geregistreerd" in str(confirmation["Subject"])  # Dutch: no language chosen
    assert confirmation["X-Pactum-Event-Id"] == str(objected.id)

    await notifier.settled(controller)
    await notifier.tick(deadline - timedelta(hours=12))  # closed: no last-day reminder
    assert len(notifier.mail_to("dpo@gemeente.example")) == 3
    await eventually(lambda: notifier.evidence(processor, "dpa.notifier.notice.issued.v1"))


async def test_a_notice_without_a_contact_for_its_topic_goes_to_the_admins__USE_3_TOM_O4(
    notifier: Notifier,
) -> None:
    """No contact registered for subprocessor changes: the organisation's admins are told (as
    identity lists them at send time), and the evidence names that delivery."""
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(
        controller, ["breach"], email="breach@gemeente.example"
    )  # not this topic
    data = change_notice(controller, processor, datetime.now(UTC) + timedelta(days=30))
    await notifier.publish(event("dpa.agreements.subprocessor_notice.issued.v1", controller, data))
    [issued] = await eventually(
        lambda: notifier.evidence(controller, "dpa.notifier.notice.issued.v1")
    )
    [delivery] = await notifier.deliveries(organisation_id=controller)
    assert (delivery.recipient, delivery.channel.value) == (f"admins:{controller}", "email")
    assert delivery.message["admins_of"] == controller
    assert issued.data["delivery_ids"] == [str(delivery.id)]
    assert issued.data["notice"] == "subprocessor_change"
    assert notifier.mail_to("breach@gemeente.example") == []


async def test_a_notice_that_reached_nobody_raises_an_operator_alert__USE_3(
    notifier: Notifier,
) -> None:
    """Its only delivery (the admins: identity never answers here) gives up: the operator is
    alerted once, under ``platform``, naming the organisation by id and no address."""
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    data = change_notice(controller, processor, datetime.now(UTC) + timedelta(days=30))
    await notifier.publish(event("dpa.agreements.subprocessor_notice.issued.v1", controller, data))
    await notifier.settled_or_pending(controller)
    [delivery] = await notifier.deliveries(organisation_id=controller)
    moment = datetime.now(UTC)
    for delay in RETRY_DELAYS:
        moment += delay + timedelta(seconds=1)
        await notifier.tick(moment)
    [given_up] = await notifier.deliveries(id=delivery.id)
    assert given_up.status.value == "failed"
    [alert] = await eventually(
        lambda: notifier.evidence(PLATFORM_TENANT, "dpa.notifier.notice.failed.v1")
    )
    assert alert.data == {
        "notice": "subprocessor_change",
        "cause": delivery.cause,
        "thread_id": str(data.notice_id),
        "organisation_id": controller,
        "reason": "every_delivery_failed",
    }


async def test_a_disclosure_is_announced_unless_the_law_forbids_telling__DPA_4a(
    notifier: Notifier,
) -> None:
    controller = str(uuid.uuid4())
    await notifier.contact(controller, ["agreement"], email="dpo@gemeente.example", locale="en")
    agreement = uuid.uuid4()
    gagged = DisclosureRecorded(
        agreement_id=agreement,
        disclosure_id=uuid.uuid4(),
        controller_informed=False,
        prohibited_by_law=True,
    )
    told = DisclosureRecorded(
        agreement_id=agreement,
        disclosure_id=uuid.uuid4(),
        controller_informed=True,
        prohibited_by_law=False,
    )
    silent = event("dpa.agreements.disclosure.reported.v1", controller, gagged)
    await notifier.publish(silent)
    await notifier.publish(event("dpa.agreements.disclosure.reported.v1", controller, told))

    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 1))
    await eventually(lambda: notifier.platform.receipts(event_id=silent.id))
    [mail] = notifier.mail_to("dpo@gemeente.example")
    assert "disclosure" in str(mail["Subject"])
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert str(told.disclosure_id) in text and str(gagged.disclosure_id) not in text


async def test_a_flagged_instruction_reaches_the_controller_and_its_answer_the_processor__DPA_14(
    notifier: Notifier,
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(controller, ["agreement"], email="juridisch@gemeente.example")
    await notifier.contact(processor, ["agreement"], email="privacy@leverancier.example")
    agreement, instruction = uuid.uuid4(), uuid.uuid4()
    parties = {"controller_id": uuid.UUID(controller), "processor_id": uuid.UUID(processor)}
    raised = InstructionConcernRaised(
        agreement_id=agreement, instruction_id=instruction, number=3, **parties
    )
    await notifier.publish(
        event("dpa.agreements.instruction_concern.reported.v1", controller, raised)
    )
    await eventually(lambda: _mail_count(notifier, "juridisch@gemeente.example", 1))
    [concern] = notifier.mail_to("juridisch@gemeente.example")
    assert str(concern["Subject"]) == (
        "De verwerker acht instructie 3 strijdig met de AVG: ze is opgeschort"
    )
    assert notifier.mail_to("privacy@leverancier.example") == []

    answered = InstructionConcernAnswered(
        agreement_id=agreement, instruction_id=instruction, number=3, outcome="withdrawn", **parties
    )
    await notifier.publish(
        event("dpa.agreements.instruction_concern.closed.v1", controller, answered)
    )
    await eventually(lambda: _mail_count(notifier, "privacy@leverancier.example", 1))
    await eventually(lambda: _mail_count(notifier, "juridisch@gemeente.example", 2))
    [answer] = notifier.mail_to("privacy@leverancier.example")
    assert str(answer["Subject"]) == ("Instructie 3 na het bezwaar van de verwerker: ingetrokken")
    text = answer.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/agreements/{agreement}/instructions" in text


async def test_the_processor_hears_of_new_instructions_amendments_and_termination(
    notifier: Notifier,
) -> None:
    """Both parties are told of what changes in their agreement, not only the controller."""
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(controller, ["agreement"], email="juridisch@gemeente.example")
    await notifier.contact(processor, ["agreement"], email="privacy@leverancier.example")
    agreement = uuid.uuid4()
    issued = InstructionIssued(
        agreement_id=agreement, instruction_id=uuid.uuid4(), number=1, processor_id=processor
    )
    await notifier.publish(event("dpa.agreements.instruction.issued.v1", controller, issued))
    ended = AgreementStatusChanged(
        agreement_id=agreement, status="terminated", version=1, processor_id=processor
    )
    await notifier.publish(event("dpa.agreements.agreement.terminated.v1", controller, ended))
    await eventually(lambda: _mail_count(notifier, "privacy@leverancier.example", 2))
    subjects = sorted(str(m["Subject"]) for m in notifier.mail_to("privacy@leverancier.example"))
    assert subjects == [
        "Nieuwe instructie 1 van de verwerkingsverantwoordelijke",
        "Verwerkersovereenkomst: overeenkomst beëindigd",
    ]
    await eventually(lambda: _mail_count(notifier, "juridisch@gemeente.example", 1))
    [told] = notifier.mail_to("juridisch@gemeente.example")  # no mail of its own instruction
    assert str(told["Subject"]) == "Verwerkersovereenkomst: overeenkomst beëindigd"
