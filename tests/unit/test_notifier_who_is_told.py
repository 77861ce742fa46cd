"""Who a notice reaches, decided from what the notifier knows of the organisation, without a
database: contacts on their channels in their language, the user a notice is about, the admins
when nobody else would hear of it (USE-3), and nobody who muted a notice they may mute."""

import uuid
from datetime import UTC, datetime

from services.notifier.addressing import Audience, Recipient, who_is_told
from services.notifier.domain import Channel, Locale, Topic
from services.notifier.notices import Notice
from services.notifier.store import Contact, Endpoint, Preference

ORGANISATION = "org-1"
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def notice(name: str = "subprocessor_change", **changes: object) -> Notice:
    fields: dict[str, object] = {
        "notice": name,
        "topic": Topic.subprocessor,
        "organisation_id": ORGANISATION,
        "cause": "event-1",
        "event_id": "event-1",
        "facts": {},
        "link": "/agreements/a-1",
    }
    return Notice(**(fields | changes))  # type: ignore[arg-type]


def audience(
    contacts: list[Contact] | None = None,
    preferences: list[Preference] | None = None,
    endpoints: list[Endpoint] | None = None,
) -> Audience:
    return Audience(
        contacts=contacts or [],
        preferences={p.user_id: p for p in preferences or []},
        locale=Locale.nl,
        endpoints=endpoints or [],
    )


def contact(
    email: str | None = None, user_id: str | None = None, locale: Locale | None = None
) -> Contact:
    return Contact(organisation_id=ORGANISATION, topics=["subprocessor"], email=email,
                   user_id=user_id, locale=locale, created_at=NOW)  # fmt: skip


def told(recipients: list[Recipient]) -> list[tuple[str, str, str]]:
    return [(r.key, r.channel.value, r.locale.value) for r in recipients]


def test_a_contact_is_told_by_mail_and_in_its_users_inbox_in_its_own_language() -> None:
    dpo = contact(email="dpo@gemeente.example", user_id="u-1", locale=Locale.fr)
    recipients = who_is_told(notice(), audience([dpo]))
    assert told(recipients) == [
        (f"contact:{dpo.id}", "email", "fr"),
        ("user:u-1", "inbox", "fr"),
    ]
    assert recipients[0].email == "dpo@gemeente.example"


def test_an_organisation_without_a_contact_or_webhook_for_the_topic_tells_its_admins__USE_3() -> (
    None
):
    assert told(who_is_told(notice(), audience())) == [(f"admins:{ORGANISATION}", "email", "nl")]
    hook = Endpoint(id=uuid.uuid4(), organisation_id=ORGANISATION, url="https://h.example",
                    topics=["subprocessor"], secret="sealed", created_at=NOW)  # fmt: skip
    assert told(who_is_told(notice(), audience(endpoints=[hook]))) == [
        (f"endpoint:{hook.id}", "webhook", "en")
    ]


def test_a_notice_about_one_user_reaches_their_address_and_inbox_once() -> None:
    own = Preference(organisation_id=ORGANISATION, user_id="u-1", email="me@home.example",
                     locale=Locale.en)  # fmt: skip
    about = notice("account_locked", topic=Topic.agreement, user_id="u-1", to_contacts=False)
    recipients = who_is_told(about, audience(preferences=[own]))
    assert told(recipients) == [("user:u-1", "email", "en"), ("user:u-1", "inbox", "en")]
    assert recipients[0].email == "me@home.example"


def test_a_security_notice_never_goes_to_an_address_set_in_the_preferences() -> None:
    own = Preference(organisation_id=ORGANISATION, user_id="u-1", email="me@home.example")
    about = notice("password_changed", topic=Topic.security, user_id="u-1", to_contacts=False)
    recipients = who_is_told(about, audience(preferences=[own]))
    assert recipients[0].email is None  # identity's proven address, looked up at send time


def test_a_one_time_link_goes_by_mail_only_and_an_email_change_also_tells_the_former_address() -> (
    None
):
    invited = notice("invitation", user_id="u-1", to_contacts=False, link_id="link-1")
    assert told(who_is_told(invited, audience())) == [("user:u-1", "email", "nl")]
    changed = notice("email_changed", user_id="u-1", to_contacts=False, former_address_of="u-1")
    assert [r.key for r in who_is_told(changed, audience())] == [
        "user:u-1",
        "user:u-1",
        "former:u-1",
    ]


def test_a_muted_topic_or_channel_silences_a_notice_but_never_a_critical_one() -> None:
    dpo = contact(email="dpo@gemeente.example", user_id="u-1")
    muted = Preference(organisation_id=ORGANISATION, user_id="u-1", muted_channels=["inbox"],
                       muted_topics=[])  # fmt: skip
    quiet = who_is_told(notice(), audience([dpo], [muted]))
    assert [r.channel for r in quiet] == [Channel.email]
    breach = who_is_told(notice("breach", topic=Topic.breach), audience([dpo], [muted]))
    assert [r.channel for r in breach] == [Channel.email, Channel.inbox]
