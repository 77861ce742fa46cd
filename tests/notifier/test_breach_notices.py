"""Breach notices: every channel at once, the controller's deadline, reminders until it acts,
follow-ups in the same thread, acknowledgement, exactly once (TOM-O4, USE-3, art. 33(2)/(4))."""

import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from services.notifier.domain import Locale
from services.notifier.templates import moment
from shared.events.contracts.agreements import (
    AgreementSigned,
    AuthorityNotificationRecorded,
    BreachNoticeIssued,
    BreachUpdated,
)
from shared.events.contracts.notifier import NoticeIssued
from tests.notifier.conftest import Notifier, Receiver, event
from tests.support.platform import eventually

T = TypeVar("T")


def breach_notice(controller: str, *, notified_at: datetime | None = None) -> BreachNoticeIssued:
    notified = notified_at or datetime.now(UTC)
    return BreachNoticeIssued(
        agreement_id=uuid.uuid4(),
        breach_id=uuid.uuid4(),
        notice_id=uuid.uuid4(),
        processor_id=uuid.uuid4(),
        controller_id=uuid.UUID(controller),
        aware_at=notified - timedelta(hours=3),
        notified_at=notified,
        processor_deadline=notified + timedelta(hours=45),
        processor_late=False,
        authority_deadline=notified + timedelta(hours=72),
        data_categories=["contact data"],
        data_subject_categories=["citizens"],
        approx_data_subjects=120,
        approx_records=480,
    )


def breach_update(data: BreachNoticeIssued) -> BreachUpdated:
    """Phase 2 of the breach ``data`` notified: its consequences and measures changed."""
    return BreachUpdated(
        agreement_id=data.agreement_id,
        breach_id=data.breach_id,
        notice_id=data.notice_id,
        phase=2,
        fields=["consequences", "measures"],
    )


async def test_breach_notice_reaches_every_channel_with_the_controllers_deadline__TOM_O4_USE_3(
    notifier: Notifier, receiver: Receiver
) -> None:
    controller = str(uuid.uuid4())
    await notifier.contact(controller, ["breach"], email="dpo@gemeente.example", user_id="u-dpo")
    await notifier.contact(controller, ["subprocessor"], email="other@gemeente.example")
    await notifier.endpoint(controller, receiver, ["breach"])
    data = breach_notice(controller)
    issued = event("dpa.agreements.breach_notice.issued.v1", controller, data)

    await notifier.publish(issued)

    await eventually(lambda: _async(notifier.mail_to("dpo@gemeente.example")))
    await eventually(lambda: _async(receiver.verified_calls()))
    [mail] = notifier.mail_to("dpo@gemeente.example")
    assert _shown(data.authority_deadline) in " ".join(str(mail["Subject"]).split())
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert str(issued.id) in text and f"https://pactum.test/breaches/{data.breach_id}" in text
    for fact in ("contact data", "citizens", "120", "480", _shown(data.aware_at)):
        assert fact in text
    assert mail["X-Pactum-Event-Id"] == str(issued.id)
    assert mail.get_body(preferencelist=("html",)) is not None
    assert notifier.mail_to("other@gemeente.example") == []  # not a breach contact
    [call] = receiver.verified_calls()
    assert call.json["data"]["event_id"] == str(issued.id)
    deadline = call.json["data"]["facts"]["authority_deadline"]
    assert datetime.fromisoformat(deadline) == data.authority_deadline
    [item] = await notifier.inbox(user_id="u-dpo")
    assert item.thread_id == str(data.notice_id) and str(issued.id) in item.text

    await notifier.settled(controller)
    [notice] = await eventually(
        lambda: notifier.evidence(controller, "dpa.notifier.notice.issued.v1")
    )
    assert NoticeIssued.model_validate(notice.data).channels == ["email", "inbox", "webhook"]
    delivered = await eventually(
        lambda: _at_least(3, notifier.evidence(controller, "dpa.notifier.delivery.delivered.v1"))
    )
    assert {entry.data["channel"] for entry in delivered} == {"email", "inbox", "webhook"}


async def test_redelivered_breach_event_never_sends_twice__ARCH_2_TOM_O4(
    notifier: Notifier, receiver: Receiver
) -> None:
    controller = str(uuid.uuid4())
    await notifier.contact(controller, ["breach"], email="dpo@stad.example")
    await notifier.endpoint(controller, receiver, ["breach"])
    issued = event("dpa.agreements.breach_notice.issued.v1", controller, breach_notice(controller))

    await notifier.publish(issued, msg_id=False)
    await notifier.publish(issued, msg_id=False)  # the stream keeps both: the consumer must dedup
    await eventually(lambda: notifier.platform.receipts(event_id=issued.id))
    await notifier.settled(controller)
    await notifier.tick(datetime.now(UTC) + timedelta(minutes=1))

    assert len(notifier.mail_to("dpo@stad.example")) == 1
    assert len(receiver.calls) == 1
    assert len(await notifier.deliveries(organisation_id=controller)) == 2


async def test_breach_notice_cannot_be_muted_while_a_routine_notice_can__USE_3(
    notifier: Notifier,
) -> None:
    controller = str(uuid.uuid4())
    await notifier.contact(controller, ["breach", "security"], user_id="u-1", locale="en")
    response = await notifier.client.put(
        "/notifier/preferences",
        json={"muted_topics": ["breach", "security"], "muted_channels": ["inbox"]},
        headers=notifier.auth(
            controller,
            "u-1",
        ),
    )
    assert response.status_code == 200, response.text
    from shared.events.contracts.identity import GrantDecided

    grant = event(
        "dpa.identity.grant.expired.v1",
        controller,
        GrantDecided(grant_id=uuid.uuid4(), operator_id=uuid.uuid4()),
        source="/dpa/identity",
    )
    await notifier.publish(grant)
    await notifier.publish(
        event("dpa.agreements.breach_notice.issued.v1", controller, breach_notice(controller))
    )

    [item] = await eventually(lambda: notifier.inbox(user_id="u-1"))
    assert item.notice == "breach"
    await eventually(lambda: notifier.platform.receipts(event_id=grant.id))
    assert [i.notice for i in await notifier.inbox(user_id="u-1")] == ["breach"]


async def test_reminders_at_24_48_and_60_hours_stop_once_the_authority_is_notified__TOM_O4(
    notifier: Notifier,
) -> None:
    controller = str(uuid.uuid4())
    await notifier.contact(controller, ["breach"], email="dpo@dorp.example", locale="en")
    started = datetime.now(UTC)
    data = breach_notice(controller, notified_at=started)
    await notifier.publish(event("dpa.agreements.breach_notice.issued.v1", controller, data))
    await notifier.settled(controller)

    assert await notifier.tick(started + timedelta(hours=23)) == 0
    await notifier.tick(started + timedelta(hours=24, minutes=1))
    await notifier.tick(started + timedelta(hours=24, minutes=2))  # the same point: nothing more
    subjects = [str(m["Subject"]) for m in notifier.mail_to("dpo@dorp.example")]
    assert len(subjects) == 2 and "47 hours left" in subjects[1]

    await notifier.tick(started + timedelta(hours=48, minutes=1))
    assert len(notifier.mail_to("dpo@dorp.example")) == 3
    recorded = AuthorityNotificationRecorded(
        agreement_id=data.agreement_id,
        breach_id=data.breach_id,
        notice_id=data.notice_id,
        notified_authority=True,
        notified_at=started + timedelta(hours=50),
        late=False,
    )
    reported = event("dpa.agreements.authority_notification.reported.v1", controller, recorded)
    await notifier.publish(reported)
    await eventually(lambda: notifier.platform.receipts(event_id=reported.id))

    await notifier.tick(started + timedelta(hours=60, minutes=1))
    assert len(notifier.mail_to("dpo@dorp.example")) == 3
    threads = {m["X-Pactum-Thread-Id"] for m in notifier.mail_to("dpo@dorp.example")}
    assert threads == {str(data.notice_id)}


async def test_an_authority_notification_arriving_before_the_notice_stops_its_reminders__TOM_O4(
    notifier: Notifier,
) -> None:
    """Two replicas of agreements publish their own outboxes: the controller's decision can reach
    the stream before the notice it answers. The notice still goes out; no reminder follows."""
    controller = str(uuid.uuid4())
    await notifier.contact(controller, ["breach"], email="dpo@vroeg.example", locale="en")
    started = datetime.now(UTC)
    data = breach_notice(controller, notified_at=started)
    recorded = AuthorityNotificationRecorded(
        agreement_id=data.agreement_id,
        breach_id=data.breach_id,
        notice_id=data.notice_id,
        notified_authority=False,
        notified_at=started + timedelta(hours=1),
        late=False,
    )
    reported = event("dpa.agreements.authority_notification.reported.v1", controller, recorded)
    await notifier.publish(reported)
    await eventually(lambda: notifier.platform.receipts(event_id=reported.id))
    await notifier.publish(event("dpa.agreements.breach_notice.issued.v1", controller, data))
    await notifier.settled(controller)
    assert len(notifier.mail_to("dpo@vroeg.example")) == 1

    for hours in (24, 48, 60):
        assert await notifier.tick(started + timedelta(hours=hours, minutes=1)) == 0
    assert len(notifier.mail_to("dpo@vroeg.example")) == 1


async def test_a_restart_resumes_pending_reminders__TOM_O4(
    notifier: Notifier,
) -> None:
    controller = str(uuid.uuid4())
    await notifier.contact(controller, ["breach"], email="dpo@herstart.example")
    started = datetime.now(UTC)
    await notifier.publish(
        event("dpa.agreements.breach_notice.issued.v1", controller, breach_notice(controller))
    )
    await notifier.settled(controller)
    await notifier.restart()
    restarted = notifier

    await restarted.tick(started + timedelta(hours=61))
    reminders = restarted.mail_to("dpo@herstart.example")
    assert len(reminders) == 2  # the notice, then only the latest missed point (60 h)
    assert "Herinnering: 11 uur" in str(reminders[1]["Subject"])


async def test_an_update_goes_out_in_the_same_thread_and_receipt_can_be_acknowledged__TOM_O4(
    notifier: Notifier,
) -> None:
    controller = str(uuid.uuid4())
    await notifier.contact(controller, ["breach"], email="dpo@gemeente.example", user_id="u-dpo")
    data = breach_notice(controller)
    await notifier.publish(event("dpa.agreements.breach_notice.issued.v1", controller, data))
    await notifier.publish(
        event("dpa.agreements.breach_notice.updated.v1", controller, breach_update(data))
    )

    mails = await eventually(lambda: _at_least(2, _async(notifier.mail_to("dpo@gemeente.example"))))
    first, follow_up = sorted(mails, key=lambda m: "fase" in str(m["Subject"]))
    assert "fase 2" in str(follow_up["Subject"])
    assert follow_up["References"] == first["References"] == f"<{data.notice_id}@pactum.thread>"

    other = str(uuid.uuid4())
    thread = str(data.notice_id)
    refused = await notifier.client.post(
        f"/notifier/threads/{thread}/acknowledge", headers=notifier.auth(other)
    )
    assert refused.status_code == 404
    for _ in range(2):  # acknowledging twice records it once
        response = await notifier.client.post(
            f"/notifier/threads/{thread}/acknowledge", headers=notifier.auth(controller, "u-dpo")
        )
        assert response.status_code == 200, response.text
    assert response.json()["user_id"] == "u-dpo"
    items = await notifier.inbox(user_id="u-dpo")
    assert len(items) == 2 and all(item.acknowledged_at is not None for item in items)
    [ack] = await eventually(
        lambda: notifier.evidence(controller, "dpa.notifier.notice.acknowledged.v1")
    )
    assert ack.data["thread_id"] == thread


def _shown(when: datetime) -> str:
    """As the Dutch notice writes it (the organisation's default language)."""
    return moment(when, Locale.nl)


async def _async(value: T) -> T:
    return value


async def _at_least(count: int, values: Awaitable[list[T]]) -> list[T]:
    found = await values
    return found if len(found) >= count else []


def _signed(controller: str, processor: str, *, fully: bool = True) -> AgreementSigned:
    return AgreementSigned(
        agreement_id=uuid.uuid4(),
        version=1,
        party="processor",
        controller_id=uuid.UUID(controller),
        processor_id=uuid.UUID(processor),
        fully_signed=fully,
    )


async def test_signing_without_a_breach_contact_warns_both_parties__USE_3_TOM_O4(
    notifier: Notifier,
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(controller, ["breach"], email="dpo@gemeente.example")
    await notifier.contact(controller, ["agreement"], email="juridisch@gemeente.example")
    half = event(
        "dpa.agreements.agreement.signed.v1",
        controller,
        _signed(controller, processor, fully=False),
    )
    await notifier.publish(half)  # one signature: nothing to check yet
    signed = _signed(controller, processor)
    await notifier.publish(event("dpa.agreements.agreement.signed.v1", controller, signed))

    async def warned() -> list[tuple[str, str, str]]:
        rows = [
            row
            for organisation in (controller, processor)
            for row in await notifier.deliveries(organisation_id=organisation)
        ]
        found = [(r.organisation_id, r.recipient, r.channel.value) for r in rows]
        return found if len(found) >= 3 else []  # all three planned, not the first alone

    got = await eventually(warned)
    contact = [
        r
        for r in await notifier.deliveries(organisation_id=controller)
        if r.recipient.startswith("contact:")
    ]
    assert sorted(got) == sorted(
        [
            (controller, f"admins:{controller}", "email"),
            (controller, contact[0].recipient, "email"),  # its agreement contact too
            (processor, f"admins:{processor}", "email"),
        ]
    )
    for row in [*await notifier.deliveries(organisation_id=processor), *contact]:
        assert row.notice == "breach_contact_missing"
        assert row.message["subject"] == (
            "Overeenkomst getekend zonder contactpersoon voor datalekken: verwerker"
        )
        assert str(signed.agreement_id) in row.message["text"]
    await eventually(lambda: _mail(notifier, "juridisch@gemeente.example"))


async def _mail(notifier: Notifier, address: str) -> bool:
    return bool(notifier.mail_to(address))


async def test_signing_with_a_breach_contact_on_both_sides_warns_nobody__USE_3(
    notifier: Notifier,
) -> None:
    controller, processor = str(uuid.uuid4()), str(uuid.uuid4())
    await notifier.contact(controller, ["breach"], email="dpo@gemeente.example")
    await notifier.contact(processor, ["breach", "security"], email="security@leverancier.example")
    signed = event("dpa.agreements.agreement.signed.v1", controller, _signed(controller, processor))
    await notifier.publish(signed)
    await eventually(lambda: _received(notifier, controller, str(signed.id)))
    assert await notifier.deliveries(organisation_id=controller) == []
    assert await notifier.deliveries(organisation_id=processor) == []


async def _received(notifier: Notifier, organisation: str, event_id: str) -> bool:
    response = await notifier.client.get("/notifier/receipts", headers=notifier.auth(organisation))
    return event_id in response.text
