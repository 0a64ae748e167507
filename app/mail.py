"""Outgoing email through SMTP, configured by one URL (``MAIL_URL``).

``MAIL_URL`` forms:

- ``smtp://host:port`` — plain SMTP (a local relay such as Postfix, or a test server);
- ``smtp+starttls://user:password@host:587`` — SMTP upgraded with STARTTLS, then login;
- ``smtps://user:password@host:465`` — SMTP over TLS from the first byte.

User and password are percent-decoded, so ``p%40ss`` means ``p@ss``. The sender is ``MAIL_FROM``
(default: the town's contact address). Without ``MAIL_URL`` the app sends nothing and the pages
that offer email hide that offer (:func:`mail_enabled`).

Code that sends email builds a message with :func:`build_message` and hands it to
:func:`send_message`; both are plain functions so background jobs can call them outside a request.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from flask_babel import gettext as _

SEND_TIMEOUT_SECONDS = 20
SCHEMES = ("smtp", "smtp+starttls", "smtps")


class MailError(Exception):
    """Sending failed or is not configured; ``str()`` is a plain French sentence for the page."""


class MailNotConfigured(MailError):
    """``MAIL_URL`` is not set."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True)
class SmtpSettings:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None
    local_hostname: str | None = None


def parse_mail_url(url: str) -> SmtpSettings:
    """Read ``MAIL_URL``; raise ``ValueError`` saying what is wrong with it."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(f"MAIL_URL must start with one of {', '.join(s + '://' for s in SCHEMES)}")
    if not parts.hostname:
        raise ValueError("MAIL_URL has no host name")
    default_port = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[scheme]
    query = parse_qs(parts.query)
    return SmtpSettings(
        scheme=scheme,
        host=parts.hostname,
        port=parts.port or default_port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        local_hostname=(query.get("helo") or [None])[0],
    )


def mail_enabled() -> bool:
    """Whether the app is configured to send email."""
    return bool(current_app.config.get("MAIL_URL"))


def default_sender() -> str:
    configured = current_app.config.get("MAIL_FROM")
    if configured:
        return str(configured)
    return str(Address("Mairie Bus", addr_spec=current_app.config["CONTACT_EMAIL"]))


def build_message(
    to: str | Iterable[str],
    subject: str,
    text: str,
    *,
    html: str | None = None,
    attachments: Iterable[Attachment] = (),
    headers: Mapping[str, str] | None = None,
    sender: str | None = None,
    reply_to: str | None = None,
) -> EmailMessage:
    """Build a UTF-8 message: plain text, optional HTML alternative, optional attachments."""
    message = EmailMessage()
    message["From"] = sender or default_sender()
    message["To"] = to if isinstance(to, str) else ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = str(current_app.config["CONTACT_EMAIL"]).rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    if reply_to:
        message["Reply-To"] = reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _slash, subtype = attachment.mimetype.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


def _settings(mail_url: str | None) -> SmtpSettings:
    url = mail_url or current_app.config.get("MAIL_URL")
    if not url:
        raise MailNotConfigured(_("L'envoi d'e-mails n'est pas configuré sur ce site."))
    try:
        return parse_mail_url(str(url))
    except ValueError as error:
        current_app.logger.error("MAIL_URL is invalid: %s", error)
        raise MailError(_("L'envoi d'e-mails est mal configuré. Prévenez l'équipe.")) from error


def _not_sent(error: Exception, to: object) -> MailError:
    current_app.logger.warning("Email to %s not sent: %r", to, error)
    return MailError(
        _("L'e-mail n'a pas pu partir pour l'instant. Réessayez dans quelques minutes.")
    )


def send_message(message: EmailMessage, mail_url: str | None = None) -> None:
    """Send ``message`` through the configured SMTP server; raise :class:`MailError` on failure."""
    settings = _settings(mail_url)
    try:
        with _connect(settings) as client:
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise _not_sent(error, message["To"]) from error


@contextmanager
def smtp_connection(mail_url: str | None = None) -> Iterator[Callable[[EmailMessage], None]]:
    """One SMTP connection for many messages (background jobs sending hundreds at once).

    Yields ``send(message)``; any failure, when connecting or sending, raises :class:`MailError`.
    """
    settings = _settings(mail_url)
    try:
        with _connect(settings) as client:

            def send(message: EmailMessage) -> None:
                try:
                    client.send_message(message)
                except (smtplib.SMTPException, OSError) as error:
                    raise _not_sent(error, message["To"]) from error

            yield send
    except (smtplib.SMTPException, OSError) as error:
        raise _not_sent(error, "(connection)") from error


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the system CA store takes ~0.2 s: once per process, not per message (reminders
    # send thousands), and never for plain SMTP.
    return ssl.create_default_context()


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, authenticated SMTP client (a context manager that says QUIT on exit)."""
    client: smtplib.SMTP
    if settings.scheme == "smtps":
        client = smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            local_hostname=settings.local_hostname,
            timeout=SEND_TIMEOUT_SECONDS,
            context=_tls_context(),
        )
    else:
        client = smtplib.SMTP(
            settings.host,
            settings.port,
            local_hostname=settings.local_hostname,
            timeout=SEND_TIMEOUT_SECONDS,
        )
    try:
        if settings.scheme == "smtp+starttls":
            client.starttls(context=_tls_context())
        if settings.username:
            client.login(settings.username, settings.password or "")
    except BaseException:
        client.close()
        raise
    return client


def send_email(
    to: str | Iterable[str],
    subject: str,
    text: str,
    **options: object,
) -> EmailMessage:
    """Build and send one message; return it (for logging or tests)."""
    message = build_message(to, subject, text, **options)  # type: ignore[arg-type]
    send_message(message)
    return message
