"""Importing XLSForms through pyxform into the engine's model, and refusing bad ones."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from surveys.errors import FormImportError
from surveys.model import FormDefinition
from surveys.xlsform import load_form, validate_with_pyxform

FORMS = Path(__file__).resolve().parents[2] / "fixtures" / "forms"


def _xlsx(survey: list[list[str]], choices: list[list[str]] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices:
        sheet = workbook.create_sheet("choices")
        for row in choices:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_settings_and_languages(all_types: FormDefinition) -> None:
    assert (all_types.form_id, all_types.version, all_types.title) == ("t1", "2024", "Test")
    assert all_types.default_language == "Français (fr)"
    assert all_types.languages == ["Français (fr)", "English (en)"]
    assert all_types.resolve_language("en") == "English (en)"
    assert all_types.resolve_language("de") == "Français (fr)"


def test_every_type_is_mapped(all_types: FormDefinition) -> None:
    types = {q.name: q.type for q in all_types.walk()}
    assert types == {
        "start": "start",
        "g1": "group",
        "reason": "select_multiple",
        "yn": "select_one",
        "yn_other": "text",
        "age": "integer",
        "r": "range",
        "rk": "rank",
        "kids": "repeat",
        "kname": "text",
        "c": "calculate",
        "town": "select_one_from_file",
        "photo": "image",
        "loc": "geopoint",
        "ack": "acknowledge",
        "n1": "note",
    }


def test_question_columns(all_types: FormDefinition) -> None:
    age = all_types.question("age")
    assert age.labels == {"Français (fr)": "Âge", "English (en)": "Age"}
    assert age.required and age.default == "3" and age.row == 6
    assert age.constraint == ". > 0 and . < 120"
    assert age.constraint_message == {"Français (fr)": "Âge invalide"}
    assert all_types.question("reason").hints == {"Français (fr)": "Plusieurs"}
    assert all_types.question("r").parameters == {"start": "1", "end": "5", "step": "1"}
    assert all_types.question("photo").parameters == {"max-pixels": "1024"}
    assert all_types.question("kids").repeat_count == "${age}"
    assert all_types.question("yn").appearance == "minimal"
    assert all_types.question("yn").or_other
    assert "relevant" in all_types.question("yn").compiled


def test_or_other_gets_french_labels(all_types: FormDefinition) -> None:
    other = all_types.choice_lists["yn"].get("other")
    assert other is not None
    assert other.labels == {"Français (fr)": "Autre", "English (en)": "Other"}
    assert all_types.question("yn_other").labels["Français (fr)"] == "Précisez :"


def test_list_file_becomes_a_choice_list(all_types: FormDefinition) -> None:
    towns = all_types.choice_lists["towns"]
    assert towns.codes() == ["martigues", "istres", "paris"]
    assert towns.choices[2].extra == {"department": "75"}
    assert towns.choices[0].labels["English (en)"] == "Martigues"


def test_missing_list_file_makes_a_draft_with_a_warning() -> None:
    form = load_form(FORMS / "all_types.md")
    assert form.missing_files == ["towns.csv"]
    assert form.choice_lists["towns"].choices == ()
    [note] = [w for w in form.warnings if "towns.csv" in w.message]
    assert (note.sheet, note.row, note.column, note.name) == ("survey", 14, "type", "town")


def test_only_what_would_make_answers_wrong_is_refused() -> None:
    with pytest.raises(FormImportError) as caught:
        load_form(FORMS / "unsupported.md")
    found = [(e.row, e.column, e.name) for e in caught.value.errors]
    # audio, barcode, the missing list file and the image column are no longer refusals.
    assert found == [(3, "relevant", "a"), (4, "constraint", "b"), (6, "relevant", "d")]
    messages = [e.message for e in caught.value.errors]
    assert "Fonction inconnue : foo()" in messages[0]
    assert "${nowhere}" in messages[2]
    assert all(e.sheet == "survey" for e in caught.value.errors)
    assert "Traceback" not in str(caught.value)


def test_pyxform_errors_are_translated_and_located() -> None:
    data = _xlsx([["type", "name", "label"], ["begin_group", "g", "G"], ["text", "a", "A"]])
    with pytest.raises(FormImportError) as caught:
        load_form(data, filename="f.xlsx")
    [error] = caught.value.errors
    assert error.row == 2 and error.sheet == "survey"
    assert "end_group" in error.message
    assert error.detail and "Unmatched" in error.detail


def test_unknown_list_and_bad_names() -> None:
    data = _xlsx(
        [["type", "name", "label"], ["select_one nope", "a", "A"]],
        [["list_name", "name", "label"], ["yes_no", "yes", "Oui"]],
    )
    with pytest.raises(FormImportError) as caught:
        load_form(data, filename="f.xlsx")
    assert caught.value.errors[0].message == (
        "La liste de choix « nope » n'existe pas dans la feuille « choices »."
    )


def test_duplicate_names_across_groups_are_refused() -> None:
    data = _xlsx(
        [
            ["type", "name", "label"],
            ["begin_group", "g1", "G1"],
            ["text", "same", "A"],
            ["end_group", "", ""],
            ["begin_group", "g2", "G2"],
            ["text", "same", "B"],
            ["end_group", "", ""],
        ]
    )
    with pytest.raises(FormImportError) as caught:
        load_form(data, filename="f.xlsx")
    assert caught.value.errors[0].name == "same"
    assert "unique" in caught.value.errors[0].message


@pytest.mark.parametrize(
    ("data", "filename"),
    [(b"not a spreadsheet at all", "f.xlsx"), (b"PK\x03\x04garbage", "f.xlsx"), (b"", "f.md")],
)
def test_garbage_files_get_one_french_error(data: bytes, filename: str) -> None:
    with pytest.raises(FormImportError) as caught:
        load_form(data, filename=filename)
    assert len(caught.value.errors) == 1
    assert "Traceback" not in str(caught.value)


def test_wrong_extension_is_refused() -> None:
    with pytest.raises(FormImportError, match="Format non pris en charge"):
        load_form(b"x", filename="form.pdf")


def test_xlsx_and_csv_sources() -> None:
    data = _xlsx([["type", "name", "label"], ["integer", "n", "Nombre"]])
    form = load_form(data, filename="mini.xlsx")
    assert form.form_id == "mini" and form.question("n").labels == {"default": "Nombre"}
    csv_form = load_form(b"survey,,,\n,type,name,label\n,integer,n,Nombre\n", filename="c.csv")
    assert csv_form.question("n").type == "integer"


def test_realistic_kobo_style_form(household: FormDefinition) -> None:
    assert household.form_id == "household_survey"
    assert household.default_language == "English (en)"
    assert household.languages == ["English (en)", "Français (fr)"]
    assert [w.name for w in household.warnings] == ["deviceid"]
    roster = household.question("roster")
    assert roster.is_repeat and roster.repeat_count is None
    assert [c.name for c in roster.children] == ["member_name", "member_sex", "member_age"]
    assert household.question("water_problems").or_other
    assert household.question("hh_size").hints == {"English (en)": "Including yourself"}


def test_pyxform_accepts_the_fixture_forms() -> None:
    xml = validate_with_pyxform(FORMS / "logic.md")
    assert "<h:title>Logique</h:title>" in xml
