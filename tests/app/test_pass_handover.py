"""The aidant's Pass page hands over: print the card and badges, email them (issue 13, item 7).

Email goes through the real mailer to a local aiosmtpd server (``smtp_server``)."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import db
from app.services import passes as service
from badges import baking
from tests.app.test_pass_aidant import existing_pass
from tests.conftest import csrf_token, page_text
from tests.support.smtp import free_port

# Three domains with a badge: devices up to level 2, browsing 1, communicating 1.
LEVELS = {"devices": 2, "browsing": 1, "communicating": 1}


def _aidant_page(client: FlaskClient, auth, app: Flask) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    code = existing_pass(app, LEVELS)
    auth.login("aidant")
    return code, f"/equipe/pass/{code}"


def test_aidant_emails_the_pass_and_its_badges(
    client: FlaskClient, auth, app: Flask, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    code, url = _aidant_page(client, auth, app)
    page = page_text(client.get(url))
    assert "À remettre à la personne" in page and "Envoyer le Pass et les badges" in page
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/envoyer", data={"csrf_token": token, "email": " marie.dupont@example.org "}
    )
    assert response.status_code == 303
    assert "Le Pass et ses badges sont partis à marie.dupont@example.org" in page_text(
        client.get(url)
    )
    [received] = smtp_server.sink.wait_for(1)
    message = received.message
    assert received.rcpt_tos == ["marie.dupont@example.org"]
    assert message["Subject"] == f"Votre Pass informatique {code} et vos badges"
    body = message.get_body(("plain",)).get_content()
    assert f"Votre code Pass : {code}" in body
    assert f"https://mairiebus.example.org/pass/{code}" in body
    assert "Mon téléphone – Pas à pas" in body  # the top badge of devices (level 2)
    pictures = [part for part in message.iter_attachments()]
    assert len(pictures) == len(LEVELS)  # the top badge of each domain, not all five
    assert all(p.get_content_type() == "image/png" for p in pictures)
    # Each picture is the baked badge: its Open Badges assertion is inside and names the Pass's.
    with app.app_context():
        pass_ = service.find_pass(db.session, code)
        uuids = {a.uuid for a in service.pass_awards(db.session, pass_)}
    for picture in pictures:
        assertion = json.loads(baking.unbake_one(picture.get_content()))
        assert assertion["id"].rsplit("/", 1)[-1].removesuffix(".json") in uuids
    # The address is not kept on the Pass.
    with app.app_context():
        assert service.find_pass(db.session, code).email is None


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("", "Écrivez l'adresse e-mail de la personne."),
        ("marie.dupont@", "Cette adresse e-mail ne semble pas complète"),
    ],
)
def test_a_bad_address_is_refused_next_to_the_field_and_kept(
    client: FlaskClient, auth, app: Flask, smtp_server, address: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    _code, url = _aidant_page(client, auth, app)
    token = csrf_token(client, url)
    response = client.post(f"{url}/envoyer", data={"csrf_token": token, "email": address})
    assert response.status_code == 400
    text = page_text(response)
    assert message in text
    assert f'value="{address}"' in text or not address
    assert smtp_server.sink.messages == []


def test_without_a_mailer_the_offer_is_hidden_and_a_post_says_so(
    client: FlaskClient, auth, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    assert not app.config.get("MAIL_URL")
    _code, url = _aidant_page(client, auth, app)
    page = page_text(client.get(url))
    assert "Envoyer le Pass et les badges" not in page
    assert "L'envoi d'e-mails n'est pas configuré sur ce site" in page
    token = csrf_token(client, url)
    response = client.post(f"{url}/envoyer", data={"csrf_token": token, "email": "a@example.org"})
    assert response.status_code == 503
    assert "n'est pas configuré" in page_text(response)


def test_an_smtp_server_that_does_not_answer_gives_a_french_message(
    client: FlaskClient, auth, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    _code, url = _aidant_page(client, auth, app)
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    try:
        token = csrf_token(client, url)
        response = client.post(
            f"{url}/envoyer", data={"csrf_token": token, "email": "marie@example.org"}
        )
    finally:
        app.config["MAIL_URL"] = None
    assert response.status_code == 503
    text = page_text(response)
    assert "L'e-mail n'a pas pu partir pour l'instant" in text
    assert 'value="marie@example.org"' in text


def test_print_sheet_has_the_card_its_qr_and_the_badges(
    client: FlaskClient, auth, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    code, url = _aidant_page(client, auth, app)
    response = client.get(f"{url}/imprimer")
    assert response.status_code == 200
    text = page_text(response)
    assert f'<p class="pass-card-code">{code}</p>' in text
    assert text.count('<svg role="img"') == 1
    assert len(re.findall(r'<img src="/badges/assertions/[0-9a-f-]+\.png"', text)) == len(LEVELS)
    assert "Chaque badge se vérifie sur https://mairiebus.example.org/verifier." in text
    assert app.test_client().get(f"{url}/imprimer").status_code == 302  # staff only
