"""The notifier's pure rules: webhook signatures, reminder moments, back-off, SSRF guard."""

from datetime import UTC, datetime, timedelta

import pytest

from services.notifier import webhook_signatures
from services.notifier.domain import (
    Channel,
    Locale,
    Topic,
    UnsafeEndpoint,
    breach_reminders,
    check_endpoint_url,
    due_reminder,
    next_attempt,
    objection_reminders,
    retry_span,
    wants,
)
from services.notifier.settings import NotifierSettings
from services.notifier.templates import moment, render

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_signature_matches_the_standard_webhooks_reference_vector() -> None:
    # From the Standard Webhooks specification's reference implementations.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    signature = webhook_signatures.sign(
        secret=secret, message_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330, body=body
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_receiver_refuses_a_tampered_body_an_old_timestamp_and_a_wrong_secret() -> None:
    secret, other = webhook_signatures.new_secret(), webhook_signatures.new_secret()
    headers = webhook_signatures.headers(
        secrets_=[secret], message_id="msg_1", timestamp=1000, body=b"{}"
    )
    assert webhook_signatures.verify(secret=secret, headers_=headers, body=b"{}", now=1000)
    assert not webhook_signatures.verify(secret=secret, headers_=headers, body=b"{ }", now=1000)
    assert not webhook_signatures.verify(
        secret=secret, headers_=headers, body=b"{}", now=1000 + 301
    )
    assert not webhook_signatures.verify(secret=other, headers_=headers, body=b"{}", now=1000)


def test_breach_reminders_fall_at_24_48_and_60_hours_of_the_72_hour_clock__TOM_O4() -> None:
    deadline = START + timedelta(hours=72)
    reminders = breach_reminders(authority_deadline=deadline, points=(60, 24, 48, 80))
    assert [(r.point, r.due_at - START) for r in reminders] == [
        (24, timedelta(hours=24)),
        (48, timedelta(hours=48)),
        (60, timedelta(hours=60)),
    ]
    at = START + timedelta(hours=30)
    assert due_reminder(reminders, sent=[], now=at, until=deadline) == reminders[0]
    assert due_reminder(reminders, sent=[24], now=at, until=deadline) is None
    # after an outage only the latest missed point is sent, never a burst of old ones
    late = START + timedelta(hours=61)
    assert due_reminder(reminders, sent=[24], now=late, until=deadline) == reminders[2]
    assert due_reminder(reminders, sent=[60], now=late, until=deadline) is None
    assert due_reminder(reminders, sent=[], now=deadline, until=deadline) is None


def test_objection_reminders_come_before_the_deadline__DPA_5() -> None:
    deadline = START + timedelta(days=30)
    reminders = objection_reminders(deadline=deadline, points=(24, 168))
    assert [r.due_at for r in reminders] == [
        deadline - timedelta(days=7),
        deadline - timedelta(days=1),
    ]


def test_retries_grow_and_last_more_than_a_day_then_stop() -> None:
    delays = [next_attempt(attempt=n, now=START) for n in range(1, 8)]
    gaps = [delay - START for delay in delays if delay is not None]
    assert gaps == sorted(gaps) and len(gaps) == 7
    assert next_attempt(attempt=8, now=START) is None
    assert retry_span() > timedelta(days=1)


def test_an_operator_can_shorten_the_retry_schedule() -> None:
    settings = NotifierSettings(retry_delays_seconds=(1, 2.5))
    delays = settings.retry_delays
    assert delays == (timedelta(seconds=1), timedelta(seconds=2.5))
    assert next_attempt(attempt=2, now=START, delays=delays) == START + timedelta(seconds=2.5)
    assert next_attempt(attempt=3, now=START, delays=delays) is None
    assert NotifierSettings().retry_delays[:2] == (timedelta(seconds=5), timedelta(minutes=5))
    with pytest.raises(ValueError, match="greater than 0"):
        NotifierSettings(retry_delays_seconds=(0,))


def test_critical_notices_cannot_be_muted_routine_ones_can__USE_3_TOM_T5() -> None:
    muted = {"breach", "security"}
    for notice, topic in (("breach", Topic.breach), ("account_locked", Topic.security)):
        assert wants(notice=notice, topic=topic, channel=Channel.email, muted_topics=muted,
                     muted_channels={"email"})  # fmt: skip
    assert not wants(notice="grant_changed", topic=Topic.security, channel=Channel.email,
                     muted_topics=muted, muted_channels=set())  # fmt: skip


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://10.0.0.8/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://localhost/x",
        "https://user:pw@hooks.example.com/x",
        "ftp://hooks.example.com/x",
        "https:///x",
    ],
)
def test_production_refuses_webhook_urls_that_are_not_public_https(url: str) -> None:
    with pytest.raises(UnsafeEndpoint):
        check_endpoint_url(url, production=True)


def test_development_accepts_a_loopback_receiver_and_production_a_public_https_one() -> None:
    assert check_endpoint_url("http://127.0.0.1:9000/h", production=False)
    assert check_endpoint_url("https://hooks.example.com/h", production=True)


def test_every_notice_text_carries_its_event_id_and_link_in_each_language() -> None:
    for locale in Locale:
        rendered = render(
            notice="breach",
            locale=locale,
            facts={"authority_deadline": "2026-03-05T09:00:00Z", "data_categories": ["a", "b"]},
            event_id="evt-1",
            link="https://pactum.test/breaches/1",
        )
        assert moment(datetime(2026, 3, 5, 9, 0, tzinfo=UTC), locale) in rendered.subject
        for part in (rendered.text, rendered.html):
            assert "evt-1" in part and "https://pactum.test/breaches/1" in part and "a, b" in part
    html = render(notice="breach", locale=Locale.en, facts={"x": "<script>"}, event_id="e",
                  link="https://x")  # fmt: skip
    assert "<script>" not in html.html


def test_every_event_the_notifier_plans_for_is_in_the_catalogue() -> None:
    # A renamed or removed type in another service's contract would silently stop its notices.
    from services.notifier.plans import PLANS
    from shared.events import CATALOGUE

    catalogued = {event_type.rsplit(".", 1)[0].removeprefix("dpa.") for event_type in CATALOGUE}
    assert set(PLANS) - catalogued == set()
