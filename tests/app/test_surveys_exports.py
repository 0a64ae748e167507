"""Exports read from the database: hand-made responses over two versions, CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

import pytest
from flask import Flask
from openpyxl import load_workbook

from app.extensions import db
from app.models import (
    Answer,
    Channel,
    CollectionPoint,
    FormVersion,
    Neighbourhood,
    PointKind,
    Response,
    ResponseStatus,
)
from app.services import exports as X
from app.services.forms import get_form, import_form

CLUB_V1 = """
| survey |
| | type | name | label::Français (fr) | label::English (en) |
| | select_multiple colours | colours | Couleurs | Colours |
| | text | old_q | Ancienne question | Old question |
| | begin_repeat | kids | Enfants | Kids |
| | text | kname | Prénom | Name |
| | end_repeat | | | |
| choices |
| | list_name | name | label::Français (fr) | label::English (en) |
| | colours | red | Rouge | Red |
| | colours | blue | Bleu | Blue |
| | colours | green | Vert | Green |
| settings |
| | form_id | version | form_title | default_language |
| | club | 1 | Le club | Français (fr) |
"""

CLUB_V2 = """
| survey |
| | type | name | label::Français (fr) | label::English (en) |
| | select_multiple colours | colours | Couleurs | Colours |
| | integer | age | Âge | Age |
| | begin_repeat | kids | Enfants | Kids |
| | text | kname | Prénom | Name |
| | integer | kage | Âge de l'enfant | Child's age |
| | end_repeat | | | |
| choices |
| | list_name | name | label::Français (fr) | label::English (en) |
| | colours | red | Rouge | Red |
| | colours | blue | Bleu | Blue |
| | colours | yellow | Jaune | Yellow |
| settings |
| | form_id | version | form_title | default_language |
| | club | 2 | Le club des couleurs | Français (fr) |
"""

T1 = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.UTC)
T2 = dt.datetime(2024, 6, 1, 14, 0, tzinfo=dt.UTC)


def add_response(
    version: FormVersion,
    rows: Sequence[tuple[str, int, str]],
    status: ResponseStatus = ResponseStatus.SUBMITTED,
    submitted_at: dt.datetime | None = T1,
    **fields: object,
) -> Response:
    """Store one response with its long answer rows, as the respondent flow would."""
    response = Response(
        form_version_id=version.id,
        status=status,
        submitted_at=submitted_at if status is ResponseStatus.SUBMITTED else None,
        **fields,
    )
    db.session.add(response)
    db.session.flush()
    for question, index, value in rows:
        db.session.add(
            Answer(response_id=response.id, question=question, repeat_index=index, value=value)
        )
    db.session.commit()
    return response


def make_club() -> tuple[FormVersion, FormVersion]:
    """Two versions of the club form."""
    v1 = import_form(db.session, CLUB_V1.encode(), "club.md").version
    v2 = import_form(db.session, CLUB_V2.encode(), "club.md").version
    return v1, v2


def club_with_responses() -> dict[str, Response]:
    """Version 1 and 2 responses, a draft, and a demo response at a collection point."""
    v1, v2 = make_club()
    area = Neighbourhood(code="canto_perdrix", name="Canto Perdrix")
    point = CollectionPoint(
        code="auchan", name="Auchan Martigues", kind=PointKind.SHOPPING_CENTRE, neighbourhood=area
    )
    db.session.add_all([area, point])
    db.session.commit()
    return {
        "old": add_response(
            v1,
            [("colours", 0, "red green"), ("old_q", 0, "=bonjour"), ("kname", 1, "Ana")],
        ),
        "new": add_response(
            v2,
            [
                ("colours", 0, "blue yellow"),
                ("age", 0, "30"),
                ("kname", 1, "Léo"),
                ("kage", 1, "7"),
                ("kname", 2, "Zoé"),
                ("kage", 2, "4"),
            ],
            submitted_at=T2,
            channel=Channel.ASSISTED,
            language="en",
        ),
        "draft": add_response(v2, [("colours", 0, "red")], status=ResponseStatus.DRAFT),
        "demo": add_response(
            v2,
            [("age", 0, "71")],
            collection_point_id=point.id,
            is_demo=True,
        ),
    }


def _csv(chunks: Sequence[str] | object) -> list[dict[str, str]]:
    text = "".join(chunks)  # type: ignore[arg-type]
    assert text.startswith(X.CSV_BOM)
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_merges_versions_newest_questions_first(app_ctx: Flask) -> None:
    made = club_with_responses()
    form = get_form(db.session, "club")
    chunks = list(X.iter_csv_export(db.session, form))
    header = next(csv.reader(io.StringIO(chunks[0][1:] + chunks[1])))
    assert header == [
        *X.EXPORT_META,
        "colours",
        "colours/red",
        "colours/blue",
        "colours/yellow",
        "colours/green",  # offered by version 1 only: kept at the end of the list
        "age",
        "old_q",  # asked by version 1 only
    ]
    rows = _csv(chunks)
    assert [int(r["response_id"]) for r in rows] == [
        made["old"].id,
        made["new"].id,
        made["demo"].id,
    ]  # the draft is not exported
    old, new, demo = rows
    assert old["form_version"] == "1" and new["form_version"] == "2"
    assert [old[f"colours/{c}"] for c in ("red", "blue", "yellow", "green")] == ["1", "0", "0", "1"]
    assert [new[f"colours/{c}"] for c in ("red", "blue", "yellow", "green")] == ["0", "1", "1", "0"]
    assert [demo[f"colours/{c}"] for c in ("red", "blue")] == ["", ""]  # unanswered
    assert old["old_q"] == "'=bonjour" and new["old_q"] == ""  # never a live formula
    assert new["age"] == "30" and old["age"] == ""
    assert old["submitted_at"] == "2024-05-06T09:30:00+00:00"
    assert new["channel"] == "assisted" and new["language"] == "en"
    assert old["response_uuid"] == made["old"].uuid
    assert (demo["collection_point"], demo["collection_point_name"]) == (
        "auchan",
        "Auchan Martigues",
    )
    assert demo["neighbourhood"] == "canto_perdrix"  # from the collection point
    assert (demo["is_demo"], new["is_demo"]) == ("1", "0")
    assert old["collection_point"] == "" and old["neighbourhood"] == ""


def test_csv_repeat_table(app_ctx: Flask) -> None:
    made = club_with_responses()
    form = get_form(db.session, "club")
    rows = _csv(X.iter_csv_export(db.session, form, table="kids"))
    assert [(int(r["response_id"]), r["repeat_index"], r["kname"], r["kage"]) for r in rows] == [
        (made["old"].id, "1", "Ana", ""),
        (made["new"].id, "1", "Léo", "7"),
        (made["new"].id, "2", "Zoé", "4"),
    ]


def test_labels_in_a_chosen_language(app_ctx: Flask) -> None:
    club_with_responses()
    form = get_form(db.session, "club")
    definition = X.export_definition(form)
    options = X.ExportOptions(X.resolve_language(definition, "en"))
    rows = _csv(X.iter_csv_export(db.session, form, options=options))
    assert rows[1]["Colours"] == "Blue, Yellow"
    assert rows[0]["Colours"] == "Red, Green"  # green's label comes from version 1
    assert rows[0]["Colours/Green"] == "1"
    assert rows[0]["Old question"] == "'=bonjour"
    french = X.ExportOptions(X.resolve_language(definition, "Français (fr)"))
    rows = _csv(X.iter_csv_export(db.session, form, options=french))
    assert rows[1]["Couleurs"] == "Bleu, Jaune"


def test_unknown_language_is_refused_in_french(app_ctx: Flask) -> None:
    make_club()
    definition = X.export_definition(get_form(db.session, "club"))
    with pytest.raises(X.ExportError, match="Langue inconnue « de »"):
        X.resolve_language(definition, "de")


def test_unknown_table_is_refused(app_ctx: Flask) -> None:
    make_club()
    with pytest.raises(X.ExportError, match="pas de tableau « pets »"):
        X.iter_csv_export(db.session, get_form(db.session, "club"), table="pets")


def test_xlsx_has_a_sheet_per_repeat_and_keeps_text_as_text(app_ctx: Flask) -> None:
    made = club_with_responses()
    form = get_form(db.session, "club")
    output = io.BytesIO()
    X.write_xlsx_export(db.session, form, output)
    book = load_workbook(io.BytesIO(output.getvalue()))
    assert book.sheetnames == ["responses", "kids"]
    sheet = book["responses"]
    header = [c.value for c in sheet[1]]
    old = dict(zip(header, sheet[2], strict=True))
    assert old["response_id"].value == made["old"].id
    assert old["colours/green"].value == 1  # whole numbers are numbers Excel can add up
    # A resident typing "=bonjour" wrote text, not an Excel formula: stored as text, quoted.
    assert old["old_q"].value == "'=bonjour" and old["old_q"].data_type == "s"
    kids = [[c.value for c in row] for row in book["kids"].iter_rows(min_row=2)]
    assert kids == [
        [made["old"].id, 1, "Ana", None],
        [made["new"].id, 1, "Léo", 7],
        [made["new"].id, 2, "Zoé", 4],
    ]


def test_xlsx_writer_cell_types() -> None:
    output = io.BytesIO()
    with X.XlsxWriter(output) as workbook:
        workbook.append("responses", ["0612345678", "-12", "3.5", " a ", "<b>&", True, None, 7])
        workbook.append("a" * 40, ["x"])
        workbook.append("A" * 40, ["y"])
    book = load_workbook(io.BytesIO(output.getvalue()))
    assert book.sheetnames == ["responses", "a" * 31, "A" * 29 + "~2"]
    cells = [(c.value, c.data_type) for c in book["responses"][1]]
    assert cells == [
        ("0612345678", "s"),  # a leading zero stays text
        (-12, "n"),
        ("3.5", "s"),  # decimals stay as typed (a comma or a point)
        (" a ", "s"),
        ("<b>&", "s"),
        (1, "n"),
        (None, "n"),
        (7, "n"),
    ]


def test_xlsx_drops_characters_excel_cannot_hold(app_ctx: Flask) -> None:
    v1, _v2 = make_club()
    add_response(v1, [("old_q", 0, "bon\x0bjour\x1f")])
    output = io.BytesIO()
    X.write_xlsx_export(db.session, get_form(db.session, "club"), output)
    sheet = load_workbook(io.BytesIO(output.getvalue()))["responses"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("old_q") + 1).value == "bonjour"


def test_meta_column_named_like_a_question_gets_an_underscore(app_ctx: Flask) -> None:
    md = """
| survey |
| | type | name | label |
| | select_one areas | neighbourhood | Quartier |
| choices |
| | list_name | name | label |
| | areas | ile | L'Île |
| settings |
| | form_id | version |
| | areas | 1 |
"""
    version = import_form(db.session, md.encode(), "areas.md").version
    area = Neighbourhood(code="carro", name="Carro")
    db.session.add(area)
    db.session.commit()
    add_response(version, [("neighbourhood", 0, "ile")], neighbourhood_id=area.id)
    rows = _csv(X.iter_csv_export(db.session, get_form(db.session, "areas")))
    assert rows[0]["neighbourhood"] == "ile"  # the answer
    assert rows[0]["_neighbourhood"] == "carro"  # the response's own neighbourhood


def test_keyset_chunks_cover_every_response_once(app_ctx: Flask) -> None:
    v1, v2 = make_club()
    ids = [add_response(v1 if i % 2 else v2, [("age", 0, str(i))]).id for i in range(7)]
    form = get_form(db.session, "club")
    seen: list[int] = []
    chunks: list[int] = []
    for response in X.iter_responses(db.session, form, chunk_size=3, progress=chunks.append):
        seen.append(response.meta["response_id"])
        assert list(response.rows) == [("age", 0, str(ids.index(response.meta["response_id"])))]
    assert seen == ids
    assert chunks == [3, 3, 1]
    assert X.count_submitted(db.session, form) == 7


def test_merge_keeps_an_old_repeat_and_its_questions(app_ctx: Flask) -> None:
    from surveys.xlsform import load_form

    v1 = load_form(CLUB_V1.encode(), "club.md")
    no_repeat = CLUB_V2.replace("| | begin_repeat | kids | Enfants | Kids |\n", "")
    no_repeat = no_repeat.replace("| | text | kname | Prénom | Name |\n", "")
    no_repeat = no_repeat.replace("| | integer | kage | Âge de l'enfant | Child's age |\n", "")
    no_repeat = no_repeat.replace("| | end_repeat | | | |\n", "")
    v2 = load_form(no_repeat.encode(), "club.md")
    merged = X.merge_definitions([v2, v1])
    assert X.repeat_tables(merged) == ["kids"]
    assert [q.name for q in merged.question("kids").children] == ["kname"]
    assert v2.index().keys() == {"colours", "age"}  # the cached definition is not touched
