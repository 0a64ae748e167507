"""Real-world XLSForms in headless Chromium on a 360 px phone (issue 11): a cascade and a
follow-up question appear at once with JavaScript; the form's languages, formatted labels and
the new field types are axe-clean and light, with and without JavaScript."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app.db import db
from app.demo import DEMO_PASSWORD
from app.models import PointKind
from app.services import collection as sites
from app.services.forms import import_form
from tests.browser.conftest import PHONE, check_axe, login
from tests.conftest import make_user

CORPUS = Path(__file__).parents[1] / "fixtures" / "forms" / "corpus"
MAX_PAGE_BYTES = 30 * 1024


def _poster(app: Flask, fixture: str) -> str:
    with app.app_context():
        result = import_form(db.session, (CORPUS / fixture).read_bytes(), fixture)
        point = sites.create_point(
            db.session, sites.PointData(f"Point {fixture[:2]}", PointKind.OTHER, None)
        )
        return "/q/" + sites.attach_form(db.session, point, result.version.form.form_id).code


def _begin(page, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(path)
    with page.expect_navigation():
        page.get_by_role("button", name="Commencer").click()


def test_cascade_and_follow_up_appear_at_once_with_javascript(  # type: ignore[no-untyped-def]
    app: Flask, new_page, axe_source: str
) -> None:
    page = new_page(js=True)
    _begin(page, _poster(app, "02_odk_cascade.md"))
    assert page.url.endswith("/repondre/place")
    streets = page.locator("input[name=street]")
    assert streets.count() == 0  # no district yet: no street to choose from
    page.get_by_label("Quartiers sud").check()
    page.get_by_label("Ferrières").wait_for()
    assert page.get_by_label("Canto Perdrix").count() == 0  # filtered at once, no page change
    assert page.url.endswith("/repondre/place")
    page.get_by_label("Quartiers nord").check()
    page.get_by_label("Canto Perdrix").wait_for()
    assert page.get_by_label("Ferrières").count() == 0
    page.get_by_label("Canto Perdrix").check()
    check_axe(page, axe_source)
    with page.expect_navigation():
        page.get_by_role("button", name="Continuer").click()
    assert page.url.endswith("/repondre/remark")

    page = new_page(js=True)
    _begin(page, _poster(app, "18_revealed_required.md"))
    page.get_by_label("Autrement").check()
    page.get_by_label("Précisez, Autrement").fill("Au marché")
    assert "Merci de répondre" not in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name="Continuer").click()
    assert page.url.endswith("/questionnaire/verification")


@pytest.mark.parametrize("js", [True, False])
def test_languages_labels_and_new_types_are_accessible_and_light(  # type: ignore[no-untyped-def]
    app: Flask, new_page, axe_source: str, js: bool
) -> None:
    page = new_page(js=js)
    _begin(page, _poster(app, "15_three_languages.md"))
    nav = page.get_by_role("navigation", name="Langue du questionnaire")
    assert nav.get_by_role("link").all_inner_texts() == ["Español", "Français", "العربية"]
    with page.expect_navigation():
        nav.get_by_role("link", name="العربية").click()
    assert "هل تحتاج إلى مساعدة؟" in page.content()
    check_axe(page, axe_source)

    page = new_page(js=js)
    _begin(page, _poster(app, "14_markdown_labels.md"))
    assert page.locator("strong", has_text="Bienvenue").count() == 1
    check_axe(page, axe_source)

    page = new_page(js=js)
    path = _poster(app, "05_types_web.md")
    page.goto(path)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Commencer").click()
    response = navigation.value
    assert len(response.body()) < MAX_PAGE_BYTES
    assert page.locator("textarea#f-route").count() == 1
    assert page.locator("input#f-message[type=file][accept='audio/*']").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_axe(page, axe_source)
    if js:  # the points typed are counted and sketched as they come
        page.locator("textarea#f-park").fill("43.40 5.05\n43.41 5.05\n43.41 5.06")
        page.get_by_text("3 point(s)").wait_for()
        drawn = page.locator("svg.geo-sketch polyline").nth(1).get_attribute("points")
        assert drawn is not None and len(drawn.split()) == 4  # the shape is closed


def test_coordinator_imports_a_form_missing_files_and_previews_it(  # type: ignore[no-untyped-def]
    app: Flask, new_page, axe_source: str
) -> None:
    with app.app_context():
        make_user("coord-corpus@browser.example.org", "coordinator", password=DEMO_PASSWORD)
    page = new_page(js=True, viewport={"width": 1280, "height": 900})
    login(page, "coord-corpus@browser.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto("/admin/questionnaires")
    page.set_input_files("input[name=file]", str(CORPUS / "11_missing_files.md"))
    page.click("button:has-text('Importer')")
    page.wait_for_url("**/admin/questionnaires/missing_files")
    content = page.content()
    assert "Fichier manquant « communes.csv »" in content  # the import's warnings
    assert "Fichiers manquants" in content and "communes.csv, arrets.geojson" in content
    check_axe(page, axe_source)
    with page.expect_navigation():
        page.get_by_role("button", name="Essayer (aperçu)").click()
    assert page.url.endswith("/repondre/commune")
    assert "Aperçu : vos réponses ne seront pas enregistrées." in page.content()
