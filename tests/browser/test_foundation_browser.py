"""The base layout in a real browser: phone width, accessibility, login, weight."""

from __future__ import annotations

import pytest
from flask import Flask

from app.demo import DEMO_PASSWORD
from tests.browser.conftest import DESKTOP, check_axe, login
from tests.conftest import make_user


@pytest.mark.parametrize("js", [True, False])
def test_home_page_on_a_phone_is_accessible_and_light(new_page, axe_source: str, js: bool) -> None:  # type: ignore[no-untyped-def]
    page = new_page(js=js)
    page.goto("/")
    assert page.locator("h1").inner_text().startswith("Le Mairie Bus")
    # Nothing overflows a 360 px wide screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 if js else True
    check_axe(page, axe_source)
    assert page.weight.total() < 30 * 1024, page.weight.sizes


def test_staff_login_in_the_browser(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        make_user("coord@browser.example.org", "coordinator", password=DEMO_PASSWORD)
    page = new_page(js=True)
    page.goto("/login")
    check_axe(page, axe_source)
    login(page, "coord@browser.example.org", "wrong password!")
    assert "Adresse e-mail ou mot de passe incorrect" in page.content()
    assert page.input_value("input[name=email]") == "coord@browser.example.org"
    login(page, "coord@browser.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    assert "Bonjour" in page.locator("h1").inner_text()
    check_axe(page, axe_source)


def test_admin_page_at_desktop_size_is_accessible(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        make_user("coord2@browser.example.org", "coordinator", password=DEMO_PASSWORD)
        make_user("aidant2@browser.example.org", "aidant", password=DEMO_PASSWORD)
    page = new_page(js=True, viewport=DESKTOP)
    login(page, "coord2@browser.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto("/admin/users")
    assert "aidant2@browser.example.org" in page.content()
    check_axe(page, axe_source)
