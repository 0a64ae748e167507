"""Importing XLSForms as versions."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Form, FormVersion, Response
from app.services.forms import current_version, import_form, load_definition
from surveys.errors import FormImportError

MAIRIEBUS_XLSX = Path(__file__).resolve().parents[2] / "surveys" / "forms" / "mairiebus.xlsx"

SIMPLE_MD = """
| survey |
| | type | name | label |
| | text | first | Prénom |
| settings |
| | form_id | version | form_title |
| | simple | {version} | Simple |
"""


def _md(version: str, label: str = "Prénom") -> bytes:
    return SIMPLE_MD.format(version=version).replace("Prénom", label).encode()


def test_imports_the_shipped_questionnaire(app_ctx: Flask) -> None:
    result = import_form(db.session, MAIRIEBUS_XLSX.read_bytes(), "mairiebus.xlsx")
    assert result.created
    assert result.version.form.form_id == "mairiebus"
    definition = load_definition(result.version)
    assert definition.question("needs").type == "select_multiple"
    assert current_version(db.session, "mairiebus").id == result.version.id


def test_new_version_keeps_the_old_one_and_its_responses(app_ctx: Flask) -> None:
    v1 = import_form(db.session, _md("1"), "simple.md").version
    db.session.add(Response(form_version_id=v1.id))
    db.session.commit()
    v2 = import_form(db.session, _md("2", "Votre prénom"), "simple.md").version
    assert v2.id != v1.id
    form = db.session.scalar(select(Form).where(Form.form_id == "simple"))
    assert [v.version for v in form.versions] == ["1", "2"]
    assert (
        load_definition(v1).question("first").labels != load_definition(v2).question("first").labels
    )
    response = db.session.scalar(select(Response))
    assert response.form_version_id == v1.id


def test_same_file_twice_is_harmless(app_ctx: Flask) -> None:
    first = import_form(db.session, _md("1"), "simple.md")
    again = import_form(db.session, _md("1"), "simple.md")
    assert again.version.id == first.version.id and not again.created
    assert db.session.scalar(select(db.func.count()).select_from(FormVersion)) == 1


def test_version_with_responses_is_never_changed_in_place(app_ctx: Flask) -> None:
    v1 = import_form(db.session, _md("1"), "simple.md").version
    db.session.add(Response(form_version_id=v1.id))
    db.session.commit()
    with pytest.raises(FormImportError) as error:
        import_form(db.session, _md("1", "Autre libellé"), "simple.md")
    assert error.value.errors[0].sheet == "settings"
    assert "déjà des réponses" in error.value.errors[0].message
    assert load_definition(v1).question("first").labels  # unchanged and readable


def test_version_without_responses_can_be_replaced(app_ctx: Flask) -> None:
    import_form(db.session, _md("1"), "simple.md")
    replaced = import_form(db.session, _md("1", "Votre prénom"), "simple.md")
    assert replaced.created
    assert db.session.scalar(select(db.func.count()).select_from(FormVersion)) == 1


def test_bad_file_stores_nothing(app_ctx: Flask) -> None:
    with pytest.raises(FormImportError):
        import_form(db.session, b"not a spreadsheet", "broken.xlsx")
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(Form)) == 0
