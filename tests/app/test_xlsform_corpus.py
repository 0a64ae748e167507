"""Issue 11: a corpus of real-world-style XLSForms imports with the expected warnings and is
answered end to end through the public web flow (no JavaScript: the Flask client posts forms).

Each case names its fixture under tests/fixtures/forms/corpus/, the warnings expected at import,
the answers typed page by page, and the stored answer rows expected at the end (skip logic,
cascades, calculations and repeats included). Half the forms go through .xlsx (written with
openpyxl from the markdown table) so both readers are exercised.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import db
from app.models import Answer, PointKind, Response, ResponseStatus
from app.services import collection as sites
from app.services.forms import import_form
from tests.conftest import csrf_token, page_text

CORPUS = Path(__file__).parent.parent / "fixtures" / "forms" / "corpus"
GEOJSON_STOPS = b"""{"type": "FeatureCollection", "name": "arrets_bus",
"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
"features": [
{"type": "Feature", "id": "canto", "properties": {"title": "Canto Perdrix, parking", "rang": 1,
 "horaires": null}, "geometry": {"type": "Point", "coordinates": [5.0521, 43.4163]}},
{"type": "Feature", "properties": {"id": "auchan", "title": "Centre commercial Auchan",
 "rang": 2}, "geometry": {"type": "Point", "coordinates": [5.0308, 43.4001]}},
{"type": "Feature", "properties": {"id": "figuerolles", "title": "Parc de Figuerolles"},
 "geometry": {"type": "Point", "coordinates": [5.0712, 43.4185]}}
]}"""
POSTCODES = b"code,town\n13500,Martigues\n13800,Istres\n"


@dataclass
class Case:
    """One corpus form: what import says, what the respondent types, what gets stored."""

    fixture: str
    warnings: tuple[str, ...] = ()
    pages: dict[str, dict[str, object]] = field(default_factory=dict)
    stored: dict[tuple[str, int], str] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    attachments: dict[str, bytes] = field(default_factory=dict)
    language: str | None = None


CASES = [
    Case(
        "01_kobo_household.md",
        warnings=("« deviceid » restera vide",),
        pages={"household": {"hh_size": "4", "has_children": "yes", "children_count": "1"}},
        stored={("hh_size", 0): "4", ("children_count", 0): "1", ("adults", 0): "3"},
    ),
    Case(
        "02_odk_cascade.md",
        pages={"place": {"district": "sud", "street": "boudeme"}, "remark": {"remark": "Bien"}},
        stored={("district", 0): "sud", ("street", 0): "boudeme", ("remark", 0): "Bien"},
    ),
    Case(
        "03_route_named_groups.md",
        pages={
            "verification": {"street_name": "Rue Lamartine"},
            "envoyer": {"wants_mail": "yes"},
            "recommencer": {"later": "Demain"},
        },
        stored={
            ("street_name", 0): "Rue Lamartine",
            ("wants_mail", 0): "yes",
            ("later", 0): "Demain",
        },
    ),
    Case(
        "04_aliases.md",
        pages={
            "colour": {"colour": "blue"},
            "also_like": {"also_like": ["red", "blue"]},
            "met_at": {"met_at": "2024-05-06T14:30"},
            "meals": {"portions_lunch": "2", "portions_dinner": "1"},
        },
        stored={
            ("colour", 0): "blue",
            ("also_like", 0): "red blue",
            ("met_at", 0): "2024-05-06T14:30:00",
            ("portions_lunch", 0): "2",
            ("portions_dinner", 0): "1",
            ("total_portions", 0): "2",
        },
    ),
    Case(
        "05_types_web.md",
        pages={
            "kit": {
                "serial": "3760123456789",
                "route": "43.40 5.05\n43.41 5.05",
                "park": "0 0;0 0.001;0.001 0.001;0.001 0",
            }
        },
        stored={
            ("serial", 0): "3760123456789",
            ("route", 0): "43.4 5.05 0 0;43.41 5.05 0 0",
            # 0.01° of latitude on JavaRosa's sphere (R = 6,378,100 m): 1,113.2 m.
            ("route_length", 0): "1113",
            # A 0.001° square at the equator: (111.32 m)² ≈ 12,392 m².
            ("park_area", 0): "12392",
        },
    ),
    Case(
        "06_metadata_warnings.md",
        warnings=(
            "Réglage « style » ignoré",
            "« email » restera vide",
            "« phonenumber » restera vide",
            "« start-geopoint » restera vide",
            "« audit » restera vide",
            "« body::accuracyThreshold » ignorée",
            "« bind::odk:length » ignorée",
        ),
        pages={"town": {"town": "Port-de-Bouc"}, "spot": {"spot": "43.40 5.05"}},
        stored={("town", 0): "Port-de-Bouc", ("spot", 0): "43.4 5.05 0 0"},
        absent=("email", "phone", "audit"),
    ),
    Case(
        "07_trigger.md",
        pages={"price": {"amount": "10"}},
        # Computed when its trigger (amount) changed, like Enketo.
        stored={("amount", 0): "10", ("amount_with_tax", 0): "12"},
    ),
    Case(
        "08_last_saved.md",
        warnings=("${last-saved#…} reste vide",),
        pages={"enumerator": {"enumerator": "Nadia"}, "site": {"site": "bus"}},
        stored={("enumerator", 0): "Nadia", ("site", 0): "bus"},
    ),
    Case(
        "09_entities_registration.md",
        warnings=("Feuille « entities » ignorée", "Colonne « save_to » ignorée"),
        pages={"first_name": {"first_name": "Yasmine"}, "age": {"age": "34"}},
        stored={("first_name", 0): "Yasmine", ("age", 0): "34"},
    ),
    Case(
        "10_entities_empty.md",
        warnings=("Feuille « entities » ignorée",),
        pages={"comment": {"comment": "RAS"}},
        stored={("comment", 0): "RAS"},
    ),
    Case(
        "12_nested_groups_repeat.md",
        pages={
            "member#0": {"__action": "add"},
            "member#1": {
                "member_name": "Samia",
                "member_age": "41",
                "__action": "add",
            },
            "member#2": {"member_name": "Inès", "member_age": "9", "member_school": "yes"},
        },
        stored={
            ("member_name", 1): "Samia",
            ("member_name", 2): "Inès",
            ("member_school", 2): "yes",
            ("members", 0): "2",
            ("oldest", 0): "41",
            ("first_name", 0): "Samia",
        },
        absent=("member_school@1",),
    ),
    Case(
        "13_count_repeat.md",
        pages={
            "visits": {"visits": "2"},
            "visit#1": {"which": "caf"},
            "visit#2": {"which": "impots"},
        },
        stored={("which", 1): "caf", ("which", 2): "impots", ("caf_count", 0): "2"},
    ),
    Case(
        "14_markdown_labels.md",
        pages={"city": {"city": "Martigues"}},
        stored={("city", 0): "Martigues"},
    ),
    Case(
        "15_three_languages.md",
        pages={"need_help": {"need_help": "yes"}},
        stored={("need_help", 0): "yes"},
        language="ar",
    ),
    Case(
        "16_functions.md",
        pages={"calc": {"side": "3", "phone": "06 12 34 56 78", "born": "1980-02-01"}},
        stored={
            ("surface", 0): "9",
            ("diagonal", 0): "4.24",
            ("digits", 0): "0612345678",
            ("prefix", 0): "06",
            ("born_label", 0): "01/02/1980",
            ("ok_list", 0): "true",
            ("bool", 0): "true",
            ("fingerprint", 0): hashlib.sha256(b"0612345678").hexdigest(),
        },
    ),
    Case(
        "17_pulldata.md",
        attachments={"postcodes.csv": POSTCODES},
        pages={"postcode": {"postcode": "13800"}},
        stored={("postcode", 0): "13800", ("town_name", 0): "Istres"},
    ),
    Case(
        # ODK's select_one_from_file with a GeoJSON FeatureCollection, as QGIS writes it: the id
        # on the feature or in its properties, a title, numbers and nulls among the properties.
        "24_geojson_stops.md",
        attachments={"arrets_bus.geojson": GEOJSON_STOPS},
        pages={"stop": {"stop": "canto"}},
        stored={("stop", 0): "canto"},
    ),
    Case(
        "18_revealed_required.md",
        pages={"contact": {"how_heard": "other", "heard_other": "Au marché"}},
        stored={("how_heard", 0): "other", ("heard_other", 0): "Au marché"},
    ),
    Case(
        "19_hot_building.md",
        warnings=("Colonne « image » ignorée",),
        pages={
            "building": {"building_type": "none"},
            "location": {"location": "43.404 5.048"},
        },
        stored={("building_type", 0): "none", ("location", 0): "43.404 5.048 0 0"},
        absent=("levels", "material"),
    ),
    Case(
        "20_pyxform_example.md",
        pages={
            "name": {"name": "Ana"},
            "satisfaction": {"satisfaction": "4"},
            "pet": {"pet": "other"},
            "pet_other": {"pet_other": "Une tortue"},
            "consent": {"consent": "OK"},
            "arrival": {"arrival": "09:00"},  # the pre-filled default, sent as a browser does
            "priorities": {"priorities": ["pension", "caf"]},
        },
        stored={
            ("satisfaction", 0): "4",
            ("pet", 0): "other",
            ("pet_other", 0): "Une tortue",
            ("consent", 0): "OK",
            ("arrival", 0): "09:00",
            ("priorities", 0): "pension caf",
        },
    ),
    Case(
        "22_large_baseline.md",
        pages={
            "identification": {
                "identification_q1": "yes",
                "identification_q2": "4",
                "identification_q3": ["caf", "other"],
                "identification_q4": "Carte vitale",
            },
            "housing": {"housing_q1": "no", "housing_q3": ["housing"]},
            "person#0": {"__action": "add"},
            "person#1": {"person_name": "Karim", "person_age": "52"},
        },
        stored={
            ("identification_q2", 0): "4",
            ("identification_q3", 0): "caf other",
            ("identification_q4", 0): "Carte vitale",
            ("identification_score", 0): "6",
            ("housing_score", 0): "1",
            ("total_score", 0): "7",
            ("person_name", 1): "Karim",
        },
        absent=("housing_q2", "housing_q4"),
    ),
    Case(
        "23_nested_household_vaccination.md",
        pages={
            "village": {"village": "Carro"},
            "household#0": {"__action": "add"},
            "household#1": {"head_name": "Mme Ferrand", "hh_members": "1"},
            "member#1.1": {"member_name": "Lina", "member_age": "4", "vaccinated": "no"},
        },
        stored={
            ("village", 0): "Carro",
            ("head_name", 1): "Mme Ferrand",
            ("member_name", 1): "Lina",
            ("vaccinated", 1): "no",
            ("hh_children", 1): "1",
            ("people", 0): "1",
        },
        absent=("vaccine@1",),
    ),
    Case(
        "21_intent_and_externals.md",
        warnings=("Colonne « intent » ignorée", "csv-external"),
        pages={"app": {"ref": "A-12"}, "why": {"why": "Test"}},
        stored={("ref", 0): "A-12", ("why", 0): "Test"},
    ),
]


def _as_xlsx(markdown: str) -> bytes:
    """The same XLSForm as a workbook, one sheet per markdown section (as Kobo exports it)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheet = None
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.strip():
            continue
        if cells[0]:
            sheet = book.create_sheet(cells[0])
            continue
        assert sheet is not None
        sheet.append(cells[1:])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(app: Flask, case: Case, index: int) -> tuple[str, list[str]]:
    source = (CORPUS / case.fixture).read_text(encoding="utf-8")
    if index % 2:
        data, filename = _as_xlsx(source), case.fixture.replace(".md", ".xlsx")
    else:
        data, filename = source.encode("utf-8"), case.fixture
    with app.app_context():
        result = import_form(db.session, data, filename, case.attachments)
        point = sites.create_point(db.session, sites.PointData("Marché", PointKind.OTHER, None))
        link = sites.attach_form(db.session, point, result.version.form.form_id)
        return link.code, result.warnings


def _walk(client: FlaskClient, token: str, location: str, case: Case) -> list[str]:
    """Answer page after page as a phone without JavaScript would; return the keys seen."""
    seen: list[str] = []
    for _ in range(40):
        if location.endswith("/questionnaire/verification"):
            return seen
        key = unquote(location.rsplit("/repondre/", 1)[1])
        page = client.get(location)
        assert page.status_code == 200, (case.fixture, key)
        html = page.get_data(as_text=True)
        shown = re.findall(r'name="shown" value="([^"]+)"', html)
        raw = dict(case.pages.get(key, {}))
        action = str(raw.pop("__action", "next"))
        sent = client.post(
            location, data={"csrf_token": token, **raw, "shown": shown, "action": action}
        )
        assert sent.status_code == 303, (case.fixture, key, page_text(sent)[-1500:])
        location = sent.headers["Location"]
        seen.append(key)
    raise AssertionError(f"{case.fixture}: never reached the check page ({seen})")


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.fixture for c in CASES])
def test_corpus_form_imports_and_is_answered_end_to_end(
    app: Flask, client: FlaskClient, index: int
) -> None:
    case = CASES[index]
    code, warnings = _import(app, case, index)
    for expected in case.warnings:
        assert any(expected in w for w in warnings), (expected, warnings)
    if not case.warnings:
        assert warnings == []
    start = f"/q/{code}" + (f"?langue={case.language}" if case.language else "")
    token = csrf_token(client, start)
    begun = client.post(f"/q/{code}", data={"csrf_token": token})
    assert begun.status_code == 303
    seen = _walk(client, token, begun.headers["Location"], case)
    assert set(case.pages) <= set(seen), (seen, list(case.pages))
    assert client.get("/questionnaire/verification").status_code == 200
    sent = client.post(
        "/questionnaire/envoyer", data={"csrf_token": token, "idempotency_key": "c" * 24}
    )
    assert sent.status_code == 303 and sent.headers["Location"] == "/merci"
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.status == ResponseStatus.SUBMITTED)
        )
        assert response is not None
        rows = {
            (a.question, a.repeat_index): a.value
            for a in db.session.scalars(select(Answer).where(Answer.response_id == response.id))
        }
        if case.language:
            assert response.language == case.language
    for key, value in case.stored.items():
        assert rows.get(key) == value, (key, rows)
    for name in case.absent:
        question, _, index_text = name.partition("@")
        assert (question, int(index_text or 0)) not in rows, (name, rows)


def test_corpus_has_at_least_twenty_forms() -> None:
    assert len(list(CORPUS.glob("*.md"))) >= 20
    assert len(CASES) >= 20 - 1  # the missing-files form is answered in preview (below)


def test_missing_files_form_is_a_draft_that_can_be_previewed_not_offered(
    app: Flask, client: FlaskClient, auth
) -> None:  # type: ignore[no-untyped-def]
    data = (CORPUS / "11_missing_files.md").read_bytes()
    with app.app_context():
        result = import_form(db.session, data, "11_missing_files.md")
        assert any("Fichier manquant « communes.csv »" in w for w in result.warnings)
        assert any("Fichier manquant « arrets.geojson »" in w for w in result.warnings)
        point = sites.create_point(db.session, sites.PointData("Marché", PointKind.OTHER, None))
        with pytest.raises(sites.SiteError, match="fichiers manquants : communes.csv"):
            sites.attach_form(db.session, point, "missing_files")
        # Nor proposed to aidants or in a point's "offer a questionnaire" list.
        assert "missing_files" not in [f.form_id for f in sites.forms_available(db.session)]
        version_id = result.version.id
    auth.login()
    page = page_text(client.get("/admin/questionnaires/missing_files"))
    assert "Fichiers manquants" in page and "communes.csv, arrets.geojson" in page
    token = csrf_token(client, "/admin/questionnaires/missing_files")
    begun = client.post(f"/apercu/{version_id}", data={"csrf_token": token})
    assert begun.status_code == 303 and begun.headers["Location"] == "/repondre/commune"
    preview = page_text(client.get("/repondre/commune"))
    assert "Aperçu : vos réponses ne seront pas enregistrées." in preview
    # The list waits for its file: its required question cannot block the preview.
    sent = client.post("/repondre/commune", data={"csrf_token": token, "shown": ["commune"]})
    assert sent.status_code == 303 and sent.headers["Location"] == "/repondre/stop"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_a_preview_is_never_stored_as_a_response(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        version_id = import_form(
            db.session, (CORPUS / "10_entities_empty.md").read_bytes(), "10.md"
        ).version.id
    auth.login()
    token = csrf_token(client, "/admin/questionnaires/entities_empty")
    begun = client.post(f"/apercu/{version_id}", data={"csrf_token": token})
    location = begun.headers["Location"]
    sent = client.post(location, data={"csrf_token": token, "comment": "Essai", "shown": "comment"})
    assert sent.headers["Location"] == "/questionnaire/verification"
    done = client.post(
        "/questionnaire/envoyer", data={"csrf_token": token, "idempotency_key": "p" * 24}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/merci"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_audio_and_video_answers_are_uploaded_checked_and_kept(
    app: Flask, client: FlaskClient
) -> None:
    """A phone sends a voice message and a video through the form (multipart, no JavaScript)."""
    case = next(c for c in CASES if c.fixture == "05_types_web.md")
    code, _warnings = _import(app, case, 0)
    token = csrf_token(client, f"/q/{code}")
    location = client.post(f"/q/{code}", data={"csrf_token": token}).headers["Location"]
    assert location.endswith("/repondre/kit")
    page = client.get(location).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    shown = re.findall(r'name="shown" value="([^"]+)"', page)
    voice = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + bytes(range(256)) * 4
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(200)
    typed = {"csrf_token": token, "shown": shown, "action": "next", "serial": "3760123456789"}

    # A program instead of a video: refused in French, the rest of the page kept.
    refused = client.post(
        location,
        data={
            **typed,
            "message": (io.BytesIO(voice), "message.m4a"),
            "clip": (io.BytesIO(b"MZ"), "clip.exe"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert "Ce type de fichier n'est pas accepté" in page_text(refused)
    assert 'value="3760123456789"' in refused.get_data(as_text=True)

    sent = client.post(
        location,
        data={**typed, "clip": (io.BytesIO(video), "VID_20261203.MP4")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303, page_text(sent)[-800:]
    assert client.get("/questionnaire/verification").status_code == 200
    done = client.post(
        "/questionnaire/envoyer", data={"csrf_token": token, "idempotency_key": "u" * 24}
    )
    assert done.status_code == 303
    with app.app_context():
        rows = {
            a.question: a.value
            for a in db.session.scalars(
                select(Answer).where(Answer.question.in_(["message", "clip"]))
            )
        }
        uploads = Path(app.instance_path) / "uploads"
        # The voice message sent with the refused page was kept: nobody records it twice.
        assert rows["message"].endswith(".m4a")
        assert (uploads / rows["message"]).read_bytes() == voice
        assert rows["clip"].endswith(".mp4")
        assert (uploads / rows["clip"]).read_bytes() == video
