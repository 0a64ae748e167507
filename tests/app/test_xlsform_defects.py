"""Issue 11, defects 1-7: each fails on the code before the fix and passes after it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import db
from app.models import PointKind
from app.services import collection as sites
from app.services.forms import import_form
from surveys import engine as E
from surveys import xlsform
from surveys.errors import FormImportError
from surveys.xlsform import load_form
from tests.conftest import csrf_token, page_text

CORPUS = Path(__file__).parent.parent / "fixtures" / "forms" / "corpus"


def _start(app: Flask, client: FlaskClient, fixture: str, query: str = "") -> str:
    with app.app_context():
        result = import_form(db.session, (CORPUS / fixture).read_bytes(), fixture)
        point = sites.create_point(db.session, sites.PointData("Parc", PointKind.PARK, None))
        code = sites.attach_form(db.session, point, result.version.form.form_id).code
    token = csrf_token(client, f"/q/{code}{query}")
    begun = client.post(f"/q/{code}", data={"csrf_token": token})
    assert begun.status_code == 303
    return token


def _shown(html: str) -> list[str]:
    return re.findall(r'name="shown" value="([^"]+)"', html)


def test_defect1_revealed_required_question_comes_back_shown_without_error(
    app: Flask, client: FlaskClient
) -> None:
    token = _start(app, client, "18_revealed_required.md")
    shown = _shown(client.get("/repondre/contact").get_data(as_text=True))
    assert shown == ["how_heard"]
    sent = client.post(
        "/repondre/contact", data={"csrf_token": token, "how_heard": "other", "shown": shown}
    )
    assert sent.status_code == 303 and sent.headers["Location"] == "/repondre/contact"
    html = page_text(client.get("/repondre/contact"))
    assert 'id="f-heard_other"' in html and "Merci de répondre" not in html


def test_defect2_cascade_is_checked_against_the_parent_sent_on_the_same_page(
    app: Flask, client: FlaskClient
) -> None:
    token = _start(app, client, "02_odk_cascade.md")
    shown = _shown(client.get("/repondre/place").get_data(as_text=True))
    sent = client.post(
        "/repondre/place",
        data={"csrf_token": token, "district": "sud", "street": "ferrieres", "shown": shown},
    )
    assert sent.status_code == 303, page_text(sent)
    assert sent.headers["Location"] == "/repondre/remark"


@pytest.mark.parametrize("group", ["verification", "envoyer", "recommencer"])
def test_defect3_groups_named_like_routes_are_ordinary_pages(
    app: Flask, client: FlaskClient, group: str
) -> None:
    _start(app, client, "03_route_named_groups.md")
    page = client.get(f"/repondre/{group}")
    assert page.status_code == 200
    assert f'action="/repondre/{group}"' in page.get_data(as_text=True)


def test_defect4_references_are_filled_in_constraint_and_required_messages() -> None:
    form = load_form(CORPUS / "01_kobo_household.md")
    answers = E.new_answers(form)
    result = E.submit_page(form, answers, "household", {"hh_size": "45"}, language="fr")
    assert result.errors["hh_size"] == "Entre 1 et 29 personnes, pas 45."
    form = load_form(CORPUS / "18_revealed_required.md")
    result = E.submit_page(
        form,
        E.new_answers(form),
        "contact",
        {"how_heard": "other"},
        shown={"how_heard", "heard_other"},
    )
    # A select is shown by its choice label, as in question labels.
    assert result.errors["heard_other"] == "Dites-nous comment, vous avez choisi « Autrement »."


def test_defect5_label_markup_is_rendered_through_a_sanitiser(
    app: Flask, client: FlaskClient
) -> None:
    from surveys.richtext import to_html

    assert to_html("**Bienvenue**") == "<strong>Bienvenue</strong>"
    assert to_html("[x](javascript:alert(1))") == "[x](javascript:alert(1))"
    assert "font-size" not in to_html('<span style="color:red;font-size:9em">a</span>')
    _start(app, client, "14_markdown_labels.md")
    html = client.get("/repondre/intro").get_data(as_text=True)
    assert "<strong>Bienvenue</strong>" in html and "<em>Mairie Bus</em>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">le site</a>' in html
    assert '<span style="color:#b00000">Important</span>' in html
    assert "**" not in html and "<script>alert" not in html and "javascript:" not in html


def test_defect6_every_language_of_the_form_is_offered(app: Flask, client: FlaskClient) -> None:
    _start(app, client, "15_three_languages.md")
    html = page_text(client.get("/repondre/need_help"))
    # The visitor's French is in the form; Spanish and Arabic are offered too.
    assert "Avez-vous besoin d'aide ?" in html
    assert 'hreflang="es"' in html and 'hreflang="ar"' in html
    arabic = page_text(client.get("/repondre/need_help?langue=ar"))
    assert "هل تحتاج إلى مساعدة؟" in arabic
    # The labels say which language they are in (WCAG 3.1.2), and read right to left.
    assert 'data-page-fields lang="ar" dir="auto"' in arabic


def test_defect6_default_language_when_the_visitor_language_is_missing() -> None:
    form = load_form(CORPUS / "15_three_languages.md")
    view = E.view_page(form, E.new_answers(form), "need_help", "en")
    assert view.fields[0].label == "¿Necesita ayuda?"


def test_defect7_library_internals_never_reach_coordinators(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pyxform.builder

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise TypeError("__init__() got an unexpected keyword argument 'foo' near 'hh_size'")

    monkeypatch.setattr(pyxform.builder, "create_survey_element_from_dict", broken)
    with pytest.raises(FormImportError) as caught:
        load_form(CORPUS / "01_kobo_household.md")
    [error] = caught.value.errors
    assert "__init__" not in str(caught.value) and "__init__" not in (error.detail or "")
    assert (error.sheet, error.row, error.name) == ("survey", 6, "hh_size")
    assert "Vérifiez les colonnes" in error.message


def test_defect7_row_found_from_a_quoted_name_when_pyxform_gives_none() -> None:
    raw = xlsform._read_workbook((CORPUS / "02_odk_cascade.md").read_bytes(), "f.md")
    error = xlsform.translate_pyxform_error(
        Exception("The choice filter of 'street' refers to a list that does not exist.")
    )
    assert error.row is None
    located = xlsform._locate(error, raw)
    assert (located.sheet, located.row, located.name) == ("survey", 4, "street")


def test_defect1_with_javascript_the_refresh_action_reveals_without_moving_on(
    app: Flask, client: FlaskClient
) -> None:
    token = _start(app, client, "18_revealed_required.md")
    html = client.get("/repondre/contact").get_data(as_text=True)
    # The answer that reveals the follow-up is marked for collect.js.
    assert 'data-reveals="how_heard"' in html
    sent = client.post(
        "/repondre/contact",
        data={
            "csrf_token": token,
            "how_heard": "other",
            "action": "refresh",
            "shown": ["how_heard"],
        },
    )
    assert sent.status_code == 303 and sent.headers["Location"] == "/repondre/contact"
    page = page_text(client.get("/repondre/contact"))
    assert 'id="f-heard_other"' in page and "Merci de répondre" not in page
    assert "Dites-nous" not in page  # no error shown for the question just revealed
