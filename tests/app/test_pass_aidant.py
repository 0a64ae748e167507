"""Aidants' Pass pages: open a Pass, assess together, tick checks, notes; who sees what."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import db
from app.models import Assessment, LevelResult
from app.services import passes as service
from tests.app.test_pass_service import answer_all
from tests.conftest import csrf_token, page_text


def existing_pass(app: Flask, levels: dict[str, int]) -> str:
    """A Pass with one finished self-assessment; return its displayed code."""
    with app.app_context():
        sitting, _ = service.start_assessment(db.session)
        answer_all(sitting, levels)
        done = service.finish_assessment(db.session, sitting)
        return service.display_code(done.pass_.code)


def test_staff_pages_send_anonymous_visitors_to_login(client: FlaskClient, app: Flask) -> None:
    code = existing_pass(app, {"devices": 1})
    for url in ("/equipe/pass", f"/equipe/pass/{code}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_aidant_validates_a_level_with_an_observed_check(
    client: FlaskClient,
    auth,
    app: Flask,  # type: ignore[no-untyped-def]
) -> None:
    code = existing_pass(app, {"devices": 1})
    auth.login("aidant")
    home = client.get("/equipe/pass")
    assert home.status_code == 200
    token = csrf_token(client, "/equipe/pass")
    opened = client.post("/equipe/pass", data={"csrf_token": token, "code": code})
    assert opened.status_code == 303 and opened.headers["Location"].endswith(f"/equipe/pass/{code}")
    page = client.get(f"/equipe/pass/{code}")
    assert page.status_code == 200 and "Niveau 1 sur 4" in page_text(page)

    token = csrf_token(client, f"/equipe/pass/{code}")
    note = client.post(f"/equipe/pass/{code}/notes", data={"csrf_token": token, "text": ""})
    assert note.status_code == 400 and "La note est vide" in page_text(note)
    note = client.post(
        f"/equipe/pass/{code}/notes", data={"csrf_token": token, "text": "Préfère la tablette."}
    )
    assert note.status_code == 303
    assert "Préfère la tablette." in page_text(client.get(f"/equipe/pass/{code}"))
    # The note is private: not on the holder's own page.
    client_public = app.test_client()
    assert "Préfère la tablette." not in page_text(client_public.get(f"/pass/{code}"))

    started = client.post(
        f"/equipe/pass/{code}/evaluer", data={"csrf_token": token, "checks_only": "1"}
    )
    assert started.status_code == 303
    checks_url = started.headers["Location"]
    checks = client.get(checks_url)
    assert checks.status_code == 200
    assert "Ouvrez une page, agrandissez le texte avec deux doigts" in page_text(checks)

    token = csrf_token(client, checks_url)
    bad = client.post(checks_url, data={"csrf_token": token, "check-devices-2-check": "perhaps"})
    assert bad.status_code == 400 and "choisissez une des réponses" in page_text(bad)
    nothing = client.post(checks_url, data={"csrf_token": token})
    assert nothing.status_code == 400 and "Rien à enregistrer" in page_text(nothing)

    saved = client.post(
        checks_url,
        data={
            "csrf_token": token,
            "check-devices-2-check": "alone",
            "check-devices-3-check": "with_help",
            "check-safety-1-check": "untried",
            "note": "Validé au bus.",
        },
    )
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/equipe/pass/{code}")
    after = page_text(client.get(f"/equipe/pass/{code}"))
    assert "niveau 2" in after and "validé" in after and "Validé au bus." in after
    with app.app_context():
        sitting = db.session.scalars(select(Assessment).order_by(Assessment.id.desc())).first()
        assert sitting.channel.value == "assisted" and sitting.aidant_id is not None
        rows = db.session.scalars(
            select(LevelResult).where(LevelResult.assessment_id == sitting.id)
        ).all()
        assert [(r.domain, r.level, r.status.value) for r in rows] == [("devices", 2, "validated")]
    # Finished: the checks page now leads back to the Pass.
    assert client.get(checks_url).status_code == 303


def test_an_aidant_creates_a_pass_and_runs_the_assessment_together(
    client: FlaskClient,
    auth,
    app: Flask,  # type: ignore[no-untyped-def]
) -> None:
    auth.login("aidant")
    token = csrf_token(client, "/equipe/pass")
    created = client.post("/equipe/pass/nouveau", data={"csrf_token": token})
    assert created.status_code == 303
    step_url = created.headers["Location"]
    page = client.get(step_url)
    assert page.status_code == 200 and "Nouveau Pass créé" in page_text(page)
    key = re.search(r'name="step_key" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    token = csrf_token(client, step_url)
    answered = client.post(step_url, data={"csrf_token": token, "step_key": key, "answer": "alone"})
    assert answered.status_code == 303
    assert key == "statement:devices-1-1"
    key = re.search(r'name="step_key" value="([^"]+)"', client.get(step_url).get_data(as_text=True))
    assert key.group(1) == "statement:devices-2-1"
    bad = client.post(
        step_url, data={"csrf_token": token, "step_key": key.group(1), "answer": "nope"}
    )
    assert bad.status_code == 400 and "Choisissez une des réponses" in page_text(bad)
    back = client.post(step_url + "/retour", data={"csrf_token": token, "step_key": "x"})
    assert back.status_code == 303
    assert client.get(step_url + "/verifications").status_code == 200


def test_unknown_assessments_and_codes_are_french_404s_for_staff(
    client: FlaskClient,
    auth,  # type: ignore[no-untyped-def]
) -> None:
    auth.login("coordinator")
    missing = client.get("/equipe/pass/evaluation/999999")
    assert missing.status_code == 404 and "Cette évaluation n'existe pas" in page_text(missing)
    token = csrf_token(client, "/equipe/pass")
    bad = client.post("/equipe/pass", data={"csrf_token": token, "code": "hello"})
    assert bad.status_code == 400
