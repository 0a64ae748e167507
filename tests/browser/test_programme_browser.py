"""The residents' programme pages on a phone with JavaScript off: readable, accessible, light."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask

from app.db import db
from app.models.programme import HalfDay, Programme, ProgrammeStatus, Slot
from app.models.surveys import Neighbourhood
from app.services import programme as svc
from tests.browser.conftest import PHONE, check_axe
from tests.conftest import make_user

THEMES = ("caf", "taxes", "id_papers", "health_insurance", "job_seeking", "digital_skills")


def _publish_a_busy_month(app: Flask) -> None:
    """Every weekday half-day of the next 31 days, like a real busy programme, at named stops."""
    with app.app_context():
        themes = svc.ensure_themes(db.session)
        places = [
            Neighbourhood(
                code=code,
                name=name,
                stop_name=stop,
                stop_address=address,
                latitude=lat,
                longitude=lon,
            )
            for code, name, stop, address, lat, lon in (
                (
                    "canto_perdrix",
                    "Canto Perdrix",
                    "Parking de la Maison de quartier",
                    "Avenue Marcel Cachin",
                    43.414,
                    5.036,
                ),
                (
                    "notre_dame_des_marins",
                    "Notre-Dame-des-Marins",
                    "Place de l'église",
                    "Chemin de Notre-Dame-des-Marins",
                    43.387,
                    5.051,
                ),
                (
                    "paradis_saint_roch",
                    "Paradis Saint-Roch",
                    "Parking de la résidence",
                    "Rue du Paradis",
                    43.397,
                    5.070,
                ),
            )
        ]
        db.session.add_all(places)
        start = svc.paris_today()
        end = start + timedelta(days=30)
        programmes: dict[tuple[int, int], Programme] = {}
        number = 0
        for ordinal in range(start.toordinal(), end.toordinal() + 1):
            day = date.fromordinal(ordinal)
            if day.weekday() >= 5 and day != start:
                continue  # weekends off, but today always has a stop to show first
            key = (day.year, day.month)
            if key not in programmes:
                programmes[key] = Programme(
                    year=day.year, month=day.month, status=ProgrammeStatus.PUBLISHED
                )
                db.session.add(programmes[key])
            for half in HalfDay:
                programmes[key].slots.append(
                    Slot(
                        date=day,
                        half_day=half,
                        neighbourhood=places[number % 3],
                        theme=themes[THEMES[number % len(THEMES)]],
                    )
                )
                number += 1
        db.session.commit()


def test_calendar_on_a_phone_without_javascript(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    _publish_a_busy_month(app)
    page = new_page(js=False, viewport=PHONE)
    page.goto("/calendrier")
    assert page.locator("h1").inner_text() == "Où est le bus ?"
    assert page.locator("h2").first.inner_text().startswith("Aujourd'hui")
    assert page.locator(".stop").count() > 20
    check_axe(page, axe_source)
    assert page.weight.total() < 30 * 1024, page.weight.sizes
    print("calendar weight", page.weight.total(), page.locator(".stop").count())
    # Each stop names where the bus parks, its address and a map link.
    first = page.locator(".stop").first.inner_text()
    assert "Arrêt : " in first and "voir sur le plan" in first
    # "Quand passe le bus près de chez moi ?": pick a neighbourhood, without JavaScript.
    page.select_option("select[name=quartier]", label="Paradis Saint-Roch")
    page.click("text=Voir les passages")
    page.wait_for_url("**/calendrier?quartier=paradis_saint_roch")
    places = page.locator(".stop span", has_text="Lieu :").all_inner_texts()
    assert places and set(places) == {"Lieu : Paradis Saint-Roch"}
    assert "Parking de la résidence, Rue du Paradis" in page.locator(".stop").first.inner_text()
    check_axe(page, axe_source)
    # The following days are one link away, the filter kept.
    page.weight.reset()
    page.click("text=Passages suivants")
    page.wait_for_url("**/calendrier?depuis=*&quartier=paradis_saint_roch")
    assert page.locator(".stop").count() > 0
    assert page.weight.total() < 30 * 1024, page.weight.sizes
    page.goto("/calendrier")
    # The feed link and a flyer link work without JavaScript.
    page.click("text=Ajouter le calendrier du bus à mon téléphone", no_wait_after=True)
    flyer = page.locator("a", has_text="Imprimer le programme de").first
    href = flyer.get_attribute("href")
    page.goto(href)
    assert page.locator("svg[role=img]").count() == 1
    # Reached from a phone, the flyer must fit its width too (no sideways scrolling).
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_axe(page, axe_source)


def test_directory_on_a_phone_without_javascript(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page(js=False, viewport=PHONE)
    page.goto("/a-qui-s-adresser")
    check_axe(page, axe_source)
    assert page.weight.total() < 30 * 1024, page.weight.sizes
    page.weight.reset()
    page.select_option("select[name=theme]", "caf")
    page.fill("input[name=q]", "allocations")
    page.click("button[type=submit]")
    page.wait_for_url("**/a-qui-s-adresser?theme=caf&q=allocations")
    assert "trouvé" in page.locator("h2").first.inner_text()
    check_axe(page, axe_source)
    assert page.weight.total() < 30 * 1024, page.weight.sizes
    # A bad search answers in French next to the field, still accessible.
    page.goto("/a-qui-s-adresser?theme=zzz")
    assert "n'existe pas" in page.locator(".error-message").inner_text()
    check_axe(page, axe_source)


def test_planner_pages_are_accessible_for_coordinators(  # type: ignore[no-untyped-def]
    app: Flask, new_page, axe_source: str
) -> None:
    from app.demo import DEMO_PASSWORD
    from tests.browser.conftest import DESKTOP, login

    with app.app_context():
        make_user("coord@programme.example.org", "coordinator", password=DEMO_PASSWORD)
    _publish_a_busy_month(app)
    page = new_page(js=True, viewport=DESKTOP)
    login(page, "coord@programme.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    for url in ("/programme", "/programme/themes", "/programme/services"):
        page.goto(url)
        check_axe(page, axe_source)
    page.goto("/programme")
    page.locator("table a").first.click()
    check_axe(page, axe_source)
    page.locator("a", has_text="Modifier").first.click()
    check_axe(page, axe_source)
