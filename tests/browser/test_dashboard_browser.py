"""The dashboard in a real browser: desk size, a filter, the Excel download, accessibility."""

from __future__ import annotations

import io

from flask import Flask
from openpyxl import load_workbook

from app.demo import DEMO_PASSWORD
from app.services import dashboard as service
from tests.app.test_dashboard import MOTHERS, add_pass_results, seed_fixture_responses
from tests.browser.conftest import DESKTOP, check_axe, login
from tests.conftest import make_user


def test_coordinator_filters_and_downloads_the_workbook(  # type: ignore[no-untyped-def]
    app: Flask, new_page, axe_source: str
) -> None:
    service.cache().clear()
    with app.app_context():
        places = seed_fixture_responses()
        add_pass_results(places, [("canto_perdrix", "devices", 2)] * 6)
        make_user("coord-dash@browser.example.org", "coordinator", password=DEMO_PASSWORD)
    page = new_page(js=True, viewport=DESKTOP)
    login(page, "coord-dash@browser.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto("/dashboard?form=mairiebus")
    assert page.locator("h1").inner_text() == "Tableau de bord"
    assert MOTHERS in page.content()
    # The key figures are on the first screen at 1280x800, and nothing overflows sideways.
    figures = page.locator(".key-figures").bounding_box()
    assert figures is not None and figures["y"] < 800
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    check_axe(page, axe_source)

    page.select_option("select[name=point]", "auchan")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**point=auchan**")
    first_figure = page.locator(".key-figures .figure").first.inner_text()
    assert first_figure == "11"  # people met at Auchan: 1-8 and 15-17
    check_axe(page, axe_source)

    with page.expect_download() as download_info:
        page.click("text=Télécharger tout (Excel)")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    key = {r[0]: r[1] for r in book["chiffres_cles"].iter_rows(min_row=3, values_only=True)}
    assert key["Réponses"] == 11
    assert book.sheetnames[0] == "chiffres_cles" and "mots" in book.sheetnames


def test_report_without_javascript_is_accessible(  # type: ignore[no-untyped-def]
    app: Flask, new_page, axe_source: str
) -> None:
    service.cache().clear()
    with app.app_context():
        seed_fixture_responses()
        make_user("coord-report@browser.example.org", "coordinator", password=DEMO_PASSWORD)
    page = new_page(js=False, viewport=DESKTOP)
    login(page, "coord-report@browser.example.org", DEMO_PASSWORD)
    page.goto("/dashboard/rapport?form=mairiebus")
    assert MOTHERS in page.content()
    assert page.locator("svg[role=img]").count() == 8
    check_axe(page, axe_source)
