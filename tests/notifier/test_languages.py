"""Notices in the recipient's language: Dutch, French or English, every template complete in each;
an organisation's admin sets the organisation's language, which its admins' notices use and its
contacts and users who chose none follow; webhooks stay language-neutral JSON (USE-3)."""

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.notifier.catalogue import extract, missing
from services.notifier.domain import Locale
from services.notifier.templates import (
    LABELS,
    LINK_FOOTER,
    SUBJECTS,
    Invitation,
    label,
    moment,
    po_path,
    render,
    render_link,
    shown,
    translations,
)
from shared.auth import Role
from shared.catalogues import placeholders
from shared.events.contracts.identity import AccountLocked, GrantRequested
from tests.notifier.conftest import Notifier, Receiver, event
from tests.notifier.test_webhooks import _issued
from tests.support.platform import eventually

LINK_NOTICES = {"invitation", "password_reset", "email_change"}  # rendered with identity's link
LEFT_OVER = re.compile(r"%\(\w+\)|[{}]")  # a placeholder left unfilled


def _fields(text: str) -> set[str]:
    return {name.split(":")[0] for name in placeholders(text)}


def test_every_message_is_translated_into_dutch_and_french_with_the_same_placeholders() -> None:
    lacking = missing()
    assert not lacking, f"{len(lacking)} catalogue problems:\n" + "\n".join(lacking[:40])
    messages = extract()
    assert len(messages) > 100  # the subjects, labels, terms, link and moment texts
    for locale in (Locale.nl, Locale.fr):
        for msgid, context in messages:
            found = str(
                translations(locale).pgettext(context, msgid)
                if context
                else translations(locale).gettext(msgid)
            )
            compiled = translations(locale)._catalog
            assert (f"{context}\x04{msgid}" if context else msgid) in compiled, (locale, msgid)
            assert _fields(found) == _fields(msgid), (locale, msgid, found)


def test_a_catalogue_out_of_step_with_the_code_fails_the_check(tmp_path: Path) -> None:
    """The check cannot pass by accident: measured on a copy of the Dutch catalogue with one
    translation emptied, one losing its placeholder and one entry the code no longer has."""
    dutch = po_path(Locale.nl).read_text(encoding="utf-8")
    broken = (
        dutch.replace('msgstr "Gegevens zoals geregistreerd:"', 'msgstr ""')
        .replace('msgstr "Gebeurtenis %(event_id)s"', 'msgstr "Gebeurtenis"')
        .replace('"%(moment)s (Brusselse tijd)"', '"%(moment)s (Brusselse tijd)"\n\n'
                 'msgid "A message nobody uses"\nmsgstr "Een bericht dat niemand gebruikt"')
    )  # fmt: skip
    assert broken.count("msgid") == dutch.count("msgid") + 1
    copy = tmp_path / "notices.po"
    copy.write_text(broken, encoding="utf-8")

    lacking = missing(lambda locale: copy if locale is Locale.nl else po_path(locale))

    assert sorted(lacking) == [
        "nl: not in the code (run update): A message nobody uses",
        "nl: placeholders differ: Event %(event_id)s",
        "nl: untranslated: As registered:",
    ]


def test_every_template_renders_in_every_language_with_no_placeholder_left() -> None:
    for notice, subject in SUBJECTS.items():
        fields = _fields(subject)
        facts: dict[str, Any] = {field: f"<{field}-value>" for field in fields} | {
            key: f"<{key}-value>" for key in LABELS
        }
        for locale in Locale:
            rendered = render(notice=notice, locale=locale, facts=facts, event_id="evt-1",
                              link="https://pactum.test/x")  # fmt: skip
            assert all(f"<{field}-value>" in rendered.subject for field in fields), (notice, locale)
            assert "?" not in rendered.subject, (notice, locale)  # a field the facts lack
            for part in (rendered.subject, rendered.text, rendered.html):
                assert not LEFT_OVER.search(part), (notice, locale, part)
            for key in LABELS:
                assert f"- {label(key, locale)}: <{key}-value>" in rendered.text, (notice, key)
            if notice not in LINK_NOTICES:
                continue
            linked = render_link(
                notice=notice,
                locale=locale,
                url="https://id.test/#token=t",
                expires_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
                event_id="evt-1",
                replaces_earlier=True,
                invitation=Invitation("Stad Gent", "Jan", "member", "Ann", "Stad Gent")
                if notice == "invitation"
                else None,
            )
            for part in (linked.subject, linked.text, linked.html):
                assert not LEFT_OVER.search(part), (notice, locale, part)
            assert "evt-1" in linked.text
            assert translations(locale).gettext(LINK_FOOTER) % {"event_id": "evt-1"} in linked.text


def test_a_moment_is_written_in_brussels_time_with_the_zone_named_in_each_language() -> None:
    winter = datetime(2026, 12, 6, 13, 30, tzinfo=UTC)  # CET: UTC+1
    summer = datetime(2026, 7, 1, 8, 5, tzinfo=UTC)  # CEST: UTC+2
    assert moment(winter, Locale.en) == "6 December 2026 at 14:30 (Brussels time)"
    assert moment(winter, Locale.nl) == "6 december 2026 om 14:30 (Brusselse tijd)"
    assert moment(winter, Locale.fr) == "6 décembre 2026 à 14:30 (heure de Bruxelles)"
    assert moment(summer, Locale.nl) == "1 juli 2026 om 10:05 (Brusselse tijd)"
    # Facts as registered (RFC 3339 text in UTC, days, yes or no) in the reader's words.
    assert (
        shown("2026-12-06T13:30:00Z", Locale.fr) == "6 décembre 2026 à 14:30 (heure de Bruxelles)"
    )
    assert shown("2026-12-06T13:30:00+00:00", Locale.en) == moment(winter, Locale.en)
    assert shown("2027-01-15", Locale.nl) == "15 januari 2027"
    assert shown(True, Locale.nl) == "ja" and shown(False, Locale.fr) == "non"
    assert shown("2026-13-45", Locale.en) == "2026-13-45"  # not a day: shown as registered
    assert shown("not-a-dateTtime-at-all", Locale.en) == "not-a-dateTtime-at-all"


def test_a_breach_subject_names_the_deadline_in_brussels_time() -> None:
    facts = {"authority_deadline": "2026-12-09T13:30:00Z", "processor_late": False}
    rendered = render(notice="breach", locale=Locale.nl, facts=facts, event_id="e",
                      link="https://x")  # fmt: skip
    assert rendered.subject == (
        "Datalek gemeld: melding aan de toezichthouder uiterlijk 9 december 2026 om 14:30 "
        "(Brusselse tijd)"
    )
    assert "- verwerker te laat: nee" in rendered.text
    assert "<html lang='nl'>" in rendered.html


def test_a_link_says_until_when_it_is_valid_in_words_and_in_brussels_time() -> None:
    expires = datetime(2026, 12, 6, 13, 30, tzinfo=UTC)
    lines = {
        locale: render_link(notice="password_reset", locale=locale, url="https://id.test/r#token=t",
                            expires_at=expires, event_id="e").text.split("\n\n")[1]
        for locale in Locale
    }  # fmt: skip
    assert lines[Locale.en] == (
        "Use this one-time link, valid until 6 December 2026 at 14:30 (Brussels time): "
        "https://id.test/r#token=t"
    )
    assert lines[Locale.nl] == (
        "Gebruik deze eenmalige link, geldig tot 6 december 2026 om 14:30 (Brusselse tijd): "
        "https://id.test/r#token=t"
    )
    assert lines[Locale.fr] == (
        "Utilisez ce lien à usage unique, valable jusqu'au 6 décembre 2026 à 14:30 "
        "(heure de Bruxelles) : https://id.test/r#token=t"
    )


def test_an_invitation_says_who_invited_whom_to_which_organisation_and_as_what() -> None:
    invitation = Invitation(
        organisation="Stad Gent",
        invitee="Jan Janssens",
        role="admin",
        inviter="Ann Peeters",
        inviter_organisation="Pactum Hosting",
    )
    expires = datetime(2026, 12, 6, 13, 30, tzinfo=UTC)
    mails = {
        locale: render_link(notice="invitation", locale=locale, url="https://id.test/i#token=t",
                            expires_at=expires, event_id="e", invitation=invitation)
        for locale in Locale
    }  # fmt: skip
    assert mails[Locale.en].subject == "Invitation to Stad Gent on pactum"
    assert (
        "Ann Peeters (Pactum Hosting) invited you, Jan Janssens, to Stad Gent on pactum, as "
        "administrator." in mails[Locale.en].text
    )
    assert mails[Locale.nl].subject == "Uitnodiging voor Stad Gent op pactum"
    assert (
        "Ann Peeters (Pactum Hosting) nodigde u, Jan Janssens, uit voor Stad Gent op pactum, als "
        "beheerder." in mails[Locale.nl].text
    )
    assert "en tant que administrateur" in mails[Locale.fr].text
    assert "<p>Ann Peeters (Pactum Hosting) invited you" in mails[Locale.en].html
    unknown = render_link(
        notice="invitation",
        locale=Locale.nl,
        url="https://id.test/i#token=t",
        expires_at=expires,
        event_id="e",
        invitation=Invitation("Stad <Gent>", "jan@gent.example", "member"),
    )
    assert "U, jan@gent.example, bent uitgenodigd voor Stad <Gent> op pactum, als lid." in (
        unknown.text
    )
    assert "Stad &lt;Gent&gt;" in unknown.html and "Stad <Gent>" not in unknown.html


def test_the_words_the_notifier_chooses_are_translated_in_the_subject() -> None:
    facts = {"decision": "objection recorded", "change_id": "c-1"}
    subjects = {
        locale: render(
            notice="subprocessor_outcome",
            locale=locale,
            facts=facts,
            event_id="e",
            link="https://x",
        ).subject
        for locale in Locale
    }
    assert subjects[Locale.nl] == "Wijziging van subverwerker: bezwaar geregistreerd"
    assert subjects[Locale.fr] == "Changement de sous-traitant : objection enregistrée"
    assert subjects[Locale.en] == "Subprocessor change: objection recorded"
    text = render(notice="subprocessor_outcome", locale=Locale.nl, facts=facts, event_id="e",
                  link="https://x").text  # fmt: skip
    assert "- beslissing: objection recorded" in text  # the fact itself stays as registered


async def _settings(notifier: Notifier, organisation: str) -> Any:
    return await notifier.client.get("/notifier/settings", headers=notifier.auth(organisation))


async def test_an_organisations_admin_sets_its_language_and_the_change_is_evidenced__USE_3(
    notifier: Notifier,
) -> None:
    organisation = str(uuid.uuid4())
    assert (await _settings(notifier, organisation)).json() == {"locale": "nl"}

    response = await notifier.client.put(
        "/notifier/settings", json={"locale": "fr"}, headers=notifier.auth(organisation)
    )
    assert response.status_code == 200, response.text
    assert (await _settings(notifier, organisation)).json() == {"locale": "fr"}
    [changed] = await eventually(
        lambda: notifier.evidence(organisation, "dpa.notifier.organisation_settings.updated.v1")
    )
    assert changed.data == {"locale": "fr", "previous_locale": "nl"}

    refused = await notifier.client.put(
        "/notifier/settings",
        json={"locale": "nl"},
        headers=notifier.auth(organisation, role=Role.auditor),
    )
    assert refused.status_code == 403
    invalid = await notifier.client.put(
        "/notifier/settings", json={"locale": "de"}, headers=notifier.auth(organisation)
    )
    assert invalid.status_code == 422
    assert (await _settings(notifier, organisation)).json() == {"locale": "fr"}
    other = str(uuid.uuid4())
    assert (await _settings(notifier, other)).json() == {"locale": "nl"}  # per organisation


async def test_admins_contacts_and_users_without_a_language_get_the_organisations__USE_3(
    notifier: Notifier, receiver: Receiver
) -> None:
    organisation = str(uuid.uuid4())
    user = str(uuid.uuid4())
    response = await notifier.client.put(
        "/notifier/settings", json={"locale": "fr"}, headers=notifier.auth(organisation)
    )
    assert response.status_code == 200, response.text
    follows = await notifier.contact(
        organisation, ["security", "breach"], email="rssi@ville.example"
    )
    assert follows["locale"] is None
    await notifier.contact(organisation, ["security"], email="ciso@city.example", locale="en")
    await notifier.endpoint(organisation, receiver, ["breach"])

    grant = GrantRequested(grant_id=uuid.uuid4(), organisation_id=uuid.UUID(organisation),
                           operator_id=uuid.uuid4(), access="read", minutes=60,
                           reason="Ticket 7")  # fmt: skip
    await notifier.publish(
        event("dpa.identity.grant.requested.v1", organisation, grant, source="/dpa/identity")
    )
    locked = AccountLocked(user_id=uuid.UUID(user), until=None, lock_number=1, permanent=False)
    await notifier.publish(
        event("dpa.identity.account.locked.v1", organisation, locked, source="/dpa/identity")
    )
    await notifier.publish(_issued(organisation))  # type: ignore[arg-type]

    async def rows() -> list[Any]:
        found = await notifier.deliveries(organisation_id=organisation)
        return found if len(found) >= 10 else []

    deliveries = await eventually(rows)
    admins = [d for d in deliveries if d.recipient.startswith("admins:")]
    assert {d.message["locale"] for d in admins} == {"fr"}
    assert {d.message["subject"] for d in admins} == {
        "Le fournisseur demande l'accès à vos données : approbation requise",
        "Compte bloqué après des échecs de connexion répétés",
    }
    [user_mail] = [d for d in deliveries if d.recipient == f"user:{user}" and d.channel == "email"]
    assert user_mail.message["locale"] == "fr"  # no preference: the organisation's language
    [inbox] = await notifier.inbox(user_id=user)
    assert inbox.subject == "Compte bloqué après des échecs de connexion répétés"

    await eventually(lambda: _mails(notifier, "rssi@ville.example", 3))
    assert all("Données telles qu'enregistrées" in _text(m)
               for m in notifier.mail_to("rssi@ville.example"))  # fmt: skip
    await eventually(lambda: _mails(notifier, "ciso@city.example", 2))
    assert all("As registered:" in _text(m) for m in notifier.mail_to("ciso@city.example"))

    await eventually(lambda: _calls(receiver, 1))
    body = receiver.calls[0].json
    assert set(body) == {"type", "timestamp", "data"}  # language-neutral: codes and facts only
    assert set(body["data"]) == {"notice", "event_id", "thread_id", "organisation_id", "facts",
                                 "link"}  # fmt: skip
    assert '"locale"' not in json.dumps(body)


def _text(mail: Any) -> str:
    return str(mail.get_body(preferencelist=("plain",)).get_content())


async def _mails(notifier: Notifier, address: str, count: int) -> bool:
    return len(notifier.mail_to(address)) >= count


async def _calls(receiver: Receiver, count: int) -> bool:
    return len(receiver.calls) >= count
