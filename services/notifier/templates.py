"""Notice texts in Dutch, French and English; plain text and HTML, each with its event id and link.

A notice is an intro sentence for its kind, then the facts of the event as registered (every
field, in a fixed order, with translated labels), then the event id and the link back to the item.
The facts are never paraphrased: the notice is evidence of exactly what was registered. Only the
subject line translates the few words the notifier itself chose (an outcome, a grant's status,
what changed: ``TERMS``).

The texts are English ``msgid``s here, translated by the gettext catalogues in
``locale/<nl_BE|fr_BE>/LC_MESSAGES/notices.po`` (``python -m services.notifier.catalogue``
extracts, updates and checks them). Moments are written in Europe/Brussels with the zone named,
by Babel in the reader's locale: "6 December 2026 at 14:30 (Brussels time)".
tests/notifier/test_languages.py renders every template in every language and fails on a missing
translation or a placeholder left unfilled.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.support import NullTranslations

from services.notifier.domain import Locale
from shared.catalogues import compiled

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "notices"
BRUSSELS = ZoneInfo("Europe/Brussels")
# The catalogue and Babel locale of each language; English is the msgids themselves.
BABEL_LOCALES = {Locale.nl: "nl_BE", Locale.fr: "fr_BE", Locale.en: "en_GB"}
TRANSLATED = (Locale.nl, Locale.fr)


def msg(message: str) -> str:
    """Marks ``message`` for the catalogue; it is translated when a notice is rendered."""
    return message


def msg_in(context: str, message: str) -> str:
    """Marks ``message`` for the catalogue in ``context`` (a fact's label, a term)."""
    return message


def po_path(locale: Locale) -> Path:
    return LOCALE_DIR / BABEL_LOCALES[locale] / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: Locale) -> NullTranslations:
    """The catalogue of ``locale``, compiled from its ``.po`` on first use."""
    if locale not in TRANSLATED:
        return NullTranslations()
    return compiled(po_path(locale), BABEL_LOCALES[locale])


def _(locale: Locale, message: str) -> str:
    return translations(locale).gettext(message)


INTRO = msg("As registered:")
FOOTER = msg("Event %(event_id)s. View, acknowledge or respond: %(link)s")
LINK_FOOTER = msg("Event %(event_id)s")
LINK_TEXT = msg("Use this one-time link, valid until %(expires_at)s: %(url)s")
LINK_REPLACES = msg("This link replaces one sent earlier, which no longer works.")
INVITED_BY = msg(
    "%(inviter)s (%(inviter_organisation)s) invited you, %(invitee)s, to %(organisation)s on "
    "pactum, as %(role)s."
)
INVITED = msg("You, %(invitee)s, are invited to %(organisation)s on pactum, as %(role)s.")
INVITATION_TO = msg("Invitation to %(organisation)s on pactum")
# A moment: a Babel pattern in the reader's language, then the zone named.
MOMENT_PATTERN = msg("d MMMM y 'at' HH:mm")
IN_BRUSSELS = msg("%(moment)s (Brussels time)")
YES, NO = msg("yes"), msg("no")
ROLES = {
    "admin": msg_in("role", "administrator"),
    "member": msg_in("role", "member"),
    "auditor": msg_in("role", "auditor"),
}

SUBJECTS: dict[str, str] = {
    "breach": msg("Personal-data breach: notify your authority by %(authority_deadline)s"),
    "breach_update": msg("Breach update (phase %(phase)s)"),
    "breach_reminder": msg(
        "Reminder: %(hours_left)s hours left to notify your authority of the breach"
    ),
    "breach_deadline_passed": msg(
        "Breach notification deadline passed without a recorded decision"
    ),
    "subprocessor_change": msg(
        "Intended subprocessor change: you may object until %(objection_deadline)s"
    ),
    "subprocessor_reminder": msg("Reminder: the objection window closes on %(objection_deadline)s"),
    "subprocessor_outcome": msg("Subprocessor change: %(decision)s"),
    "account_locked": msg("Account locked after repeated failed sign-ins"),
    "mfa_changed": msg("Your second factor changed"),
    "password_changed": msg("Your password changed"),
    "email_changed": msg("You now sign in with another e-mail address"),
    "email_change": msg("Confirm your new e-mail address for pactum"),
    "new_sign_in": msg("New sign-in to your account from another device or network"),
    "grant_requested": msg("The supplier asks for access to your data: approval needed"),
    "grant_changed": msg("Supplier access: %(status)s"),
    "maintenance_notice": msg("Announced maintenance from %(starts_at)s to %(ends_at)s"),
    "invitation": msg("Invitation to pactum"),
    "password_reset": msg("Reset your password"),
    "disclosure": msg("Legally required disclosure of data announced"),
    "disclosure_outcome": msg("Legally required disclosure: %(outcome)s"),
    "agreement_changed": msg("Data-processing agreement: %(change)s"),
    "instruction_issued": msg("New instruction %(number)s from the controller"),
    "instruction_concern": msg(
        "The processor believes instruction %(number)s infringes the GDPR: it is on hold"
    ),
    "instruction_concern_answered": msg(
        "Instruction %(number)s after the processor's concern: %(outcome)s"
    ),
    "privacy_notice_submitted": msg(
        "The processor's privacy notice, version %(version)s: for your approval"
    ),
    "privacy_notice_answered": msg(
        "The processor's privacy notice, version %(version)s: %(review)s"
    ),
    "subject_request": msg(
        "A data subject's request (%(right)s) forwarded: answer by %(answer_by)s"
    ),
    "subject_request_assisted": msg(
        "The processor gave its assistance with data subject request %(number)s"
    ),
    "subject_request_closed": msg("Data subject request %(number)s closed: %(outcome)s"),
    "subject_request_overdue": msg(
        "Assistance with data subject request %(number)s is late (due %(due_at)s)"
    ),
    "destruction_attested": msg(
        "The processor attested what it destroyed or returned "
        "(%(items)s items, %(backups)s of them backups)"
    ),
    "closure_deadline_approaching": msg("The data must be returned or destroyed by %(return_by)s"),
    "closure_deadline_passed": msg(
        "Deadline passed: the data had to be returned or destroyed by %(return_by)s"
    ),
    "assistance_requested": msg("The controller asks for your help (%(kind)s), request %(number)s"),
    "assistance_answered": msg("The processor answered request %(number)s (%(kind)s)"),
    "breach_contact_missing": msg("Agreement signed without a breach contact: %(missing)s"),
    "measure_status_changed": msg(
        "Annex 2 measure %(measure_id)s is now %(status)s (was %(previous_status)s)"
    ),
    "measure_review_reported": msg(
        "Review of measure %(measure_id)s: finding and follow-up due %(follow_up_due_on)s"
    ),
    "measure_review_closed": msg("Review of measure %(measure_id)s closed"),
    "endpoint_disabled": msg("Webhook disabled after repeated failures"),
}

# Labels of the facts, per key (an unknown key is shown as itself, underscores as spaces).
LABELS: dict[str, str] = {
    "breach_id": msg_in("fact", "breach"),
    "agreement_id": msg_in("fact", "agreement"),
    "aware_at": msg_in("fact", "aware at"),
    "notified_at": msg_in("fact", "notified at"),
    "authority_deadline": msg_in("fact", "authority deadline"),
    "processor_deadline": msg_in("fact", "processor deadline"),
    "processor_late": msg_in("fact", "processor late"),
    "data_categories": msg_in("fact", "data categories"),
    "data_subject_categories": msg_in("fact", "data subject categories"),
    "approx_data_subjects": msg_in("fact", "approximate data subjects"),
    "approx_records": msg_in("fact", "approximate records"),
    "phase": msg_in("fact", "phase"),
    "fields": msg_in("fact", "fields"),
    "hours_left": msg_in("fact", "hours left"),
    "change_id": msg_in("fact", "change"),
    "processor_id": msg_in("fact", "processor"),
    "kind": msg_in("fact", "kind"),
    "subprocessor": msg_in("fact", "subprocessor"),
    "service": msg_in("fact", "service"),
    "location": msg_in("fact", "location"),
    "transfer_mechanism": msg_in("fact", "transfer mechanism"),
    "authorisation": msg_in("fact", "authorisation"),
    "effective_date": msg_in("fact", "effective date"),
    "objection_deadline": msg_in("fact", "objection deadline"),
    "silence_is_acceptance": msg_in("fact", "silence is acceptance"),
    "decision": msg_in("fact", "decision"),
    "deemed": msg_in("fact", "deemed"),
    "disclosure_id": msg_in("fact", "disclosure"),
    "outcome": msg_in("fact", "outcome"),
    "change": msg_in("fact", "change"),
    "version": msg_in("fact", "version"),
    "status": msg_in("fact", "status"),
    "user_id": msg_in("fact", "user"),
    "methods": msg_in("fact", "signed in with"),
    "until": msg_in("fact", "until"),
    "lock_number": msg_in("fact", "lock number"),
    "permanent": msg_in("fact", "permanent"),
    "grant_id": msg_in("fact", "grant"),
    "operator_id": msg_in("fact", "operator"),
    "access": msg_in("fact", "access"),
    "minutes": msg_in("fact", "minutes"),
    "reason": msg_in("fact", "reason"),
    "expires_at": msg_in("fact", "expires at"),
    "notice_id": msg_in("fact", "notice"),
    "starts_at": msg_in("fact", "starts at"),
    "ends_at": msg_in("fact", "ends at"),
    "endpoint_id": msg_in("fact", "webhook"),
    "failures": msg_in("fact", "failures"),
    "instruction_id": msg_in("fact", "instruction"),
    "number": msg_in("fact", "number"),
    "replacement_id": msg_in("fact", "replaced by"),
    "review": msg_in("fact", "answer"),
    "right": msg_in("fact", "right"),
    "received_at": msg_in("fact", "received at"),
    "due_at": msg_in("fact", "assistance due"),
    "return_by": msg_in("fact", "return or destroy by"),
    "outstanding": msg_in("fact", "still outstanding"),
    "items": msg_in("fact", "items"),
    "backups": msg_in("fact", "backups"),
    "backups_expire_by": msg_in("fact", "last backup expires"),
    "answer_by": msg_in("fact", "answer by"),
    "late": msg_in("fact", "late"),
    "due_on": msg_in("fact", "answer needed by"),
    "intervenes": msg_in("fact", "intervenes"),
    "missing": msg_in(
        "fact", "without a breach contact (until one is set, the admins receive breach notices)"
    ),
    "other_sessions_revoked": msg_in("fact", "other sessions ended"),
    "sessions_revoked": msg_in("fact", "sessions ended"),
    "measure_id": msg_in("fact", "measure"),
    "previous_status": msg_in("fact", "previous status"),
    "review_id": msg_in("fact", "review"),
    "reviewed_on": msg_in("fact", "reviewed on"),
    "follow_up_due_on": msg_in("fact", "follow-up due"),
}

# The words the notifier itself puts in a subject (notices.OUTCOMES, account_notices.GRANT_STATUS,
# "<entity> <verb>" of an agreement change); anything else is shown as registered.
TERMS: dict[str, str] = {
    "approved": msg_in("term", "approved"),
    "objection recorded": msg_in("term", "objection recorded"),
    "deemed accepted": msg_in("term", "deemed accepted"),
    "window closed without decision": msg_in("term", "window closed without decision"),
    "withdrawn by the processor": msg_in("term", "withdrawn by the processor"),
    "granted": msg_in("term", "granted"),
    "denied": msg_in("term", "denied"),
    "revoked": msg_in("term", "revoked"),
    "ended": msg_in("term", "ended"),
    "agreement activated": msg_in("term", "agreement activated"),
    "agreement terminated": msg_in("term", "agreement terminated"),
    "amendment proposed": msg_in("term", "amendment proposed"),
    "amendment accepted": msg_in("term", "amendment accepted"),
    "controller": msg_in("term", "controller"),
    "confirmed": msg_in("term", "confirmed, it applies"),
    "amended": msg_in("term", "amended, a new instruction replaces it"),
    "withdrawn": msg_in("term", "withdrawn"),
    "commented": msg_in("term", "commented on"),
    "access": msg_in("term", "access"),
    "rectification": msg_in("term", "rectification"),
    "erasure": msg_in("term", "erasure"),
    "restriction": msg_in("term", "restriction"),
    "portability": msg_in("term", "portability"),
    "objection": msg_in("term", "objection"),
    "automated_decision": msg_in("term", "automated decision"),
    "answered": msg_in("term", "answered"),
    "refused": msg_in("term", "refused"),
    "dpia": msg_in("term", "DPIA"),
    "prior_consultation": msg_in("term", "prior consultation of the authority"),
    "claim": msg_in("term", "intervention in a data subject's claim"),
    "processor": msg_in("term", "processor"),
    "planned": msg_in("term", "planned"),
    "partial": msg_in("term", "partial"),
    "implemented": msg_in("term", "implemented"),
    "not_applicable": msg_in("term", "not applicable"),
    "controller, processor": msg_in("term", "controller and processor"),
}


def label(key: str, locale: Locale) -> str:
    if key not in LABELS:
        return key.replace("_", " ")
    return str(translations(locale).pgettext("fact", LABELS[key]))


def term(value: str, locale: Locale) -> str:
    if value not in TERMS:
        return value
    return str(translations(locale).pgettext("term", TERMS[value]))


class _Facts(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Invitation:
    """Who invited whom to which organisation, as identity answers with the link."""

    organisation: str
    invitee: str  # the invited person's name, or their address
    role: str
    inviter: str | None = None  # None: the operator's command or the seed invited them
    inviter_organisation: str = ""


def moment(value: datetime, locale: Locale) -> str:
    """A moment in Brussels, the zone named: "6 December 2026 at 14:30 (Brussels time)"."""
    written = format_datetime(
        value.astimezone(BRUSSELS),
        _(locale, MOMENT_PATTERN),
        tzinfo=BRUSSELS,
        locale=BABEL_LOCALES[locale],
    )
    return _(locale, IN_BRUSSELS) % {"moment": written}


def shown(value: Any, locale: Locale) -> str:
    """A fact as people read it in ``locale``: lists joined, yes or no, days in words, moments in
    Brussels time with the zone named. A text that is neither stays as registered."""
    if isinstance(value, list):
        return ", ".join(shown(item, locale) for item in value)
    if isinstance(value, bool):
        return _(locale, YES if value else NO)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return moment(value, locale)
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-" == value[7:8]:
        try:
            return format_date(date.fromisoformat(value), "long", locale=BABEL_LOCALES[locale])
        except ValueError:
            return value
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and "T" in value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if parsed.tzinfo is not None:
            return moment(parsed, locale)
    return str(value)


def _lines(facts: dict[str, Any], locale: Locale) -> list[tuple[str, str]]:
    return [(label(key, locale), shown(value, locale)) for key, value in facts.items()]


def render(
    *, notice: str, locale: Locale, facts: dict[str, Any], event_id: str, link: str
) -> Rendered:
    subject = _(locale, SUBJECTS[notice]) % _Facts(
        {k: term(shown(v, locale), locale) for k, v in facts.items()}
    )
    footer = _(locale, FOOTER) % {"event_id": event_id, "link": link}
    intro = _(locale, INTRO)
    lines = _lines(facts, locale)
    text = "\n".join(
        [subject, "", intro, *(f"- {key}: {value}" for key, value in lines), "", footer]
    )
    rows = "".join(
        f"<tr><th align='left'>{escape(key)}</th><td>{escape(value)}</td></tr>"
        for key, value in lines
    )
    html = (
        f"<html lang='{locale.value}'><body><h1>{escape(subject)}</h1><p>{escape(intro)}</p>"
        f"<table>{rows}</table><p>{escape(footer)}</p>"
        f"<p><a href='{escape(link, quote=True)}'>{escape(link)}</a></p></body></html>"
    )
    return Rendered(subject, text, html)


def invited(invitation: Invitation, locale: Locale) -> str:
    """ "Ann Peeters (Stad Gent) invited you, Jan Janssens, to Stad Gent on pactum, as
    administrator." """
    role = ROLES.get(invitation.role)
    values = {
        "inviter": invitation.inviter,
        "inviter_organisation": invitation.inviter_organisation or invitation.organisation,
        "invitee": invitation.invitee,
        "organisation": invitation.organisation,
        "role": translations(locale).pgettext("role", role) if role else invitation.role,
    }
    return _(locale, INVITED_BY if invitation.inviter else INVITED) % values


def render_link(
    *,
    notice: str,
    locale: Locale,
    url: str,
    expires_at: datetime,
    event_id: str,
    replaces_earlier: bool = False,
    invitation: Invitation | None = None,
) -> Rendered:
    """A one-time link notice; rendered at send time only, never stored or logged. A link minted
    again (a retried delivery) says that the one sent before no longer works. An invitation says
    who invited whom to which organisation, with which role."""
    subject = (
        _(locale, INVITATION_TO) % {"organisation": invitation.organisation}
        if invitation is not None
        else _(locale, SUBJECTS[notice])
    )
    line = _(locale, LINK_TEXT) % {"url": url, "expires_at": moment(expires_at, locale)}
    if replaces_earlier:
        line = f"{line} {_(locale, LINK_REPLACES)}"
    paragraphs = [invited(invitation, locale)] if invitation is not None else []
    footer = _(locale, LINK_FOOTER) % {"event_id": event_id}
    text = "\n\n".join([subject, *paragraphs, line, footer]) + "\n"
    html = (
        f"<html lang='{locale.value}'><body><h1>{escape(subject)}</h1>"
        + "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
        + f"<p>{escape(line)}</p>"
        f"<p><a href='{escape(url, quote=True)}'>{escape(url)}</a></p>"
        f"<p>{escape(footer)}</p></body></html>"
    )
    return Rendered(subject, text, html)
