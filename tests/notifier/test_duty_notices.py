"""Notices of what the parties owe each other beside instructions: the processor's privacy
notice reaches the controller and the controller's answer the processor (DPA-10)."""

import uuid

from shared.events.contracts.agreements import PrivacyNoticeReviewed, PrivacyNoticeSubmitted
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
