"""Issue 12 pages in headless Chromium: the shared-device resume page (360 px, JavaScript on and
off, axe-core, weight) and the staff's own password page."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.browser.conftest import check_axe, login
from tests.browser.test_collect_browser import MAX_PAGE_BYTES, _axe, qr_path  # noqa: F401
from tests.conftest import make_user

GOOD = "violon-carafe-tramway"


@pytest.mark.parametrize("js", [True, False])
def test_not_me_on_a_shared_phone(new_page, axe_source: str, qr_path: str, js: bool) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = new_page(js=js)
    page.goto(qr_path)
    with page.expect_navigation():
        page.get_by_role("button", name="Commencer").click()
    assert "/repondre/" in page.url
    # The next person picks up the same phone and scans the same poster.
    page.wait_for_load_state("networkidle")  # the first person's page is counted apart
    page.weight.reset()
    page.goto(qr_path)
    content = page.content()
    assert "Un questionnaire a déjà été commencé sur cet appareil." in content
    button = page.get_by_role("button", name="Ce n'est pas moi : recommencer")
    assert button.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    assert page.weight.total() < MAX_PAGE_BYTES
    _axe(page, axe_source, js)
    with page.expect_navigation():
        button.click()
    assert "Reprendre mes réponses" not in page.content()
    assert page.get_by_role("button", name="Commencer").is_visible()


def test_staff_change_their_password_in_the_browser(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        make_user("nadia@example.org", "aidant", password=GOOD)
    page = new_page(viewport={"width": 1024, "height": 768})
    login(page, "nadia@example.org", GOOD)
    with page.expect_navigation():
        page.get_by_role("link", name="Mon mot de passe").click()
    check_axe(page, axe_source)
    page.get_by_label("Mot de passe actuel").fill(GOOD)
    page.get_by_label("Nouveau mot de passe", exact=True).fill("aaaaaaaaaa")
    page.get_by_label("Nouveau mot de passe, encore une fois").fill("aaaaaaaaaa")
    with page.expect_navigation():
        page.get_by_role("button", name="Changer mon mot de passe").click()
    assert "trop facile à deviner" in page.content()
    check_axe(page, axe_source)
    page.get_by_label("Mot de passe actuel").fill(GOOD)
    page.get_by_label("Nouveau mot de passe", exact=True).fill("girafe-pivoine-boussole")
    page.get_by_label("Nouveau mot de passe, encore une fois").fill("girafe-pivoine-boussole")
    with page.expect_navigation():
        page.get_by_role("button", name="Changer mon mot de passe").click()
    assert "Votre mot de passe est changé" in page.content()
