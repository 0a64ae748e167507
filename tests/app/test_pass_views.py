"""Pass pages through the test client: the flow, bad input, throttling, the Pass, aidants."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import db
from app.models import Assessment, LevelResult, Pass
from app.services import passes as service
from badges import passcode
from tests.conftest import csrf_token, page_text

STEP_KEY = re.compile(r'name="step_key" value="([^"]+)"')


def step_key(client: FlaskClient) -> str:
    page = client.get("/pass/question")
    assert page.status_code == 200
    match = STEP_KEY.search(page.get_data(as_text=True))
    assert match, "no step on the page"
    return match.group(1)


def begin(client: FlaskClient) -> None:
    token = csrf_token(client, "/pass")
    response = client.post("/pass/commencer", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pass/question")
    cookie = response.headers["Set-Cookie"]
    assert "mairiebus_pass=" in cookie and "HttpOnly" in cookie and "Path=/pass" in cookie


def send(client: FlaskClient, key: str, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/pass/question")
    return client.post("/pass/question", data={"csrf_token": token, "step_key": key, **data})


def run_to_the_end(client: FlaskClient, statement: str = "not_yet") -> str:
    """Answer every page (statements with ``statement``, challenges skipped); return the code."""
    for _ in range(60):
        key = step_key(client)
        if key.startswith("statement:"):
            response = send(client, key, answer=statement)
        elif key.startswith("challenge:"):
            response = send(client, key, skip="1")
        else:
            response = send(client, key, answer="continue")
        assert response.status_code == 303
        location = response.headers["Location"]
        if "/resultats" in location:
            return location.split("/")[-2]
    raise AssertionError("the assessment never ended")


def test_start_page_reassures_and_works_anonymously(client: FlaskClient) -> None:
    response = client.get("/pass")
    assert response.status_code == 200
    text = page_text(response)
    for words in ("10 minutes", "pas de mauvaise réponse", "anonyme", "code"):
        assert words in text
    assert "style=" not in text and "<script>" not in text


def test_question_without_an_assessment_goes_back_to_the_start(client: FlaskClient) -> None:
    response = client.get("/pass/question")
    assert response.status_code == 303 and response.headers["Location"].endswith("/pass")


def test_statement_answer_reload_back_and_stale_pages(client: FlaskClient) -> None:
    begin(client)
    first = step_key(client)
    assert first == "statement:devices-1-1"
    assert "Je sais allumer mon téléphone" in page_text(client.get("/pass/question"))
    assert step_key(client) == first  # a reload shows the same question

    response = send(client, first, answer="alone")
    assert response.status_code == 303
    second = step_key(client)
    assert second == "statement:devices-2-1"
    # Progress: 1 answered of about 1 + (2 statements + 1 challenge) + 5 domains x 3 = 19,
    # so round(100 / 19) = 5 %.
    assert '<progress max="100" value="5"' in client.get("/pass/question").get_data(as_text=True)

    # The first page sent again: nothing recorded, the current page is shown with a note.
    stale = send(client, first, answer="not_yet")
    assert stale.status_code == 303
    follow = client.get("/pass/question")
    assert "n'était plus à jour" in page_text(follow)
    assert step_key(client) == second

    back = client.post(
        "/pass/retour",
        data={"csrf_token": csrf_token(client, "/pass/question"), "step_key": second},
    )
    assert back.status_code == 303
    assert step_key(client) == first


def test_bad_answers_get_400_with_a_french_message_and_the_same_page(client: FlaskClient) -> None:
    begin(client)
    key = step_key(client)
    response = send(client, key, answer="maybe")
    assert response.status_code == 400
    text = page_text(response)
    assert "Choisissez une des réponses proposées" in text
    assert "Je sais allumer mon téléphone" in text
    missing = send(client, "", answer="alone")
    assert missing.status_code == 400
    no_csrf = client.post("/pass/question", data={"step_key": key, "answer": "alone"})
    assert no_csrf.status_code == 400
    assert step_key(client) == key


def test_challenge_needs_a_choice_and_shows_the_explanation(client: FlaskClient) -> None:
    begin(client)
    send(client, step_key(client), answer="not_yet")
    send(client, step_key(client), answer="not_yet")
    key = step_key(client)
    assert key == "challenge:devices-1-challenge"
    page = client.get("/pass/question").get_data(as_text=True)
    image = re.search(r'src="(/pass/images/devices-1\.svg\?v=[0-9a-f]+)"', page)
    assert image and 'type="radio"' in page
    picture = client.get(image.group(1))
    assert picture.status_code == 200 and picture.mimetype == "image/svg+xml"
    assert "max-age=31536000" in picture.headers["Cache-Control"]

    empty = send(client, key)
    assert empty.status_code == 400
    assert "Choisissez une des réponses proposées" in page_text(empty)

    wrong = send(client, key, answer="a")
    assert wrong.status_code == 303
    feedback = page_text(client.get("/pass/question"))
    assert "Presque" in feedback and "Le bouton vert (B)" in feedback
    assert send(client, step_key(client), answer="continue").status_code == 303
    assert step_key(client) == "statement:browsing-1-1"


def test_a_beginner_finishes_gets_a_pass_and_results(client: FlaskClient, app: Flask) -> None:
    begin(client)
    code = run_to_the_end(client, "not_yet")
    assert passcode.is_valid(code) and code.count("-") == 2
    # The cookie is spent: the start page offers no resume.
    assert "Reprendre" not in page_text(client.get("/pass"))
    results = client.get(f"/pass/{code}/resultats")
    assert results.status_code == 200
    text = page_text(results)
    assert code in text
    assert text.count("Niveau 0 sur 4 : À découvrir") >= 6
    assert "Je sais allumer mon téléphone et le déverrouiller." in text  # the next can-do
    assert '<svg class="ladder"' in text and "style=" not in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LevelResult)) == 6


def test_pass_page_card_contact_export_and_delete(client: FlaskClient, app: Flask) -> None:
    begin(client)
    code = run_to_the_end(client, "alone")
    page = client.get(f"/pass/{code}")
    assert page.status_code == 200
    text = page_text(page)
    assert "Mes progrès" in text and "Refaire le test" in text
    assert client.get(f"/pass/{code.lower().replace('-', '')}").status_code == 200

    card = client.get(f"/pass/{code}/carte")
    assert card.status_code == 200
    assert '<svg role="img"' in card.get_data(as_text=True)

    assert client.get(f"/pass/{code}/coordonnees").status_code == 200
    token = csrf_token(client, f"/pass/{code}/coordonnees")
    refused = client.post(
        f"/pass/{code}/coordonnees",
        data={"csrf_token": token, "first_name": "Camille", "email": ""},
    )
    assert refused.status_code == 400 and "Cochez la case" in page_text(refused)
    assert 'value="Camille"' in refused.get_data(as_text=True)  # what was typed is kept
    bad_email = client.post(
        f"/pass/{code}/coordonnees",
        data={"csrf_token": token, "email": "camille@", "consent": "y"},
    )
    assert bad_email.status_code == 400 and "ne semble pas complète" in page_text(bad_email)
    saved = client.post(
        f"/pass/{code}/coordonnees",
        data={"csrf_token": token, "first_name": "Camille", "consent": "y"},
    )
    assert saved.status_code == 303
    assert "Le Pass de Camille" in page_text(client.get(f"/pass/{code}"))

    export = client.get(f"/pass/{code}/export.json")
    assert export.status_code == 200 and export.mimetype == "application/json"
    assert "attachment" in export.headers["Content-Disposition"]
    data = json.loads(export.get_data(as_text=True))
    assert data["pass"]["prenom"] == "Camille" and len(data["evaluations"]) == 1
    assert {d["niveau"] for d in data["niveaux_actuels"]} == {4}

    # Retake from the Pass page: the new sitting belongs to the same Pass.
    token = csrf_token(client, f"/pass/{code}")
    retake = client.post("/pass/commencer", data={"csrf_token": token, "pass_code": code})
    assert retake.status_code == 303
    assert run_to_the_end(client, "not_yet") == code
    history = page_text(client.get(f"/pass/{code}"))
    assert history.count("seul(e)") >= 2

    assert client.get(f"/pass/{code}/supprimer").status_code == 200
    token = csrf_token(client, f"/pass/{code}/supprimer")
    gone = client.post(f"/pass/{code}/supprimer", data={"csrf_token": token})
    assert gone.status_code == 303 and gone.headers["Location"].endswith("/pass/supprime")
    assert client.get("/pass/supprime").status_code == 200
    missing = client.get(f"/pass/{code}")
    assert missing.status_code == 404
    assert "Nous ne trouvons pas de Pass avec ce code" in page_text(missing)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Pass)) == 0
        assert db.session.scalar(select(func.count()).select_from(Assessment)) == 2
        assert db.session.scalar(select(func.count()).select_from(LevelResult)) == 12


def test_open_form_bad_unknown_and_good_codes(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        pass_ = service.create_pass(db.session)
        db.session.commit()
        code = service.display_code(pass_.code)
    assert client.get("/pass/ouvrir").status_code == 200
    token = csrf_token(client, "/pass/ouvrir")
    empty = client.post("/pass/ouvrir", data={"csrf_token": token, "code": ""})
    assert empty.status_code == 400 and "Écrivez le code" in page_text(empty)
    short = client.post("/pass/ouvrir", data={"csrf_token": token, "code": "K7M-9QX"})
    assert short.status_code == 400 and "9 caractères" in page_text(short)
    unknown = client.post("/pass/ouvrir", data={"csrf_token": token, "code": _other_code(code)})
    assert unknown.status_code == 404 and "Nous ne trouvons pas de Pass" in page_text(unknown)
    good = client.post("/pass/ouvrir", data={"csrf_token": token, "code": code.lower()})
    assert good.status_code == 303 and good.headers["Location"].endswith(f"/pass/{code}")


def test_failed_lookups_are_throttled_per_client(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        pass_ = service.create_pass(db.session)
        db.session.commit()
        code = service.display_code(pass_.code)
    token = csrf_token(client, "/pass/ouvrir")
    for _ in range(20):
        response = client.post(
            "/pass/ouvrir", data={"csrf_token": token, "code": _other_code(code)}
        )
        assert response.status_code == 404
    blocked = client.post("/pass/ouvrir", data={"csrf_token": token, "code": code})
    assert blocked.status_code == 429
    assert "Trop de codes essayés" in page_text(blocked)
    assert client.get(f"/pass/{code}").status_code == 429
    # Another client is not blocked.
    other = app.test_client()
    assert other.get(f"/pass/{code}", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


def test_unknown_pictures_and_codes_are_french_404s(client: FlaskClient) -> None:
    assert client.get("/pass/images/../../secret.svg").status_code == 404
    response = client.get("/pass/images/zzz.svg")
    assert response.status_code == 404 and "Cette image n'existe pas" in page_text(response)
    assert client.get("/pass/zzz-unknown/carte").status_code == 404


def _other_code(code: str) -> str:
    while True:
        other = passcode.format(passcode.generate())
        if other != code:
            return other
