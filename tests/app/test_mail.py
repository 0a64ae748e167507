"""The SMTP mailer against a real local SMTP server."""

from __future__ import annotations

import pytest
from flask import Flask

from app.mail import (
    Attachment,
    MailError,
    MailNotConfigured,
    build_message,
    mail_enabled,
    parse_mail_url,
    send_email,
    send_message,
)
from tests.support.smtp import free_port

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_message_arrives_with_french_text_and_attachment(app: Flask, smtp_server) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        assert mail_enabled()
        send_email(
            "habitante@example.net",
            "Vos badges du Pass informatique",
            "Bonjour,\nVoici vos badges : gardez-les précieusement.",
            html="<p>Bonjour, voici vos <strong>badges</strong>.</p>",
            attachments=[Attachment("badge-éco.png", PNG_BYTES, "image/png")],
            headers={"List-Unsubscribe": "<https://mairiebus.example.org/stop/abc>"},
        )
    (received,) = smtp_server.sink.wait_for(1)
    assert received.rcpt_tos == ["habitante@example.net"]
    message = received.message
    assert message["Subject"] == "Vos badges du Pass informatique"
    assert message["From"].addresses[0].addr_spec == "mairiebus@example.org"
    assert message["List-Unsubscribe"] == "<https://mairiebus.example.org/stop/abc>"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "gardez-les précieusement" in body.get_content()
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "<strong>badges</strong>" in html.get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "badge-éco.png"
    assert attachment.get_content_type() == "image/png"
    assert attachment.get_content() == PNG_BYTES


def test_not_configured_says_so_in_french(app: Flask) -> None:
    with app.test_request_context("/"):
        app.config["MAIL_URL"] = None
        assert not mail_enabled()
        message = build_message("a@example.net", "Sujet", "Texte")
        with pytest.raises(MailNotConfigured, match="pas configuré"):
            send_message(message)


def test_unreachable_server_is_a_mail_error_not_a_crash(app: Flask) -> None:
    closed_port = free_port()  # nothing listens there
    with app.test_request_context("/"):
        message = build_message("a@example.net", "Sujet", "Texte")
        with pytest.raises(MailError, match="n'a pas pu partir"):
            send_message(message, mail_url=f"smtp://127.0.0.1:{closed_port}")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", ("smtp", "127.0.0.1", 2525, None, None)),
        (
            "smtp+starttls://bus%40ville.fr:p%40ss@mail.ville.fr",
            ("smtp+starttls", "mail.ville.fr", 587, "bus@ville.fr", "p@ss"),
        ),
        ("smtps://u:p@mail.ville.fr", ("smtps", "mail.ville.fr", 465, "u", "p")),
    ],
)
def test_mail_url_forms(url: str, expected: tuple[object, ...]) -> None:
    settings = parse_mail_url(url)
    assert (
        settings.scheme,
        settings.host,
        settings.port,
        settings.username,
        settings.password,
    ) == expected


@pytest.mark.parametrize("url", ["http://mail.ville.fr", "smtp://", "mailto:bus@ville.fr"])
def test_mail_url_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_mail_url(url)
