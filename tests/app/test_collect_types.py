"""Every question type the engine supports renders sensibly and round-trips through the views."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from app.db import db
from app.models import Answer, PointKind, Response
from app.services import collection as sites
from app.services.forms import import_form
from tests.conftest import csrf_token, page_text

ALL_TYPES = """
| survey |
| | type | name | label::Français (fr) | label::English (en) | required | appearance | parameters | constraint | constraint_message::Français (fr) |
| | begin_group | basics | Les bases | Basics | | field-list | | | |
| | note | intro | Bonjour à vous | Hello | | | | | |
| | text | first_name | Votre prénom | Your first name | yes | | | | |
| | text | story | Votre histoire | Your story | | multiline | | | |
| | integer | age | Âge | Age | | | | . < 130 | Âge impossible |
| | decimal | height | Taille en mètres | Height | | | | | |
| | date | born | Date de naissance | Birth date | | | | | |
| | time | hour | Heure | Time | | | | | |
| | end_group | | | | | | | | |
| | begin_group | picks | Des choix | Choices | | field-list | | | |
| | select_one colours | colour | Couleur | Colour | | minimal | | | |
| | select_one scale | mood | Humeur | Mood | | likert | | | |
| | select_multiple days | days | Jours | Days | | horizontal | | | |
| | rank colours | ranking | Classez | Rank | | | | | |
| | range | score | Note | Score | | | start=1 end=5 step=1 | | |
| | acknowledge | ok | J'ai compris | I understand | | | | | |
| | end_group | | | | | | | | |
| | begin_group | media | Des fichiers | Files | | field-list | | | |
| | geopoint | spot | Où êtes-vous ? | Where are you? | | | | | |
| | image | photo | Une photo | A photo | | | max-pixels=100 | | |
| | file | doc | Un document | A document | | | | | |
| | end_group | | | | | | | | |
| | begin_repeat | kids | Enfants | Children | | | | | |
| | text | kid_name | Prénom de l'enfant | Child's name | | | | | |
| | end_repeat | | | | | | | | |
| choices |
| | list_name | name | label::Français (fr) | label::English (en) |
| | colours | red | Rouge | Red |
| | colours | blue | Bleu | Blue |
| | scale | sad | Triste | Sad |
| | scale | fine | Bien | Fine |
| | scale | happy | Content | Happy |
| | days | mon | Lundi | Monday |
| | days | tue | Mardi | Tuesday |
| | days | wed | Mercredi | Wednesday |
| settings |
| | form_title | form_id | version | default_language |
| | Tous les types | all_types_web | 1 | Français (fr) |
"""


@pytest.fixture
def code(app: Flask) -> str:
    with app.app_context():
        import_form(db.session, ALL_TYPES.strip().encode(), "all_types.md")
        point = sites.create_point(
            db.session, sites.PointData("Salle test", PointKind.OTHER), attach=None
        )
        return sites.attach_form(db.session, point, "all_types_web").code


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _shown(html: str) -> list[str]:
    return re.findall(r'name="shown" value="([^"]+)"', html)


def test_every_type_renders_and_round_trips(app: Flask, client: FlaskClient, code: str) -> None:
    token = csrf_token(client, f"/q/{code}")
    begun = client.post(f"/q/{code}", data={"csrf_token": token})
    assert begun.headers["Location"] == "/repondre/basics"

    html = client.get("/repondre/basics").get_data(as_text=True)
    assert "Bonjour à vous" in html
    assert re.search(r'<textarea id="f-story" name="story"', html)
    assert re.search(r'inputmode="numeric" id="f-age"', html)
    assert re.search(r'inputmode="decimal" id="f-height"', html)
    assert 'type="date" id="f-born"' in html and 'type="time" id="f-hour"' in html
    assert "(facultatif)" in html
    data = {"csrf_token": token, "shown": _shown(html), "first_name": "Léa", "age": "douze"}
    bad = client.post("/repondre/basics", data=data)
    assert bad.status_code == 400
    assert "Écrivez un nombre entier, par exemple 12." in page_text(bad)
    assert 'value="douze"' in bad.get_data(as_text=True)
    data.update(
        age="12", height="1,45", born="25/12/2012", hour="14h30", story="Il était\nune fois"
    )
    assert client.post("/repondre/basics", data=data).headers["Location"] == "/repondre/picks"

    html = client.get("/repondre/picks").get_data(as_text=True)
    assert '<select id="f-colour" name="colour"' in html
    assert 'class="choices likert"' in html and 'class="choices horizontal"' in html
    assert html.count('name="ranking"') == 2 and "Position 2" in html
    assert [v for v in re.findall(r'name="score" value="(\d)"', html)] == list("12345")
    assert 'type="checkbox" id="f-ok-ok" name="ok" value="OK"' in html
    data = {
        "csrf_token": token,
        "shown": _shown(html),
        "colour": "red",
        "mood": "happy",
        "days": ["mon", "wed"],
        "ranking": ["blue", "red"],
        "score": "4",
        "ok": "OK",
    }
    assert client.post("/repondre/picks", data=data).headers["Location"] == "/repondre/media"

    html = client.get("/repondre/media").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert "data-geopoint" in html and 'accept="image/*"' in html
    data = {
        "csrf_token": token,
        "shown": _shown(html),
        "spot": "43,405 5,048",
        "photo": (io.BytesIO(_png(400, 200)), "photo.png"),
        "doc": (io.BytesIO(b"MZ..."), "evil.exe"),
    }
    bad = client.post("/repondre/media", data=data, content_type="multipart/form-data")
    assert bad.status_code == 400
    assert "Ce type de fichier n'est pas accepté" in page_text(bad)
    assert "Fichier déjà envoyé" in page_text(bad)  # the valid photo is kept
    data = {
        "csrf_token": token,
        "shown": _shown(html),
        "spot": "43,405 5,048",
        "doc": (io.BytesIO(b"Mes notes"), "notes.txt"),
    }
    ok = client.post("/repondre/media", data=data, content_type="multipart/form-data")
    assert ok.status_code == 303 and ok.headers["Location"] == "/repondre/kids%230"

    html = client.get("/repondre/kids%230").get_data(as_text=True)
    assert "Il n'y a encore rien ici" in html and 'value="add"' in html
    added = client.post("/repondre/kids%230", data={"csrf_token": token, "action": "add"})
    assert added.headers["Location"] == "/repondre/kids%231"
    data = {"csrf_token": token, "shown": ["kid_name"], "kid_name": "Zoé", "action": "add"}
    assert client.post("/repondre/kids%231", data=data).headers["Location"] == "/repondre/kids%232"
    removed = client.post(
        "/repondre/kids%232", data={"csrf_token": token, "shown": ["kid_name"], "action": "remove"}
    )
    assert removed.headers["Location"] == "/repondre/kids%231"
    data = {"csrf_token": token, "shown": ["kid_name"], "kid_name": "Zoé"}
    assert client.post("/repondre/kids%231", data=data).headers["Location"] == (
        "/questionnaire/verification"
    )

    summary = page_text(client.get("/questionnaire/verification"))
    assert "Rouge" in summary and "Lundi, Mercredi" in summary and "Bleu, Rouge" in summary
    assert "25/12/2012" in summary and "doc-" in summary
    sent = client.post(
        "/questionnaire/envoyer", data={"csrf_token": token, "idempotency_key": "x" * 24}
    )
    assert sent.status_code == 303

    with app.app_context():
        response = db.session.scalar(select(Response))
        rows = {
            (a.question, a.repeat_index): a.value
            for a in db.session.scalars(select(Answer).where(Answer.response_id == response.id))
        }
    assert rows[("first_name", 0)] == "Léa"
    assert rows[("story", 0)] == "Il était\nune fois"
    assert rows[("age", 0)] == "12" and rows[("height", 0)] == "1.45"
    assert rows[("born", 0)] == "2012-12-25" and rows[("hour", 0)] == "14:30"
    assert rows[("colour", 0)] == "red" and rows[("mood", 0)] == "happy"
    assert rows[("days", 0)] == "mon wed" and rows[("ranking", 0)] == "blue red"
    assert rows[("score", 0)] == "4" and rows[("ok", 0)] == "OK"
    assert rows[("spot", 0)] == "43.405 5.048 0 0"
    assert rows[("kid_name", 1)] == "Zoé" and ("kid_name", 2) not in rows
    uploads = Path(app.instance_path) / "uploads"
    photo = uploads / rows[("photo", 0)]
    assert rows[("photo", 0)].startswith(response.uuid + "/photo-")
    assert Image.open(photo).size == (100, 50)  # downscaled per max-pixels
    assert (uploads / rows[("doc", 0)]).read_bytes() == b"Mes notes"


def test_english_form_labels(app: Flask, client: FlaskClient, code: str) -> None:
    token = csrf_token(client, f"/q/{code}?lang=en")
    client.post(f"/q/{code}", data={"csrf_token": token})
    text = page_text(client.get("/repondre/basics"))
    assert "Your first name" in text and "Hello" in text
    bad = client.post(
        "/repondre/basics", data={"csrf_token": token, "shown": ["first_name"], "age": "x"}
    )
    assert "Please write a whole number, for example 12." in page_text(bad)

    # A refused file is explained in English too, and the valid photo beside it is kept.
    html = client.get("/repondre/media").get_data(as_text=True)
    refused = client.post(
        "/repondre/media",
        data={
            "csrf_token": token,
            "shown": _shown(html),
            "photo": (io.BytesIO(_png(40, 20)), "photo.png"),
            "doc": (io.BytesIO(b"MZ..."), "setup.exe"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    text = page_text(refused)
    assert "This type of file is not accepted. Possible types:" in text
    assert "Ce type de fichier" not in text
