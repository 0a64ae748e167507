"""A coordinator finds a duplicate response, reads it and deletes it with a reason (desk)."""

from __future__ import annotations

from flask import Flask

from app.demo import DEMO_PASSWORD
from tests.app.test_responses_admin import _seed
from tests.browser.conftest import DESKTOP, check_axe, login
from tests.conftest import make_user


def test_coordinator_reads_and_deletes_a_response(  # type: ignore[no-untyped-def]
    app: Flask, new_page, axe_source: str
) -> None:
    with app.app_context():
        uuids = _seed()
        make_user("coord-resp@browser.example.org", "coordinator", password=DEMO_PASSWORD)
    page = new_page(js=False, viewport=DESKTOP)
    login(page, "coord-resp@browser.example.org", DEMO_PASSWORD)
    page.goto("/espace")
    page.click("text=Réponses aux questionnaires")
    page.wait_for_url("**/admin/reponses")
    check_axe(page, axe_source)
    page.select_option("select[name=point]", "figuerolles")
    page.select_option("select[name=demo]", "real")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**point=figuerolles**")
    assert page.locator("tbody tr").count() == 1
    page.locator("tbody a").first.click()
    page.wait_for_url(f"**/admin/reponses/{uuids['young']}**")
    assert "Recherche d'emploi" in page.content()
    check_axe(page, axe_source)
    # Without a reason the page says so and nothing is deleted.
    page.click("text=Supprimer la réponse")
    assert page.locator(".error-summary").inner_text().count("Indiquez la raison") == 1
    page.fill("textarea[name=reason]", "Réponse en double")
    page.click("text=Supprimer la réponse")
    page.wait_for_url("**/admin/reponses?**point=figuerolles**")
    assert "La réponse est supprimée" in page.content()
    assert page.locator("tbody tr").count() == 0
    page.click("text=Journal des suppressions")
    page.wait_for_url("**/admin/reponses/journal")
    assert "Réponse en double" in page.locator("tbody").inner_text()
    check_axe(page, axe_source)
