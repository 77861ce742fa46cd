"""Notice texts in Dutch, French and English; plain text and HTML, each with its event id and link.

A notice is an intro sentence for its kind, then the facts of the event as registered (every
field, in a fixed order, with translated labels), then the event id and the link back to the item.
The facts are never paraphrased: the notice is evidence of exactly what was registered.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

from services.notifier.domain import Locale

SUBJECTS: dict[str, dict[Locale, str]] = {
    "breach": {
        Locale.nl: "Datalek gemeld: melding aan de toezichthouder uiterlijk {authority_deadline}",
        Locale.fr: "Violation de données : notifiez l'autorité au plus tard {authority_deadline}",
        Locale.en: "Personal-data breach: notify your authority by {authority_deadline}",
    },
    "breach_update": {
        Locale.nl: "Aanvulling op datalek (fase {phase})",
        Locale.fr: "Complément à la violation de données (phase {phase})",
        Locale.en: "Breach update (phase {phase})",
    },
    "breach_reminder": {
        Locale.nl: "Herinnering: {hours_left} uur tot de meldingstermijn van het datalek",
        Locale.fr: "Rappel : {hours_left} heures avant l'échéance de notification",
        Locale.en: "Reminder: {hours_left} hours left to notify your authority of the breach",
    },
    "breach_deadline_passed": {
        Locale.nl: "Meldingstermijn van het datalek verstreken zonder geregistreerde beslissing",
        Locale.fr: "Échéance de notification dépassée sans décision enregistrée",
        Locale.en: "Breach notification deadline passed without a recorded decision",
    },
    "subprocessor_change": {
        Locale.nl: "Voorgenomen nieuwe subverwerker: bezwaar mogelijk tot {objection_deadline}",
        Locale.fr: "Nouveau sous-traitant prévu : objection possible jusqu'au {objection_deadline}",
        Locale.en: "Intended subprocessor change: you may object until {objection_deadline}",
    },
    "subprocessor_reminder": {
        Locale.nl: "Herinnering: bezwaartermijn subverwerker loopt af op {objection_deadline}",
        Locale.fr: "Rappel : le délai d'objection expire le {objection_deadline}",
        Locale.en: "Reminder: the objection window closes on {objection_deadline}",
    },
    "subprocessor_outcome": {
        Locale.nl: "Wijziging van subverwerker: {decision}",
        Locale.fr: "Changement de sous-traitant : {decision}",
        Locale.en: "Subprocessor change: {decision}",
    },
    "account_locked": {
        Locale.nl: "Account geblokkeerd na herhaalde mislukte aanmeldingen",
        Locale.fr: "Compte bloqué après des échecs de connexion répétés",
        Locale.en: "Account locked after repeated failed sign-ins",
    },
    "mfa_changed": {
        Locale.nl: "Uw tweede factor is gewijzigd",
        Locale.fr: "Votre second facteur a été modifié",
        Locale.en: "Your second factor changed",
    },
    "grant_requested": {
        Locale.nl: "De leverancier vraagt toegang tot uw gegevens: goedkeuring nodig",
        Locale.fr: "Le fournisseur demande l'accès à vos données : approbation requise",
        Locale.en: "The supplier asks for access to your data: approval needed",
    },
    "grant_changed": {
        Locale.nl: "Toegang van de leverancier: {status}",
        Locale.fr: "Accès du fournisseur : {status}",
        Locale.en: "Supplier access: {status}",
    },
    "maintenance_notice": {
        Locale.nl: "Aangekondigd onderhoud van {starts_at} tot {ends_at}",
        Locale.fr: "Maintenance annoncée du {starts_at} au {ends_at}",
        Locale.en: "Announced maintenance from {starts_at} to {ends_at}",
    },
    "invitation": {
        Locale.nl: "Uitnodiging voor pactum",
        Locale.fr: "Invitation à pactum",
        Locale.en: "Invitation to pactum",
    },
    "password_reset": {
        Locale.nl: "Uw wachtwoord opnieuw instellen",
        Locale.fr: "Réinitialiser votre mot de passe",
        Locale.en: "Reset your password",
    },
    "disclosure": {
        Locale.nl: "Wettelijk verplichte verstrekking van gegevens aangekondigd",
        Locale.fr: "Communication de données imposée par la loi annoncée",
        Locale.en: "Legally required disclosure of data announced",
    },
    "disclosure_outcome": {
        Locale.nl: "Wettelijk verplichte verstrekking: {outcome}",
        Locale.fr: "Communication imposée par la loi : {outcome}",
        Locale.en: "Legally required disclosure: {outcome}",
    },
    "agreement_changed": {
        Locale.nl: "Verwerkersovereenkomst: {change}",
        Locale.fr: "Contrat de sous-traitance : {change}",
        Locale.en: "Data-processing agreement: {change}",
    },
    "endpoint_disabled": {
        Locale.nl: "Webhook uitgeschakeld na herhaalde fouten",
        Locale.fr: "Webhook désactivé après des échecs répétés",
        Locale.en: "Webhook disabled after repeated failures",
    },
}

INTRO: dict[Locale, str] = {
    Locale.nl: "Gegevens zoals geregistreerd:",
    Locale.fr: "Données telles qu'enregistrées :",
    Locale.en: "As registered:",
}
FOOTER: dict[Locale, str] = {
    Locale.nl: "Gebeurtenis {event_id}. Bekijk, bevestig of reageer: {link}",
    Locale.fr: "Événement {event_id}. Consulter, accuser réception ou répondre : {link}",
    Locale.en: "Event {event_id}. View, acknowledge or respond: {link}",
}
LINK_TEXT: dict[Locale, str] = {
    Locale.nl: "Gebruik deze eenmalige link (verloopt {expires_at}): {url}",
    Locale.fr: "Utilisez ce lien à usage unique (expire le {expires_at}) : {url}",
    Locale.en: "Use this one-time link (expires {expires_at}): {url}",
}


class _Facts(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def shown(value: Any) -> str:
    """A fact as people read it: lists joined, moments as ``YYYY-MM-DD HH:MM UTC``."""
    if isinstance(value, list):
        return ", ".join(shown(item) for item in value)
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and "T" in value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _lines(facts: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key.replace("_", " "), shown(value)) for key, value in facts.items()]


def render(
    *, notice: str, locale: Locale, facts: dict[str, Any], event_id: str, link: str
) -> Rendered:
    subject = SUBJECTS[notice][locale].format_map(_Facts({k: shown(v) for k, v in facts.items()}))
    footer = FOOTER[locale].format(event_id=event_id, link=link)
    lines = _lines(facts)
    text = "\n".join(
        [subject, "", INTRO[locale], *(f"- {key}: {value}" for key, value in lines), "", footer]
    )
    rows = "".join(
        f"<tr><th align='left'>{escape(key)}</th><td>{escape(value)}</td></tr>"
        for key, value in lines
    )
    html = (
        f"<html><body><h1>{escape(subject)}</h1><p>{escape(INTRO[locale])}</p>"
        f"<table>{rows}</table><p>{escape(footer)}</p>"
        f"<p><a href='{escape(link, quote=True)}'>{escape(link)}</a></p></body></html>"
    )
    return Rendered(subject, text, html)


def render_link(
    *, notice: str, locale: Locale, url: str, expires_at: str, event_id: str
) -> Rendered:
    """A one-time link notice; rendered at send time only, never stored or logged."""
    subject = SUBJECTS[notice][locale]
    line = LINK_TEXT[locale].format(url=url, expires_at=expires_at)
    footer = f"Event {event_id}"
    text = f"{subject}\n\n{line}\n\n{footer}\n"
    html = (
        f"<html><body><h1>{escape(subject)}</h1><p>{escape(line)}</p>"
        f"<p><a href='{escape(url, quote=True)}'>{escape(url)}</a></p>"
        f"<p>{escape(footer)}</p></body></html>"
    )
    return Rendered(subject, text, html)
