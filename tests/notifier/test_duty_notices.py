"""Notices of what the parties owe each other beside instructions: the processor's privacy
notice reaches the controller and the controller's answer the processor (DPA-10); a data subject's
request forwarded reaches the controller, a late assistance both parties (DPA-15); a request to
intervene in a claim reaches the processor and its answer the controller (DPA-19); a processor
measure whose status changes reaches the controller, a review's follow-up the processor and its
closing both parties (DPA-18)."""

import uuid
from datetime import UTC, datetime, timedelta

from shared.events.contracts.agreements import (
    AssistanceRequestStep,
    ClosureDeadlineStep,
    DestructionAttested,
    MeasureReviewStep,
    MeasureUpdated,
    PrivacyNoticeReviewed,
    PrivacyNoticeSubmitted,
    SubjectRequestForwarded,
    SubjectRequestStep,
)
from tests.notifier.conftest import Notifier, event
from tests.notifier.test_subprocessor_alerts import _mail_count
from tests.support.platform import eventually


async def test_dpa_10_a_privacy_notice_reaches_the_controller_and_its_answer_the_processor(
    notifier: Notifier,
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(controller, ["agreement"], email="dpo@gemeente.example")
    await notifier.contact(
        processor, ["agreement"], email="privacy@leverancier.example", locale="fr"
    )
    agreement, notice = uuid.uuid4(), uuid.uuid4()
    parties = {"controller_id": uuid.UUID(controller), "processor_id": uuid.UUID(processor)}
    submitted = PrivacyNoticeSubmitted(
        agreement_id=agreement, notice_id=notice, version=2, **parties
    )
    await notifier.publish(
        event("dpa.agreements.privacy_notice.proposed.v1", controller, submitted)
    )
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 1))
    [asked] = notifier.mail_to("dpo@gemeente.example")
    assert str(asked["Subject"]) == "Privacyverklaring van de verwerker, versie 2: ter goedkeuring"
    text = asked.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/agreements/{agreement}/privacy-notice" in text
    assert notifier.mail_to("privacy@leverancier.example") == []

    commented = PrivacyNoticeReviewed(
        agreement_id=agreement, notice_id=notice, version=2, review="commented", **parties
    )
    await notifier.publish(
        event("dpa.agreements.privacy_notice.commented.v1", controller, commented)
    )
    await eventually(lambda: _mail_count(notifier, "privacy@leverancier.example", 1))
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 2))
    [answer] = notifier.mail_to("privacy@leverancier.example")
    assert str(answer["Subject"]) == (
        "Déclaration de confidentialité du sous-traitant, version 2 : commentée"
    )


async def test_dpa_15_a_forwarded_request_reaches_the_controller_and_a_late_one_both_parties(
    notifier: Notifier,
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(controller, ["agreement"], email="dpo@gemeente.example", locale="en")
    await notifier.contact(processor, ["agreement"], email="privacy@leverancier.example")
    agreement, request = uuid.uuid4(), uuid.uuid4()
    parties = {"controller_id": uuid.UUID(controller), "processor_id": uuid.UUID(processor)}
    moment = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    forwarded = SubjectRequestForwarded(
        agreement_id=agreement,
        request_id=request,
        number=1,
        right="erasure",
        received_at=moment,
        due_at=moment + timedelta(days=7),
        answer_by=moment + timedelta(days=31),
        **parties,
    )
    await notifier.publish(
        event("dpa.agreements.subject_request.forwarded.v1", controller, forwarded)
    )
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 1))
    await eventually(lambda: _mail_count(notifier, "privacy@leverancier.example", 1))
    [told] = notifier.mail_to("dpo@gemeente.example")
    assert " ".join(str(told["Subject"]).split()) == (
        "A data subject's request (erasure) forwarded: answer by 7 January 2027 at 10:00 "
        "(Brussels time)"
    )
    text = told.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/agreements/{agreement}/subject-requests" in text

    late = SubjectRequestStep(
        agreement_id=agreement, request_id=request, number=1, due_at=moment, **parties
    )
    await notifier.publish(event("dpa.agreements.subject_request.expired.v1", controller, late))
    await eventually(lambda: _mail_count(notifier, "privacy@leverancier.example", 2))
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 2))
    reminder = notifier.mail_to("privacy@leverancier.example")[1]
    assert str(reminder["Subject"]).startswith("Hulp bij verzoek 1 van een betrokkene te laat")


async def test_dpa_19_a_request_to_intervene_reaches_the_processor_and_its_answer_the_controller(
    notifier: Notifier,
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(controller, ["agreement"], email="dpo@gemeente.example")
    await notifier.contact(
        processor, ["agreement"], email="privacy@leverancier.example", locale="en"
    )
    parties = {"controller_id": uuid.UUID(controller), "processor_id": uuid.UUID(processor)}
    step = AssistanceRequestStep(
        agreement_id=uuid.uuid4(), request_id=uuid.uuid4(), number=4, kind="claim", **parties
    )
    await notifier.publish(
        event("dpa.agreements.claim_intervention.requested.v1", controller, step)
    )
    await eventually(lambda: _mail_count(notifier, "privacy@leverancier.example", 1))
    [asked] = notifier.mail_to("privacy@leverancier.example")
    assert " ".join(str(asked["Subject"]).split()) == (
        "The controller asks for your help (intervention in a data subject's claim), request 4"
    )
    answered = step.model_copy(update={"intervenes": True})
    await notifier.publish(
        event("dpa.agreements.claim_intervention.answered.v1", controller, answered)
    )
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 2))
    answer = notifier.mail_to("dpo@gemeente.example")[1]
    assert " ".join(str(answer["Subject"]).split()) == (
        "De verwerker beantwoordde verzoek 4 (tussenkomst in een schadeclaim van een betrokkene)"
    )


async def test_dpa_13_the_end_reminds_both_parties_and_the_attestation_reaches_the_controller(
    notifier: Notifier,
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(controller, ["agreement"], email="dpo@gemeente.example", locale="en")
    await notifier.contact(processor, ["agreement"], email="privacy@leverancier.example")
    agreement = uuid.uuid4()
    parties = {"controller_id": uuid.UUID(controller), "processor_id": uuid.UUID(processor)}
    terminated = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    step = ClosureDeadlineStep(
        agreement_id=agreement,
        terminated_at=terminated,
        due_at=terminated + timedelta(days=30),
        outstanding=["controller_choice", "processor_attestation"],
        **parties,
    )
    await notifier.publish(event("dpa.agreements.closure_deadline.announced.v1", controller, step))
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 1))
    await eventually(lambda: _mail_count(notifier, "privacy@leverancier.example", 1))
    [soon] = notifier.mail_to("dpo@gemeente.example")
    assert " ".join(str(soon["Subject"]).split()) == (
        "The data must be returned or destroyed by 6 January 2027 at 10:00 (Brussels time)"
    )
    text = soon.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/agreements/{agreement}/end" in text

    await notifier.publish(event("dpa.agreements.closure_deadline.expired.v1", controller, step))
    await eventually(lambda: _mail_count(notifier, "privacy@leverancier.example", 2))
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 2))
    late = notifier.mail_to("privacy@leverancier.example")[1]
    assert str(late["Subject"]).startswith("Termijn verstreken")

    attested = DestructionAttested(
        agreement_id=agreement,
        attestation_id=uuid.uuid4(),
        items=2,
        backups=1,
        backups_expire_by=terminated + timedelta(days=40),
        **parties,
    )
    await notifier.publish(
        event("dpa.agreements.destruction_attestation.signed.v1", controller, attested)
    )
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 3))
    told = notifier.mail_to("dpo@gemeente.example")[2]
    assert str(told["Subject"]) == (
        "The processor attested what it destroyed or returned (2 items, 1 of them backups)"
    )


def _review(agreement: uuid.UUID, controller: str, processor: str) -> MeasureReviewStep:
    """The controller's review of TOM-T5 on 7 December 2026, follow-up due on the 21st."""
    return MeasureReviewStep(
        agreement_id=agreement,
        review_id=uuid.uuid4(),
        measure_id="TOM-T5",
        reviewed_on=datetime(2026, 12, 7, tzinfo=UTC).date(),
        follow_up_due_on=datetime(2026, 12, 21, tzinfo=UTC).date(),
        controller_id=uuid.UUID(controller),
        processor_id=uuid.UUID(processor),
    )


async def test_dpa_18_the_controller_hears_when_a_processor_measure_status_changes(
    notifier: Notifier,
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(controller, ["agreement"], email="dpo@gemeente.example", locale="en")
    await notifier.contact(processor, ["agreement"], email="privacy@leverancier.example")
    agreement = uuid.uuid4()
    for previous, status in (("implemented", "implemented"), ("implemented", "partial")):
        stated = MeasureUpdated(
            agreement_id=agreement,
            measure_id="TOM-T5",
            status=status,
            previous_status=previous,
            controller_id=uuid.UUID(controller),
        )
        await notifier.publish(event("dpa.agreements.measure.updated.v1", controller, stated))
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 1))
    [told] = notifier.mail_to("dpo@gemeente.example")
    assert str(told["Subject"]) == "Annex 2 measure TOM-T5 is now partial (was implemented)"
    text = told.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/agreements/{agreement}/annexes#measure-TOM-T5" in text
    assert notifier.mail_to("privacy@leverancier.example") == []

    review = _review(agreement, controller, processor)
    await notifier.publish(event("dpa.agreements.measure_review.reported.v1", controller, review))
    await eventually(lambda: _mail_count(notifier, "privacy@leverancier.example", 1))
    [asked] = notifier.mail_to("privacy@leverancier.example")
    assert str(asked["Subject"]) == "Toezicht op maatregel TOM-T5: opvolging tegen 21 december 2026"
    assert len(notifier.mail_to("dpo@gemeente.example")) == 1  # the unchanged one told no one


async def test_dpa_18_a_closed_review_reaches_the_controller_and_the_processor(
    notifier: Notifier,
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(controller, ["agreement"], email="dpo@gemeente.example", locale="fr")
    await notifier.contact(processor, ["agreement"], email="privacy@leverancier.example")
    agreement = uuid.uuid4()
    review = _review(agreement, controller, processor)
    await notifier.publish(event("dpa.agreements.measure_review.closed.v1", controller, review))
    await eventually(lambda: _mail_count(notifier, "privacy@leverancier.example", 1))
    await eventually(lambda: _mail_count(notifier, "dpo@gemeente.example", 1))
    [processor_told] = notifier.mail_to("privacy@leverancier.example")
    assert str(processor_told["Subject"]) == "Toezicht op maatregel TOM-T5 afgesloten"
    [controller_told] = notifier.mail_to("dpo@gemeente.example")
    assert str(controller_told["Subject"]) == "Contrôle de la mesure TOM-T5 clôturé"
    for told in (processor_told, controller_told):
        text = told.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        assert f"/agreements/{agreement}/supervision" in text
