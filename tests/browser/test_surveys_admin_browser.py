"""Questionnaire pages in a real browser: upload, error table, downloads, accessibility."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app.demo import DEMO_PASSWORD
from tests.app.test_surveys_exports import CLUB_V1, club_with_responses
from tests.browser.conftest import DESKTOP, PHONE, check_axe, login
from tests.conftest import make_user

FORMS = Path(__file__).resolve().parents[1] / "fixtures" / "forms"


def _coordinator(app: Flask, new_page, js: bool = True, viewport=DESKTOP):  # type: ignore[no-untyped-def]
    with app.app_context():
        make_user("coord-forms@browser.example.org", "coordinator", password=DEMO_PASSWORD)
    page = new_page(js=js, viewport=viewport)
    login(page, "coord-forms@browser.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    return page


@pytest.mark.parametrize("js", [True, False])
def test_upload_then_form_page(
    app: Flask, new_page, axe_source: str, tmp_path: Path, js: bool
) -> None:  # type: ignore[no-untyped-def]
    page = _coordinator(app, new_page, js=js)
    page.goto("/admin/questionnaires")
    assert "Aucun questionnaire" in page.content()
    if js:  # check_axe re-opens the URL in a new context, which would not be logged in
        check_axe(page, axe_source)
    form_file = tmp_path / "club.md"
    form_file.write_text(CLUB_V1, encoding="utf-8")
    page.set_input_files("input[name=file]", str(form_file))
    page.click("button:has-text('Importer')")
    page.wait_for_url("**/admin/questionnaires/club")
    assert "Questionnaire importé : « Le club », version 1." in page.content()
    assert page.locator("h1").inner_text() == "Le club"
    if js:
        check_axe(page, axe_source)


def test_refused_upload_shows_the_error_table(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    page = _coordinator(app, new_page)
    page.goto("/admin/questionnaires")
    page.set_input_files("input[name=file]", str(FORMS / "unsupported.md"))
    page.click("button:has-text('Importer')")
    table = page.locator("#import-errors table")
    assert table.is_visible()
    first = table.locator("tbody tr").first.locator("td").all_inner_texts()
    assert first[:4] == ["survey", "3", "relevant", "a"]  # audio (row 2) is accepted now
    check_axe(page, axe_source)


def test_download_csv_from_the_form_page(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        club_with_responses()
    page = _coordinator(app, new_page, viewport=PHONE)
    page.goto("/admin/questionnaires/club")
    check_axe(page, axe_source)
    page.check("input[name=format][value=csv]")
    page.select_option("select[name=table]", "kids")
    with page.expect_download() as info:
        page.click("button:has-text('Télécharger')")
    download = info.value
    assert download.suggested_filename.startswith("club-kids-")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "response_id,repeat_index,kname,kage"
    assert len(text.splitlines()) == 4
