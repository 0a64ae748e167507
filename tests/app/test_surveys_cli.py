"""``flask surveys import|list|export`` through click's test runner."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Form, FormVersion
from surveys.xlsform import load_form, validate_with_pyxform
from tests.app.test_surveys_exports import CLUB_V1, CLUB_V2, club_with_responses

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "tests" / "fixtures" / "forms"
MAIRIEBUS = ROOT / "surveys" / "forms" / "mairiebus.xlsx"


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_import_prints_the_form_id_last(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["surveys", "import", str(MAIRIEBUS)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == (
        "Imported form mairiebus version 2024.1: mairiebus"
    )
    assert result.stderr == ""
    again = runner.invoke(args=["surveys", "import", str(MAIRIEBUS)])
    assert again.exit_code == 0
    assert again.stdout.strip().splitlines()[-1].endswith(": mairiebus")
    assert _count(app, FormVersion) == 1


def test_refused_file_lists_errors_and_stores_nothing(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["surveys", "import", str(FORMS / "unsupported.md")])
    assert result.exit_code == 1
    out = result.stdout
    assert out.startswith("Ce questionnaire ne peut pas être importé")
    # Each error names its sheet, row, column and question in plain French.
    assert "- feuille « survey », ligne 3, colonne « relevant », question « a »" in out
    assert "voice" not in out  # audio is accepted now: only what makes answers wrong is refused
    assert _count(app, Form) == 0 and _count(app, FormVersion) == 0


def test_missing_file_is_a_french_error(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["surveys", "import", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 1
    assert "Impossible de lire le fichier" in result.stderr


def test_warnings_go_to_standard_error(runner) -> None:  # type: ignore[no-untyped-def]
    path = FORMS / "kobo_household_survey.md"
    result = runner.invoke(args=["surveys", "import", str(path)])
    assert result.exit_code == 0
    assert "deviceid" in result.stderr and "deviceid" not in result.stdout
    assert result.stderr.startswith("Attention : feuille « survey », ligne 5")
    assert result.stdout.strip().splitlines()[-1].endswith("household_survey")


def test_attach_a_list_file_for_select_one_from_file(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    form = str(FORMS / "all_types.md")
    missing = runner.invoke(args=["surveys", "import", form])
    # Imported as a draft waiting for its file, with the warning printed (exit 0).
    assert missing.exit_code == 0, missing.output
    assert "Fichier manquant « towns.csv »" in missing.output
    result = runner.invoke(args=["surveys", "import", form, "--attach", str(FORMS / "towns.csv")])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(": t1")
    with app.app_context():
        version = db.session.scalar(select(FormVersion))
        assert [a.filename for a in version.attachments] == ["towns.csv"]


def test_list_one_line_per_form(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        club_with_responses()  # 2 versions, 3 submitted responses and a draft
    runner.invoke(args=["surveys", "import", str(MAIRIEBUS)])
    result = runner.invoke(args=["surveys", "list"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "club\tLe club des couleurs\t2\t3",
        "mairiebus\tLe Mairie Bus et vous\t1\t0",
    ]


def test_export_csv_writes_a_file_per_repeat(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        made = {k: (r.id, r.uuid) for k, r in club_with_responses().items()}
    out = tmp_path / "club.csv"
    result = runner.invoke(args=["surveys", "export", "club", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith("Exported 3 submitted responses")
    assert "Export des réponses" in result.stderr  # the progress bar
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["response_uuid"] for r in rows] == [
        made["old"][1],
        made["new"][1],
        made["demo"][1],
    ]
    assert rows[0]["colours/green"] == "1" and rows[0]["old_q"] == "'=bonjour"
    kids = (tmp_path / "club-kids.csv").read_text(encoding="utf-8-sig").splitlines()
    assert kids == [
        "response_id,repeat_index,kname,kage",
        f"{made['old'][0]},1,Ana,",
        f"{made['new'][0]},1,Léo,7",
        f"{made['new'][0]},2,Zoé,4",
    ]


def test_export_xlsx_with_labels(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        club_with_responses()
    out = tmp_path / "club.xlsx"
    args = ["surveys", "export", "club", "--format", "xlsx", "--labels", "en", "-o", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["responses", "kids"]
    rows = list(book["responses"].iter_rows(values_only=True))
    header = list(rows[0])
    assert "Colours/Yellow" in header and "Old question" in header
    assert rows[2][header.index("Colours")] == "Blue, Yellow"
    kids_header = next(book["kids"].iter_rows(values_only=True))
    assert kids_header == ("response_id", "repeat_index", "Name", "Child's age")
    book.close()


def test_export_refuses_unknown_form_and_language(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "x.csv"
    unknown = runner.invoke(args=["surveys", "export", "nope", "-o", str(out)])
    assert unknown.exit_code == 1 and "Aucun questionnaire « nope »" in unknown.stderr
    with app.app_context():
        club_with_responses()
    bad = runner.invoke(args=["surveys", "export", "club", "--labels", "de", "-o", str(out)])
    assert bad.exit_code == 1 and "Langue inconnue « de »" in bad.stderr
    assert not out.exists()


def test_export_xlsform_reimports_with_pyxform(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        club_with_responses()
    out = tmp_path / "club-form.xlsx"
    result = runner.invoke(
        args=["surveys", "export", "club", "--format", "xlsform", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "<h:html" in validate_with_pyxform(out.read_bytes(), "club-form.xlsx")
    again = load_form(out.read_bytes(), "club-form.xlsx")
    newest = load_form(CLUB_V2.encode(), "club.md")
    assert (again.form_id, again.version) == ("club", "2")
    assert [q.name for q in again.walk()] == [q.name for q in newest.walk()]
    assert again.choice_lists["colours"].codes() == ["red", "blue", "yellow"]
    assert load_form(CLUB_V1.encode(), "club.md").version == "1"  # the old one is not exported


def test_export_xlsform_writes_list_files_beside_it(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner.invoke(
        args=[
            "surveys",
            "import",
            str(FORMS / "all_types.md"),
            "--attach",
            str(FORMS / "towns.csv"),
        ]
    )
    out = tmp_path / "t1.xlsx"
    result = runner.invoke(args=["surveys", "export", "t1", "--format", "xlsform", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "towns.csv").read_bytes() == (FORMS / "towns.csv").read_bytes()
    reimport = runner.invoke(
        args=["surveys", "import", str(out), "--attach", str(tmp_path / "towns.csv")]
    )
    assert reimport.exit_code == 0, reimport.output


def test_export_in_kobo_layout(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        made = {k: (r.id, r.uuid) for k, r in club_with_responses().items()}
    out = tmp_path / "club.xlsx"
    args = ["surveys", "export", "club", "--format", "xlsx", "--layout", "kobo", "-o", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    rows = list(book["responses"].iter_rows(values_only=True))
    header = list(rows[0])
    assert header[-9:-5] == ["_id", "_uuid", "_submission_time", "_index"]
    first = dict(zip(header, rows[1], strict=True))
    assert (first["_id"], first["_uuid"], first["_index"]) == (*made["old"], 1)
    kids = list(book["kids"].iter_rows(values_only=True))
    assert list(kids[0])[-5:] == [
        "_index",
        "_parent_table_name",
        "_parent_index",
        "_submission__id",
        "_submission__uuid",
    ]
