"""Signed webhooks: Standard Webhooks signatures, retries with back-off, a log per attempt, manual
replay, secret rotation, disabling with the owner told, resuming after a restart (USE-3, TOM-O4)."""

import uuid
from datetime import UTC, datetime, timedelta

from services.notifier.domain import RETRY_DELAYS, retry_span
from shared.events.contracts.agreements import BreachNoticeIssued
from tests.notifier.conftest import Call, Notifier, Receiver, event
from tests.notifier.test_breach_notices import breach_notice
from tests.support.platform import eventually


def _issued(controller: str, data: BreachNoticeIssued | None = None) -> object:
    return event(
        "dpa.agreements.breach_notice.issued.v1", controller, data or breach_notice(controller)
    )


async def _one_webhook(notifier: Notifier, controller: str) -> uuid.UUID:
    async def attempted() -> list[object]:
        rows = await notifier.deliveries(organisation_id=controller, channel="webhook")
        return [row for row in rows if row.attempts >= 1]

    [delivery] = await eventually(attempted)
    return delivery.id  # type: ignore[attr-defined, no-any-return]


async def test_failed_webhook_is_retried_with_growing_back_off_and_every_attempt_logged__TOM_O4(
    notifier: Notifier, receiver: Receiver
) -> None:
    controller = str(uuid.uuid4())
    await notifier.endpoint(controller, receiver, ["breach"])
    receiver.status = 503
    await notifier.publish(_issued(controller))  # type: ignore[arg-type]
    delivery_id = await _one_webhook(notifier, controller)
    [first] = await notifier.deliveries(id=delivery_id)
    assert first.status.value == "pending" and first.next_attempt_at is not None
    start = _aware(first.next_attempt_at) - RETRY_DELAYS[0]

    assert await notifier.tick(start + RETRY_DELAYS[0] - timedelta(seconds=1)) == 0  # not yet due
    await notifier.tick(start + RETRY_DELAYS[0])
    [second] = await notifier.deliveries(id=delivery_id)
    assert second.attempts == 2
    assert _aware(second.next_attempt_at) == start + RETRY_DELAYS[0] + RETRY_DELAYS[1]
    receiver.status = 204
    await notifier.tick(_aware(second.next_attempt_at))

    [done] = await notifier.deliveries(id=delivery_id)
    assert done.status.value == "delivered" and done.attempts == 3
    assert [(a.delivered, a.status) for a in await notifier.attempts(delivery_id)] == [
        (False, "503"),
        (False, "503"),
        (True, "204"),
    ]
    assert len({call.headers["webhook-id"] for call in receiver.calls}) == 1  # the same message
    assert all(call.verified for call in receiver.calls)
    log = await notifier.client.get(
        f"/notifier/deliveries/{delivery_id}/attempts", headers=notifier.auth(controller)
    )
    assert [item["status"] for item in log.json()["items"]] == ["503", "503", "204"]
    failed = await eventually(
        lambda: notifier.evidence(controller, "dpa.notifier.delivery.failed.v1")
    )
    assert failed[0].data["next_attempt_at"] is not None
    other = await notifier.client.get(
        f"/notifier/deliveries/{delivery_id}/attempts", headers=notifier.auth(str(uuid.uuid4()))
    )
    assert other.status_code == 404


async def test_retries_span_more_than_a_day_then_the_endpoint_is_disabled_and_owner_told__USE_3(
    notifier: Notifier, receiver: Receiver
) -> None:
    assert retry_span() > timedelta(days=1)
    controller = str(uuid.uuid4())
    await notifier.contact(controller, ["security"], email="admin@gemeente.example")
    endpoint = await notifier.endpoint(controller, receiver, ["breach"])
    receiver.status = 500
    await notifier.publish(_issued(controller))  # type: ignore[arg-type]
    delivery_id = await _one_webhook(notifier, controller)
    moment = datetime.now(UTC)
    for delay in RETRY_DELAYS:
        moment += delay + timedelta(seconds=1)
        await notifier.tick(moment)

    [given_up] = await notifier.deliveries(id=delivery_id)
    assert given_up.status.value == "failed" and given_up.attempts == len(RETRY_DELAYS) + 1
    listed = await notifier.client.get("/notifier/endpoints", headers=notifier.auth(controller))
    [shown] = listed.json()["items"]
    assert shown["enabled"] is False and "secret" not in shown
    await eventually(lambda: _has_mail(notifier, "admin@gemeente.example"))
    [told] = notifier.mail_to("admin@gemeente.example")
    assert endpoint["id"] in told.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    await eventually(lambda: notifier.evidence(controller, "dpa.notifier.endpoint.disabled.v1"))

    refused = await notifier.client.post(
        f"/notifier/deliveries/{delivery_id}/replay", headers=notifier.auth(controller)
    )
    assert refused.status_code == 409
    enabled = await notifier.client.post(
        f"/notifier/endpoints/{endpoint['id']}/enable", headers=notifier.auth(controller)
    )
    assert enabled.json()["enabled"] is True
    receiver.status = 200
    replayed = await notifier.client.post(
        f"/notifier/deliveries/{delivery_id}/replay", headers=notifier.auth(controller)
    )
    assert replayed.status_code == 202, replayed.text
    await eventually(lambda: _delivered(notifier, delivery_id))
    await eventually(lambda: notifier.evidence(controller, "dpa.notifier.delivery.requested.v1"))


async def test_a_rotated_secret_signs_alongside_the_previous_one_for_a_day__USE_3(
    notifier: Notifier, receiver: Receiver
) -> None:
    controller = str(uuid.uuid4())
    endpoint = await notifier.endpoint(controller, receiver, ["breach"])
    old_secret = endpoint["secret"]
    rotated = await notifier.client.post(
        f"/notifier/endpoints/{endpoint['id']}/rotate", headers=notifier.auth(controller)
    )
    new_secret = rotated.json()["secret"]
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    receiver.secrets = [new_secret]
    await notifier.publish(_issued(controller))  # type: ignore[arg-type]
    [call] = await eventually(lambda: _calls(receiver))
    assert call.verified
    assert len(call.headers["webhook-signature"].split()) == 2
    receiver.secrets = [old_secret]
    assert _reverify(receiver, call)


async def test_a_restart_resumes_pending_retries__TOM_O4(
    notifier: Notifier, receiver: Receiver
) -> None:
    controller = str(uuid.uuid4())
    await notifier.endpoint(controller, receiver, ["breach"])
    receiver.status = 502
    await notifier.publish(_issued(controller))  # type: ignore[arg-type]
    delivery_id = await _one_webhook(notifier, controller)
    receiver.status = 200
    await notifier.restart()
    restarted = notifier

    await restarted.tick(datetime.now(UTC) + RETRY_DELAYS[0] + timedelta(seconds=1))

    [done] = await restarted.deliveries(id=delivery_id)
    assert done.status.value == "delivered" and done.attempts == 2


def _aware(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the zone


async def _has_mail(notifier: Notifier, address: str) -> bool:
    return bool(notifier.mail_to(address))


async def _delivered(notifier: Notifier, delivery_id: uuid.UUID) -> bool:
    [row] = await notifier.deliveries(id=delivery_id)
    return row.status.value == "delivered"


async def _calls(receiver: Receiver) -> list[Call]:
    return list(receiver.calls)


def _reverify(receiver: Receiver, call: Call) -> bool:
    import time

    from services.notifier import webhook_signatures

    return any(
        webhook_signatures.verify(
            secret=s, headers_=call.headers, body=call.body, now=int(time.time())
        )
        for s in receiver.secrets
    )
