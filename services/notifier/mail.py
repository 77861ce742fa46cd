"""E-mail over SMTP (plain, STARTTLS or implicit TLS), text and HTML, threaded per notice thread."""

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from services.notifier.settings import NotifierSettings


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status: str
    permanent: bool = False  # a bounce: retrying will not help
    detail: str | None = None


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    event_id: str
    thread_id: str | None
    organisation_id: str


def compose(mail: Mail, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{mail.message_id}@pactum>"
    message["X-Pactum-Event-Id"] = mail.event_id
    message["X-Pactum-Organisation"] = mail.organisation_id
    if mail.thread_id:  # follow-ups and reminders land in the same thread
        message["X-Pactum-Thread-Id"] = mail.thread_id
        message["In-Reply-To"] = f"<{mail.thread_id}@pactum.thread>"
        message["References"] = f"<{mail.thread_id}@pactum.thread>"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def _send(settings: NotifierSettings, message: EmailMessage) -> Outcome:
    context = ssl.create_default_context(
        cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    )
    timeout = settings.smtp_timeout_seconds
    client: smtplib.SMTP
    try:
        if settings.smtp_security == "tls":
            client = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=context)
                client.ehlo()  # the server's extensions (AUTH) as announced over TLS
            if settings.smtp_username and settings.smtp_password:
                client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            refused = client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        code = next(iter(error.recipients.values()))[0]
        return Outcome(False, str(code), permanent=500 <= code < 600, detail="recipient refused")
    except smtplib.SMTPDataError as error:  # the message itself refused: a bounce if 5xx
        code = error.smtp_code
        return Outcome(False, str(code), permanent=500 <= code < 600, detail="message refused")
    except smtplib.SMTPResponseException as error:  # our side (TLS, login): fixable, retried
        return Outcome(False, str(error.smtp_code), detail="server refused the session")
    except (OSError, smtplib.SMTPException) as error:
        return Outcome(False, type(error).__name__, detail=str(error)[:300])
    if refused:
        return Outcome(False, "refused", permanent=True, detail="recipient refused")
    return Outcome(True, "250")


async def send(settings: NotifierSettings, message: EmailMessage) -> Outcome:
    """Hand the message to the SMTP server; accepted (250) or why not."""
    return await asyncio.to_thread(_send, settings, message)
