"""The thank-you page offers the Pass informatique: to the resident, or to the aidant with them."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.app.test_collect_views import Walker, link  # noqa: F401 - `link` is a fixture
from tests.conftest import csrf_token, page_text


def _answer_from_the_poster(client: FlaskClient, code: str) -> None:
    walker = Walker(client)
    walker.start(f"/q/{code}")
    walker.answer_all()
    assert walker.send().status_code == 303


def test_a_resident_is_offered_the_pass_after_answering(client: FlaskClient, link: str) -> None:  # noqa: F811
    _answer_from_the_poster(client, link)
    thanks = client.get("/merci")
    text = page_text(thanks)
    assert "Et vous, où en êtes-vous avec le numérique ?" in text
    assert '<a class="button" href="/pass">Faire le Pass informatique</a>' in text


def test_an_aidant_is_offered_to_open_the_pass_with_the_person(
    app: Flask,
    client: FlaskClient,
    auth,
    link: str,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    auth.login("aidant")
    walker = Walker(client)
    walker.token = csrf_token(client, "/aidant/questionnaire")
    walker.post("/aidant/questionnaire", {"place": "bus:canto_perdrix", "form_id": "mairiebus"})
    walker.answer_all()
    assert walker.send().status_code == 303
    text = page_text(client.get("/merci"))
    assert "Proposez-lui le Pass informatique" in text
    assert '<a class="button" href="/equipe/pass">Ouvrir le Pass avec cette personne</a>' in text


def test_the_thank_you_page_offers_reminders_when_email_is_set_up(
    client: FlaskClient,
    link: str,  # noqa: F811
    smtp_server,  # type: ignore[no-untyped-def]
) -> None:
    _answer_from_the_poster(client, link)
    thanks = client.get("/merci")
    assert "Prévenez-moi quand le bus vient près de chez moi" in page_text(thanks)
    assert 'href="/rappels"' in thanks.get_data(as_text=True)


def test_no_reminder_offer_without_email(client: FlaskClient, link: str) -> None:  # noqa: F811
    _answer_from_the_poster(client, link)
    assert "Prévenez-moi" not in page_text(client.get("/merci"))
