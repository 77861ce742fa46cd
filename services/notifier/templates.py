"""Notice texts in Dutch, French and English; plain text and HTML, each with its event id and link.

A notice is an intro sentence for its kind, then the facts of the event as registered (every
field, in a fixed order, with translated labels), then the event id and the link back to the item.
The facts are never paraphrased: the notice is evidence of exactly what was registered. Only the
subject line translates the few words the notifier itself chose (an outcome, a grant's status,
what changed: ``TERMS``). tests/notifier/test_languages.py renders every template in every
language and fails on a missing text or a placeholder left unfilled.
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
    "password_changed": {
        Locale.nl: "Uw wachtwoord is gewijzigd",
        Locale.fr: "Votre mot de passe a été modifié",
        Locale.en: "Your password changed",
    },
    "email_changed": {
        Locale.nl: "U meldt zich voortaan aan met een ander e-mailadres",
        Locale.fr: "Vous vous connectez désormais avec une autre adresse e-mail",
        Locale.en: "You now sign in with another e-mail address",
    },
    "email_change": {
        Locale.nl: "Bevestig uw nieuwe e-mailadres voor pactum",
        Locale.fr: "Confirmez votre nouvelle adresse e-mail pour pactum",
        Locale.en: "Confirm your new e-mail address for pactum",
    },
    "new_sign_in": {
        Locale.nl: "Nieuwe aanmelding op uw account vanaf een ander toestel of netwerk",
        Locale.fr: "Nouvelle connexion à votre compte depuis un autre appareil ou réseau",
        Locale.en: "New sign-in to your account from another device or network",
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
    "instruction_issued": {
        Locale.nl: "Nieuwe instructie {number} van de verwerkingsverantwoordelijke",
        Locale.fr: "Nouvelle instruction {number} du responsable du traitement",
        Locale.en: "New instruction {number} from the controller",
    },
    "instruction_concern": {
        Locale.nl: "De verwerker acht instructie {number} strijdig met de AVG: ze is opgeschort",
        Locale.fr: "Le sous-traitant estime l'instruction {number} contraire au RGPD : suspendue",
        Locale.en: "The processor believes instruction {number} infringes the GDPR: it is on hold",
    },
    "instruction_concern_answered": {
        Locale.nl: "Instructie {number} na het bezwaar van de verwerker: {outcome}",
        Locale.fr: "Instruction {number} après l'objection du sous-traitant : {outcome}",
        Locale.en: "Instruction {number} after the processor's concern: {outcome}",
    },
    "privacy_notice_submitted": {
        Locale.nl: "Privacyverklaring van de verwerker, versie {version}: ter goedkeuring",
        Locale.fr: "Déclaration de confidentialité du sous-traitant, version {version} : "
        "à approuver",
        Locale.en: "The processor's privacy notice, version {version}: for your approval",
    },
    "privacy_notice_answered": {
        Locale.nl: "Privacyverklaring van de verwerker, versie {version}: {review}",
        Locale.fr: "Déclaration de confidentialité du sous-traitant, version {version} : {review}",
        Locale.en: "The processor's privacy notice, version {version}: {review}",
    },
    "subject_request": {
        Locale.nl: "Verzoek van een betrokkene ({right}) doorgestuurd: antwoord uiterlijk "
        "{answer_by}",
        Locale.fr: "Demande d'une personne concernée ({right}) transmise : réponse avant "
        "{answer_by}",
        Locale.en: "A data subject's request ({right}) forwarded: answer by {answer_by}",
    },
    "subject_request_assisted": {
        Locale.nl: "De verwerker gaf zijn hulp bij verzoek {number} van een betrokkene",
        Locale.fr: "Le sous-traitant a apporté son aide pour la demande {number}",
        Locale.en: "The processor gave its assistance with data subject request {number}",
    },
    "subject_request_closed": {
        Locale.nl: "Verzoek {number} van een betrokkene afgesloten: {outcome}",
        Locale.fr: "Demande {number} d'une personne concernée clôturée : {outcome}",
        Locale.en: "Data subject request {number} closed: {outcome}",
    },
    "subject_request_overdue": {
        Locale.nl: "Hulp bij verzoek {number} van een betrokkene te laat (uiterlijk {due_at})",
        Locale.fr: "Aide pour la demande {number} en retard (échéance {due_at})",
        Locale.en: "Assistance with data subject request {number} is late (due {due_at})",
    },
    "assistance_requested": {
        Locale.nl: "De verwerkingsverantwoordelijke vraagt uw hulp ({kind}), verzoek {number}",
        Locale.fr: "Le responsable du traitement demande votre aide ({kind}), demande {number}",
        Locale.en: "The controller asks for your help ({kind}), request {number}",
    },
    "assistance_answered": {
        Locale.nl: "De verwerker beantwoordde verzoek {number} ({kind})",
        Locale.fr: "Le sous-traitant a répondu à la demande {number} ({kind})",
        Locale.en: "The processor answered request {number} ({kind})",
    },
    "breach_contact_missing": {
        Locale.nl: "Overeenkomst getekend zonder contactpersoon voor datalekken: {missing}",
        Locale.fr: "Contrat signé sans contact pour les violations de données : {missing}",
        Locale.en: "Agreement signed without a breach contact: {missing}",
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
LINK_FOOTER: dict[Locale, str] = {
    Locale.nl: "Gebeurtenis {event_id}",
    Locale.fr: "Événement {event_id}",
    Locale.en: "Event {event_id}",
}
LINK_TEXT: dict[Locale, str] = {
    Locale.nl: "Gebruik deze eenmalige link (verloopt {expires_at}): {url}",
    Locale.fr: "Utilisez ce lien à usage unique (expire le {expires_at}) : {url}",
    Locale.en: "Use this one-time link (expires {expires_at}): {url}",
}


LINK_REPLACES: dict[Locale, str] = {
    Locale.nl: "Deze link vervangt een eerder verzonden link; die werkt niet meer.",
    Locale.fr: "Ce lien remplace un lien envoyé plus tôt, qui ne fonctionne plus.",
    Locale.en: "This link replaces one sent earlier, which no longer works.",
}


# Labels of the facts, per key (an unknown key is shown as itself, underscores as spaces).
LABELS: dict[str, dict[Locale, str]] = {
    key: dict(zip(Locale, texts, strict=True))
    for key, texts in {
        "breach_id": ("datalek", "violation", "breach"),
        "agreement_id": ("overeenkomst", "contrat", "agreement"),
        "aware_at": ("bekend sinds", "connue depuis", "aware at"),
        "notified_at": ("gemeld op", "notifiée le", "notified at"),
        "authority_deadline": (
            "uiterste melding aan de toezichthouder",
            "échéance de notification à l'autorité",
            "authority deadline",
        ),
        "processor_deadline": (
            "uiterste melding door de verwerker",
            "échéance du sous-traitant",
            "processor deadline",
        ),
        "processor_late": ("verwerker te laat", "sous-traitant en retard", "processor late"),
        "data_categories": ("categorieën gegevens", "catégories de données", "data categories"),
        "data_subject_categories": (
            "categorieën betrokkenen",
            "catégories de personnes concernées",
            "data subject categories",
        ),
        "approx_data_subjects": (
            "geschat aantal betrokkenen",
            "nombre approximatif de personnes",
            "approximate data subjects",
        ),
        "approx_records": (
            "geschat aantal records",
            "nombre approximatif d'enregistrements",
            "approximate records",
        ),
        "phase": ("fase", "phase", "phase"),
        "fields": ("aangevulde velden", "champs complétés", "fields"),
        "hours_left": ("uren resterend", "heures restantes", "hours left"),
        "change_id": ("wijziging", "changement", "change"),
        "processor_id": ("verwerker", "sous-traitant", "processor"),
        "kind": ("soort", "type", "kind"),
        "subprocessor": ("subverwerker", "sous-traitant ultérieur", "subprocessor"),
        "service": ("dienst", "service", "service"),
        "location": ("locatie", "localisation", "location"),
        "transfer_mechanism": (
            "doorgiftemechanisme",
            "mécanisme de transfert",
            "transfer mechanism",
        ),
        "authorisation": ("toestemming", "autorisation", "authorisation"),
        "effective_date": ("ingangsdatum", "date d'effet", "effective date"),
        "objection_deadline": ("bezwaar uiterlijk", "objection jusqu'au", "objection deadline"),
        "silence_is_acceptance": (
            "zwijgen geldt als aanvaarding",
            "silence vaut acceptation",
            "silence is acceptance",
        ),
        "decision": ("beslissing", "décision", "decision"),
        "deemed": ("geacht aanvaard", "réputé accepté", "deemed"),
        "disclosure_id": ("verstrekking", "communication", "disclosure"),
        "outcome": ("uitkomst", "résultat", "outcome"),
        "change": ("wijziging", "changement", "change"),
        "version": ("versie", "version", "version"),
        "status": ("status", "statut", "status"),
        "user_id": ("gebruiker", "utilisateur", "user"),
        "methods": ("aangemeld met", "connexion par", "signed in with"),
        "until": ("tot", "jusqu'au", "until"),
        "lock_number": ("blokkering nr.", "blocage n°", "lock number"),
        "permanent": ("blijvend", "permanent", "permanent"),
        "grant_id": ("toegang", "accès", "grant"),
        "operator_id": ("medewerker leverancier", "opérateur du fournisseur", "operator"),
        "access": ("toegang", "accès", "access"),
        "minutes": ("minuten", "minutes", "minutes"),
        "reason": ("reden", "motif", "reason"),
        "expires_at": ("verloopt", "expire le", "expires at"),
        "notice_id": ("bericht", "avis", "notice"),
        "starts_at": ("begint", "début", "starts at"),
        "ends_at": ("eindigt", "fin", "ends at"),
        "endpoint_id": ("webhook", "webhook", "webhook"),
        "failures": ("fouten", "échecs", "failures"),
        "instruction_id": ("instructie", "instruction", "instruction"),
        "number": ("nummer", "numéro", "number"),
        "replacement_id": ("vervangen door", "remplacée par", "replaced by"),
        "review": ("antwoord", "réponse", "answer"),
        "right": ("recht", "droit", "right"),
        "received_at": ("ontvangen op", "reçue le", "received at"),
        "due_at": ("hulp uiterlijk", "aide au plus tard", "assistance due"),
        "answer_by": ("antwoord uiterlijk", "réponse au plus tard", "answer by"),
        "late": ("te laat", "en retard", "late"),
        "due_on": ("antwoord gevraagd tegen", "réponse souhaitée pour", "answer needed by"),
        "intervenes": ("komt tussen in de procedure", "intervient dans la procédure", "intervenes"),
        "missing": (
            "zonder contactpersoon voor datalekken (tot er een is, krijgen de beheerders ze)",
            "sans contact pour les violations (d'ici là, les administrateurs les reçoivent)",
            "without a breach contact (until one is set, the admins receive breach notices)",
        ),
        "other_sessions_revoked": (
            "andere sessies beëindigd",
            "autres sessions fermées",
            "other sessions ended",
        ),
        "sessions_revoked": ("sessies beëindigd", "sessions fermées", "sessions ended"),
    }.items()
}

# The words the notifier itself puts in a subject (notices.OUTCOMES, account_notices.GRANT_STATUS,
# "<entity> <verb>" of an agreement change); anything else is shown as registered.
TERMS: dict[str, dict[Locale, str]] = {
    term: dict(zip(Locale, texts, strict=True))
    for term, texts in {
        "approved": ("goedgekeurd", "approuvé", "approved"),
        "objection recorded": (
            "bezwaar geregistreerd",
            "objection enregistrée",
            "objection recorded",
        ),
        "deemed accepted": ("geacht aanvaard", "réputé accepté", "deemed accepted"),
        "window closed without decision": (
            "termijn verstreken zonder beslissing",
            "délai écoulé sans décision",
            "window closed without decision",
        ),
        "withdrawn by the processor": (
            "ingetrokken door de verwerker",
            "retiré par le sous-traitant",
            "withdrawn by the processor",
        ),
        "granted": ("verleend", "accordé", "granted"),
        "denied": ("geweigerd", "refusé", "denied"),
        "revoked": ("ingetrokken", "révoqué", "revoked"),
        "ended": ("beëindigd", "terminé", "ended"),
        "agreement activated": ("overeenkomst actief", "contrat activé", "agreement activated"),
        "agreement terminated": (
            "overeenkomst beëindigd",
            "contrat résilié",
            "agreement terminated",
        ),
        "amendment proposed": ("wijziging voorgesteld", "avenant proposé", "amendment proposed"),
        "amendment accepted": ("wijziging aanvaard", "avenant accepté", "amendment accepted"),
        "controller": ("verwerkingsverantwoordelijke", "responsable du traitement", "controller"),
        "confirmed": ("bevestigd, ze geldt", "confirmée, elle s'applique", "confirmed, it applies"),
        "amended": (
            "gewijzigd, een nieuwe instructie vervangt ze",
            "modifiée, une nouvelle instruction la remplace",
            "amended, a new instruction replaces it",
        ),
        "withdrawn": ("ingetrokken", "retirée", "withdrawn"),
        "commented": ("opmerkingen gemaakt", "commentée", "commented on"),
        "access": ("inzage", "accès", "access"),
        "rectification": ("rectificatie", "rectification", "rectification"),
        "erasure": ("wissing", "effacement", "erasure"),
        "restriction": ("beperking", "limitation", "restriction"),
        "portability": ("overdraagbaarheid", "portabilité", "portability"),
        "objection": ("bezwaar", "opposition", "objection"),
        "automated_decision": (
            "geautomatiseerd besluit",
            "décision automatisée",
            "automated decision",
        ),
        "answered": ("beantwoord", "répondue", "answered"),
        "refused": ("geweigerd", "refusée", "refused"),
        "dpia": ("gegevensbeschermingseffectbeoordeling", "analyse d'impact (AIPD)", "DPIA"),
        "prior_consultation": (
            "voorafgaande raadpleging van de toezichthouder",
            "consultation préalable de l'autorité",
            "prior consultation of the authority",
        ),
        "claim": (
            "tussenkomst in een schadeclaim van een betrokkene",
            "intervention dans une réclamation d'une personne concernée",
            "intervention in a data subject's claim",
        ),
        "processor": ("verwerker", "sous-traitant", "processor"),
        "controller, processor": (
            "verwerkingsverantwoordelijke en verwerker",
            "responsable du traitement et sous-traitant",
            "controller and processor",
        ),
    }.items()
}


def label(key: str, locale: Locale) -> str:
    return LABELS.get(key, {}).get(locale) or key.replace("_", " ")


def term(value: str, locale: Locale) -> str:
    return TERMS.get(value, {}).get(locale, value)


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


def _lines(facts: dict[str, Any], locale: Locale) -> list[tuple[str, str]]:
    return [(label(key, locale), shown(value)) for key, value in facts.items()]


def render(
    *, notice: str, locale: Locale, facts: dict[str, Any], event_id: str, link: str
) -> Rendered:
    subject = SUBJECTS[notice][locale].format_map(
        _Facts({k: term(shown(v), locale) for k, v in facts.items()})
    )
    footer = FOOTER[locale].format(event_id=event_id, link=link)
    lines = _lines(facts, locale)
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
    *,
    notice: str,
    locale: Locale,
    url: str,
    expires_at: str,
    event_id: str,
    replaces_earlier: bool = False,
) -> Rendered:
    """A one-time link notice; rendered at send time only, never stored or logged. A link minted
    again (a retried delivery) says that the one sent before no longer works."""
    subject = SUBJECTS[notice][locale]
    line = LINK_TEXT[locale].format(url=url, expires_at=expires_at)
    if replaces_earlier:
        line = f"{line} {LINK_REPLACES[locale]}"
    footer = LINK_FOOTER[locale].format(event_id=event_id)
    text = f"{subject}\n\n{line}\n\n{footer}\n"
    html = (
        f"<html><body><h1>{escape(subject)}</h1><p>{escape(line)}</p>"
        f"<p><a href='{escape(url, quote=True)}'>{escape(url)}</a></p>"
        f"<p>{escape(footer)}</p></body></html>"
    )
    return Rendered(subject, text, html)
