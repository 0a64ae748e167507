"""Coordinators' questionnaire pages: upload, error list, versions, downloads, archiving."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Form, FormVersion
from app.services.forms import get_form
from surveys.xlsform import load_form
from tests.app.test_surveys_exports import CLUB_V1, club_with_responses
from tests.conftest import csrf_token, page_text

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "tests" / "fixtures" / "forms"
URL = "/admin/questionnaires"


def _upload(client: FlaskClient, name: str, data: bytes, attachments=()):  # type: ignore[no-untyped-def]
    token = csrf_token(client, URL)
    payload = {"csrf_token": token, "file": (io.BytesIO(data), name)}
    if attachments:
        payload["attachments"] = [(io.BytesIO(content), n) for n, content in attachments]
    return client.post(URL, data=payload, content_type="multipart/form-data")


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_only_coordinators(client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    assert client.get(URL).status_code == 302
    auth.login("aidant")
    assert client.get(URL).status_code == 403


def test_upload_success_redirects_to_the_form_page(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator", email="claire@test.example.org")
    response = _upload(client, "club.md", CLUB_V1.encode())
    assert response.status_code == 303
    assert response.headers["Location"] == f"{URL}/club"
    page = client.get(f"{URL}/club")
    text = page_text(page)
    assert page.status_code == 200
    assert "Questionnaire importé : « Le club », version 1." in text
    assert "claire@test.example.org" in text  # who imported
    listing = page_text(client.get(URL))
    assert "Le club" in listing and "club" in listing
    with app.app_context():
        version = db.session.scalar(select(FormVersion))
        assert version.source_filename == "club.md"
        assert version.imported_by_id is not None


def test_upload_with_a_list_file(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login()
    data = (FORMS / "all_types.md").read_bytes()
    missing = _upload(client, "all_types.md", data)
    # Like ODK Central: imported, marked, previewable, but not offered until the file comes.
    assert missing.status_code == 303
    page = page_text(client.get(missing.headers["Location"]))
    assert "Fichiers manquants" in page and "towns.csv" in page
    towns = (FORMS / "towns.csv").read_bytes()
    response = _upload(client, "all_types.md", data, [("towns.csv", towns)])
    assert response.status_code == 303
    with app.app_context():
        version = db.session.scalar(select(FormVersion))
        assert {a.filename: a.content for a in version.attachments} == {"towns.csv": towns}


def test_upload_failure_shows_the_error_table(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login()
    response = _upload(client, "bad.md", (FORMS / "unsupported.md").read_bytes())
    assert response.status_code == 400
    html = page_text(response)
    assert "Ce questionnaire ne peut pas être importé" in html
    rows = re.findall(
        r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", html
    )
    assert ("survey", "3", "relevant", "a") in rows
    assert ("survey", "4", "constraint", "b") in rows
    assert not any(row[3] in ("voice", "code") for row in rows)  # audio, barcode: accepted
    assert _count(app, Form) == 0


def test_wrong_file_type_is_refused_in_french(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login()
    response = _upload(client, "rapport.pdf", b"%PDF-1.4")
    assert response.status_code == 400
    assert "Ce fichier n'est pas un tableur XLSForm" in page_text(response)
    attachment = _upload(client, "club.md", CLUB_V1.encode(), [("towns.exe", b"MZ")])
    assert attachment.status_code == 400
    assert "Une liste jointe doit être un fichier .csv ou .xml." in page_text(attachment)
    assert _count(app, Form) == 0


def test_no_file_chosen(client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login()
    token = csrf_token(client, URL)
    response = client.post(URL, data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choisissez le fichier du questionnaire." in page_text(response)


def test_oversize_upload_is_refused(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login()
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = _upload(client, "big.xlsx", big)
    assert response.status_code == 413
    assert "Le fichier envoyé est trop gros" in page_text(response)
    assert _count(app, Form) == 0


def test_form_page_lists_versions_newest_first(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        club_with_responses()
    auth.login()
    text = page_text(client.get(f"{URL}/club"))
    assert "Le club des couleurs" in text
    cells = re.findall(r"<tr>\s*<td>([^<]*)", text)
    assert [c.strip() for c in cells] == ["2", "1"]
    assert "Réponses envoyées : 3 ; brouillons : 1" in text
    assert "Groupe répété « kids »" in text  # the CSV table choice


def test_download_csv_streams_every_version(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        made = {k: r.id for k, r in club_with_responses().items()}
    auth.login()
    response = client.get(f"{URL}/club/export?format=csv&language=")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert re.match(
        r'attachment; filename="club-reponses-\d{4}-\d{2}-\d{2}\.csv"',
        response.headers["Content-Disposition"],
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [int(r["response_id"]) for r in rows] == [made["old"], made["new"], made["demo"]]
    assert [r["form_version"] for r in rows] == ["1", "2", "2"]
    repeat = client.get(f"{URL}/club/export?format=csv&table=kids&language=Français (fr)")
    lines = repeat.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "response_id,repeat_index,Prénom,Âge de l'enfant"
    assert lines[1:] == [
        f"{made['old']},1,Ana,",
        f"{made['new']},1,Léo,7",
        f"{made['new']},2,Zoé,4",
    ]


def test_download_xlsx_in_english(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        club_with_responses()
    auth.login()
    response = client.get(f"{URL}/club/export?format=xlsx&language=English (en)")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=club-reponses-")
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["responses", "kids"]
    header = [c.value for c in book["responses"][1]]
    assert "Colours/Green" in header
    response.close()


def test_bad_export_choice_is_a_400(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        club_with_responses()
    auth.login()
    assert client.get(f"{URL}/club/export?format=pdf").status_code == 400
    assert client.get(f"{URL}/club/export?format=csv&table=pets").status_code == 400
    assert client.get(f"{URL}/club/export?format=csv&language=de").status_code == 400


def test_version_downloads(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        club_with_responses()
        form = get_form(db.session, "club")
        first, second = (v.id for v in form.versions)
    auth.login()
    old = client.get(f"{URL}/club/versions/{first}/xlsform")
    assert old.status_code == 200
    again = load_form(old.get_data(), "club-1.xlsx")
    assert again.version == "1" and again.question("old_q").type == "text"
    source = client.get(f"{URL}/club/versions/{first}/source")
    assert source.get_data() == CLUB_V1.encode()
    assert client.get(f"{URL}/club/versions/999999/xlsform").status_code == 404
    assert client.get(f"{URL}/zzz/versions/{second}/source").status_code == 404


def test_unknown_form_is_a_french_404(client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login()
    response = client.get(f"{URL}/zzz-unknown")
    assert response.status_code == 404
    assert "Ce questionnaire n'existe pas." in page_text(response)
    assert client.get(f"{URL}/zzz-unknown/export").status_code == 404


def test_archive_and_unarchive(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        club_with_responses()
    auth.login()
    token = csrf_token(client, f"{URL}/club")
    response = client.post(f"{URL}/club/archive", data={"csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        assert get_form(db.session, "club").archived
    text = page_text(client.get(f"{URL}/club"))
    assert "Questionnaire archivé. Ses réponses restent disponibles." in text
    assert "Remettre en service" in text
    assert client.post(f"{URL}/club/unarchive", data={}).status_code == 400  # no CSRF token
    client.post(f"{URL}/club/unarchive", data={"csrf_token": token})
    with app.app_context():
        assert not get_form(db.session, "club").archived
