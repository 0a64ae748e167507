"""A coordinator places a collection point on the town plan (no JS) or at the tablet's position."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from app.db import db
from app.demo import DEMO_PASSWORD
from app.models import CollectionPoint
from app.services import collection as sites
from surveys import mapping as m
from tests.browser.conftest import BROWSER_TIMEOUT_MS, DESKTOP, check_axe, login
from tests.conftest import make_user

TABLET = {"width": 1024, "height": 768}
# Parc de Figuerolles, in the west of the town centre.
PARK = (43.4152, 5.0305)


def _coordinator(app: Flask, email: str) -> None:
    with app.app_context():
        sites.ensure_default_form(db.session)
        make_user(email, "coordinator", password=DEMO_PASSWORD)


def _value(page, name: str) -> float:  # type: ignore[no-untyped-def]
    return float(page.input_value(f"input[name={name}]").replace(",", "."))


def test_point_placed_by_clicking_the_plan_without_javascript(  # type: ignore[no-untyped-def]
    app: Flask, new_page, axe_source: str
) -> None:
    _coordinator(app, "coord-plan@browser.example.org")
    page = new_page(js=False, viewport=DESKTOP)
    login(page, "coord-plan@browser.example.org", DEMO_PASSWORD)
    page.goto("/points/nouveau")
    page.fill("input[name=name]", "Parc de Figuerolles")
    page.select_option("select[name=kind]", "park")
    x, y = m.picker_frame(m.load_town()).project(*PARK)
    page.locator("input.map-picker-image").click(position={"x": x, "y": y})
    page.wait_for_selector("#position-picked")
    # A plan pixel is about 40 m: the click lands next to the park, and the name is kept.
    assert _value(page, "latitude") == pytest.approx(PARK[0], abs=1e-3)
    assert _value(page, "longitude") == pytest.approx(PARK[1], abs=1e-3)
    assert page.input_value("input[name=name]") == "Parc de Figuerolles"
    assert "lat=" in (page.locator("input.map-picker-image").get_attribute("src") or "")
    page.click("text=Créer le point de recueil")
    page.wait_for_url("**/points/*")
    with app.app_context():
        point = db.session.scalar(
            select(CollectionPoint).where(CollectionPoint.name == "Parc de Figuerolles")
        )
        assert point is not None and point.latitude == pytest.approx(PARK[0], abs=1e-3)


def test_use_my_position_on_the_tablet(  # type: ignore[no-untyped-def]
    app: Flask, browser, live_server: str, axe_source: str
) -> None:
    _coordinator(app, "coord-geo@browser.example.org")
    context = browser.new_context(
        viewport=TABLET,
        base_url=live_server,
        geolocation={"latitude": 43.40512, "longitude": 5.04833},
        permissions=["geolocation"],
        locale="fr-FR",
    )
    try:
        page = context.new_page()
        page.set_default_timeout(BROWSER_TIMEOUT_MS)
        login(page, "coord-geo@browser.example.org", DEMO_PASSWORD)
        page.goto("/points/nouveau")
        check_axe(page, axe_source)
        page.click("text=Utiliser ma position")
        # Wait on the field itself: Playwright's wait_for_function evaluates a string, which
        # the page's CSP (no 'unsafe-eval') forbids in some Chromium builds.
        expect(page.locator("#latitude")).to_have_value("43,40512", timeout=BROWSER_TIMEOUT_MS)
        expect(page.locator("#longitude")).to_have_value("5,04833")
        assert "Position trouvée" in page.locator(".geo-status").inner_text()
        src = page.locator("input.map-picker-image").get_attribute("src") or ""
        assert "lat=43%2C40512" in src or "lat=43,40512" in src
    finally:
        context.close()
