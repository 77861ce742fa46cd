"""Notices in the recipient's language: Dutch, French or English, every template complete in each;
an organisation's admin sets the organisation's language, which its admins' notices use and its
contacts and users who chose none follow; webhooks stay language-neutral JSON (USE-3)."""

import json
import string
import uuid
from typing import Any

from services.notifier.domain import Locale
from services.notifier.templates import (
    FOOTER,
    INTRO,
    LABELS,
    LINK_FOOTER,
    LINK_TEXT,
    SUBJECTS,
    TERMS,
    render,
    render_link,
)
from shared.auth import Role
from shared.events.contracts.identity import AccountLocked, GrantRequested
from tests.notifier.conftest import Notifier, Receiver, event
from tests.notifier.test_webhooks import _issued
from tests.support.platform import eventually

LINK_NOTICES = {
    "invitation",
    "password_reset",
    "email_change",
}  # rendered at send time, with identity's link


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _texts(table: dict[Locale, str], what: str) -> dict[Locale, str]:
    assert set(table) == set(Locale), f"{what}: missing {set(Locale) - set(table)}"
    assert all(table.values()), f"{what}: an empty text"
    return table


def test_every_template_exists_in_every_language_with_the_same_fields() -> None:
    for notice, subjects in SUBJECTS.items():
        fields = {frozenset(_placeholders(t)) for t in _texts(subjects, notice).values()}
        assert len(fields) == 1, f"{notice}: the languages fill different fields: {fields}"
    for name, table in {"INTRO": INTRO, "FOOTER": FOOTER, "LINK_TEXT": LINK_TEXT,
                        "LINK_FOOTER": LINK_FOOTER}.items():  # fmt: skip
        assert len({frozenset(_placeholders(t)) for t in _texts(table, name).values()}) == 1
    for key, labels in LABELS.items():
        _texts(labels, f"label {key}")
    for value, terms in TERMS.items():
        _texts(terms, f"term {value}")


def test_every_template_renders_in_every_language_with_no_placeholder_left() -> None:
    for notice, subjects in SUBJECTS.items():
        fields = _placeholders(subjects[Locale.en])
        facts: dict[str, Any] = {field: f"<{field}-value>" for field in fields} | {
            key: f"<{key}-value>" for key in LABELS
        }
        for locale in Locale:
            rendered = render(notice=notice, locale=locale, facts=facts, event_id="evt-1",
                              link="https://pactum.test/x")  # fmt: skip
            assert all(f"<{field}-value>" in rendered.subject for field in fields), (notice, locale)
            assert "?" not in rendered.subject, (notice, locale)  # a field the facts lack
            for part in (rendered.subject, rendered.text, rendered.html):
                assert "{" not in part and "}" not in part, (notice, locale, part)
            for key, labels in LABELS.items():
                assert f"- {labels[locale]}: <{key}-value>" in rendered.text, (notice, key)
            if notice not in LINK_NOTICES:
                continue
            linked = render_link(notice=notice, locale=locale, url="https://id.test/#token=t",
                                 expires_at="2026-12-01 10:00 UTC", event_id="evt-1")  # fmt: skip
            assert "{" not in linked.text and "evt-1" in linked.text
            assert LINK_FOOTER[locale].format(event_id="evt-1") in linked.text


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
