"""The aidant's questionnaire without a connection: the one-page form, the pack, and the
exactly-once replay of answers kept on the tablet."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import db
from app.models import Answer, Channel, Neighbourhood, Response, ResponseStatus
from app.services import collection as sites
from tests.conftest import csrf_token, page_text


@pytest.fixture
def tablet(app: Flask, client: FlaskClient, auth) -> FlaskClient:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.add(Neighbourhood(code="canto_perdrix", name="Canto Perdrix"))
        db.session.commit()
        sites.ensure_default_form(db.session)
    auth.login("aidant")
    return client


# The offline script, under its plain or fingerprinted name (js/offline.<12 hex>.js).
OFFLINE_SCRIPT = re.compile(r"js/offline(\.[0-9a-f]{12})?\.js")

# Answers as the offline page sends them: every question on one page.
ANSWERS = {
    "place": "bus:canto_perdrix",
    "form_id": "mairiebus",
    "reason": ["town_hall"],
    "heard_how": "word_of_mouth",  # only asked when "someone told me" is ticked: dropped
    "age_band": "75_plus",
    "neighbourhood": "canto_perdrix",
    "needs": ["taxes", "caf"],
}


def _count(status: ResponseStatus = ResponseStatus.SUBMITTED) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Response).where(Response.status == status)
    )


def test_offline_page_has_every_question_and_the_pack_lists_it(tablet: FlaskClient) -> None:
    page = tablet.get("/aidant/hors-ligne/mairiebus")
    assert page.status_code == 200
    html = page_text(page)
    for name in ("reason", "age_band", "neighbourhood", "needs", "heard_how"):
        assert f'name="{name}"' in html
    assert "Seulement si cela concerne la personne" in html
    assert "data-offline" in html
    pack = tablet.get("/aidant/hors-ligne/paquet.json").get_json()
    assert "/aidant/hors-ligne/mairiebus" in pack["urls"]
    assert "/aidant/questionnaire" in pack["urls"]


def test_answers_kept_offline_are_stored_once_whatever_the_retries(
    app: Flask, tablet: FlaskClient
) -> None:
    token = csrf_token(tablet, "/aidant/hors-ligne/mairiebus")
    data = {**ANSWERS, "csrf_token": token, "idempotency_key": "k" * 32}
    headers = {"Accept": "application/json"}
    first = tablet.post("/aidant/hors-ligne/envoyer", data=data, headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)
    again = tablet.post("/aidant/hors-ligne/envoyer", data=data, headers=headers)
    assert again.get_json() == first.get_json()
    with app.app_context():
        assert _count() == 1
        assert _count(ResponseStatus.DRAFT) == 0
        response = db.session.scalar(select(Response))
        assert response.channel is Channel.ASSISTED
        assert response.neighbourhood.code == "canto_perdrix"
        answers = dict(
            db.session.execute(
                select(Answer.question, Answer.value).where(Answer.response_id == response.id)
            ).all()
        )
    assert answers["age_band"] == "75_plus"
    assert set(answers["needs"].split()) == {"taxes", "caf"}
    assert "heard_how" not in answers


def test_incomplete_answers_are_refused_in_french_and_leave_nothing(
    app: Flask, tablet: FlaskClient
) -> None:
    token = csrf_token(tablet, "/aidant/hors-ligne/mairiebus")
    data = {**ANSWERS, "csrf_token": token, "idempotency_key": "m" * 32, "age_band": ""}
    refused = tablet.post(
        "/aidant/hors-ligne/envoyer", data=data, headers={"Accept": "application/json"}
    )
    assert refused.status_code == 422
    assert re.search(r"Réponse à compléter : .+", refused.get_json()["message"])
    with app.app_context():
        assert _count() == 0 and _count(ResponseStatus.DRAFT) == 0


def test_without_javascript_the_offline_page_posts_like_a_normal_form(
    app: Flask, tablet: FlaskClient
) -> None:
    token = csrf_token(tablet, "/aidant/hors-ligne/mairiebus")
    sent = tablet.post(
        "/aidant/hors-ligne/envoyer",
        data={**ANSWERS, "csrf_token": token, "idempotency_key": "n" * 32},
    )
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/merci")
    assert "Commencer un nouveau questionnaire" in page_text(tablet.get("/merci"))


def test_service_worker_and_manifest(client: FlaskClient) -> None:
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["Cache-Control"] == "no-cache"
    assert worker.mimetype == "text/javascript"
    manifest = client.get("/manifest.webmanifest").get_json()
    assert manifest["start_url"] == "/aidant/questionnaire"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    assert client.get("/equipe/icone-192.png").data.startswith(b"\x89PNG")


def test_residents_pages_carry_no_offline_script(tablet: FlaskClient) -> None:
    staff_page = page_text(tablet.get("/aidant/questionnaire"))
    assert OFFLINE_SCRIPT.search(staff_page) and 'rel="manifest"' in staff_page
    assert "Hors connexion : vos saisies sont gardées sur la tablette" in staff_page
    tablet.post("/logout", data={"csrf_token": csrf_token(tablet, "/aidant/questionnaire")})
    resident = page_text(tablet.get("/questionnaire"))
    assert not OFFLINE_SCRIPT.search(resident) and "manifest" not in resident


def test_coordinators_desk_pages_stay_without_the_offline_script(client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    desk = client.get("/dashboard")
    assert desk.status_code == 200 and not OFFLINE_SCRIPT.search(page_text(desk))
    assert OFFLINE_SCRIPT.search(page_text(client.get("/aidant/questionnaire")))


def test_logbook_entry_joins_the_offline_mechanism(tablet: FlaskClient, app: Flask) -> None:
    entry = page_text(tablet.get("/journal/passage"))
    form = re.search(r'<form[^>]*class="visit-form"[^>]*>', entry)
    assert form and "data-offline" in form.group(0) and "data-offline-reset" in form.group(0)
    assert 'name="idempotency_key"' in entry  # replayed copies are recorded once
    pack = tablet.get("/aidant/hors-ligne/paquet.json").get_json()
    assert "/journal/passage" in pack["urls"]
    assert any(url.startswith("/static/css/journal.") for url in pack["urls"])
