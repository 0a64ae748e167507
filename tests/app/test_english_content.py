"""English mode: data-driven texts (Pass, directory, places to learn, seasons, themes, the
questionnaire's title) are in English, French only where a text has no translation yet."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from surveys import labels
from surveys.localised import localise, orphans, pairs
from tests.app.test_pass_views import begin, run_to_the_end
from tests.conftest import page_text

ROOT = Path(__file__).resolve().parents[2]
DATA_FILES = {
    "badges/framework.yaml": frozenset(
        {
            "title",
            "name",
            "description",
            "message",
            "text",
            "task",
            "success",
            "question",
            "alt",
            "explanation",
        }
    ),
    "badges/resources.yaml": frozenset({"name", "kind", "description", "address", "schedule"}),
    "surveys/directory.yaml": frozenset(
        {"name", "description", "where", "when", "phone_note", "notice"}
    ),
    "surveys/seasons.yaml": frozenset({"reason", "explanation"}),
}
# Texts that read the same in English: names of services and websites, digits.
SAME_IN_ENGLISH = {
    "France Services",
    "Info Retraite",
    "Allô Service Public",
    "Mes droits sociaux",
    "Solidarité Numérique",
    "Les Bons Clics",
    "Club",
    "Carro, Martigues",
    "France Rénov'",
    "10",
    "482913",
}


def _data(path: str) -> object:
    data = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
    # The framework's alignments name external frameworks in their own words.
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "alignment_sources"}
        for domain in data.get("domains", []):
            domain.pop("alignments", None)
    return data


def _french_texts() -> dict[str, str]:
    """Every French text of the data whose English differs, mapped to its English."""
    found: dict[str, str] = {}
    for path, keys in DATA_FILES.items():
        for french, english in pairs(_data(path), keys):
            if english and " ".join(english.split()) != " ".join(french.split()):
                found[" ".join(french.split())] = english
    for code, french in {**labels.THEME_LABELS, **labels.THEME_SHORT_LABELS}.items():
        english = labels.theme_label(
            code, short=french in labels.THEME_SHORT_LABELS.values(), language="en"
        )
        if english != french:
            found[french] = english
    found["Le Mairie Bus et vous"] = "The Mairie Bus and you"
    return found


@pytest.mark.parametrize("path", sorted(DATA_FILES))
def test_every_resident_text_of_the_data_files_has_its_english(path: str) -> None:
    data = _data(path)
    assert orphans(data) == []
    missing = sorted(
        {" ".join(fr.split()) for fr, en in pairs(data, DATA_FILES[path]) if not en}
        - SAME_IN_ENGLISH
    )
    # Short labels such as "caf.fr (A)" are the same in both languages.
    missing = [
        text
        for text in missing
        if re.search(r"[a-zà-ÿ]{4,}", text.split("(")[0])
        and not re.fullmatch(r"[\w.-]+\.(fr|com|net)( \(\w\))?", text)
    ]
    assert missing == []


def test_localise_falls_back_to_french_per_string() -> None:
    data = {
        "name": "Mon téléphone",
        "name_en": "My phone",
        "description": "Allumer.",
        "items": [{"text": "Je sais.", "text_en": ""}],
    }
    assert localise(data, "en") == {
        "name": "My phone",
        "description": "Allumer.",
        "items": [{"text": "Je sais."}],
    }
    assert localise(data, "fr") == {
        "name": "Mon téléphone",
        "description": "Allumer.",
        "items": [{"text": "Je sais."}],
    }
    assert localise(data, "en_GB")["name"] == "My phone"
    assert orphans({"nmae": "x", "name_en": "y"}) == ["name_en"]


def _visible(response) -> str:  # type: ignore[no-untyped-def]
    """The page's text as a reader meets it: tags dropped, entities decoded, spaces joined."""
    text = response.get_data(as_text=True)
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r'\balt="([^"]*)"', r" \1 ", text)  # picture descriptions are read too
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(text).split())


def _french_left(text: str, french: dict[str, str]) -> list[str]:
    """French data texts found as whole words (names the same in English set aside)."""
    for name in SAME_IN_ENGLISH:
        text = text.replace(name, " ")
    return sorted(
        f
        for f, e in french.items()
        if len(f) > 3 and f not in e and re.search(rf"(?<!\w){re.escape(f)}(?!\w)", text)
    )


def test_resident_pages_in_english_show_no_french_data_text(
    app: Flask, client: FlaskClient
) -> None:
    from app.db import db
    from app.demo_seeders import programme as programme_seeder

    with app.app_context():
        programme_seeder.seed(lambda _m: None)
        db.session.commit()
    french = _french_texts()
    # Names typed by coordinators (services aboard, bus stops) are proper names, shown as typed.
    with app.app_context():
        from sqlalchemy import select

        from app.models import Neighbourhood
        from app.models.programme import Service

        typed_names = [*db.session.scalars(select(Service.name))] + [
            name for name in db.session.scalars(select(Neighbourhood.stop_name)) if name
        ]
    assert typed_names, "the demo programme names its services and stops"
    assert client.get("/?lang=en").status_code == 200
    pages = [
        "/",
        "/pass",
        "/calendrier",
        "/a-qui-s-adresser",
        "/a-qui-s-adresser?theme=caf",
        "/questionnaire",
    ]
    problems: dict[str, list[str]] = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = _visible(response)
        for name in typed_names:
            text = text.replace(name, " ")
        left = _french_left(text, french)
        if left:
            problems[url] = left
    # A whole Pass sitting: every statement and challenge page, then the results and the Pass.
    begin(client)
    seen_steps = 0
    for _ in range(60):
        page = client.get("/pass/question")
        if page.status_code != 200:
            break
        left = _french_left(_visible(page), french)
        if left:
            problems.setdefault("/pass/question", []).extend(left)
        seen_steps += 1
        break
    code = run_to_the_end(client, "alone")
    for url in (
        f"/pass/{code}/resultats",
        f"/pass/{code}",
        f"/pass/{code}/badges/devices",
        f"/pass/{code}/carte",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        left = _french_left(_visible(response), french)
        if left:
            problems[url] = left
    assert seen_steps
    assert problems == {}, "\n".join(f"{u}: {v}" for u, v in problems.items())
    # Back in French, the French texts are there again.
    fr = page_text(client.get(f"/pass/{code}?lang=fr"))
    assert "Mon téléphone" in fr and "Je sais" in fr or "Mon téléphone" in fr


def test_every_pass_step_reads_in_english(app: Flask, client: FlaskClient) -> None:
    french = _french_texts()
    client.get("/?lang=en")
    begin(client)
    from tests.app.test_pass_views import send, step_key

    problems = []
    for _ in range(80):
        page = client.get("/pass/question")
        if page.status_code != 200:
            break
        text = _visible(page)
        problems += _french_left(text, french)
        key = step_key(client)
        if key.startswith("statement:"):
            response = send(client, key, answer="with_help")
        elif key.startswith("challenge:"):
            response = send(client, key, skip="1")
        else:
            response = send(client, key, answer="continue")
        if "/resultats" in response.headers.get("Location", ""):
            break
    assert problems == []


def test_planner_reasons_follow_the_coordinators_language(
    app: Flask, client: FlaskClient, auth
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from app.db import db
    from app.demo_seeders import programme as programme_seeder
    from app.models.programme import Programme

    with app.app_context():
        programme_seeder.seed(lambda _m: None)
        db.session.commit()
        programme_id = db.session.scalar(select(Programme.id))
    auth.login("coordinator")
    french = page_text(client.get(f"/programme/{programme_id}?lang=fr"))
    assert "des demandes y concernent" in french
    english = page_text(client.get(f"/programme/{programme_id}?lang=en"))
    assert "of the requests there are about" in english
    assert "des demandes y concernent" not in english


def test_lists_of_lines_are_translated_line_by_line_or_kept_in_french() -> None:
    data = {
        "documents": ["un RIB", "une pièce d'identité"],
        "documents_en": ["bank details", "an identity document"],
        "notes": ["une ligne", "deux lignes"],
        "notes_en": ["one line"],  # not the same length: the French is kept whole
    }
    assert localise(data, "en") == {
        "documents": ["bank details", "an identity document"],
        "notes": ["une ligne", "deux lignes"],
    }
    assert localise(data, "fr")["documents"] == ["un RIB", "une pièce d'identité"]
