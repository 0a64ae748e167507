"""The logbook on the bus tablet (1024x768) in real Chromium: a visit in a few taps, a referral
whose email reaches a real SMTP server, the referent's link, the dashboard; and without JS."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from app.db import db
from app.demo import DEMO_PASSWORD
from app.models.journal import Referent, Referral, ReferralStatus, Visit
from app.models.programme import HalfDay, Programme, ProgrammeStatus, Slot
from app.models.surveys import Neighbourhood
from app.services import journal as svc
from app.services import programme as programme_svc
from tests.browser.conftest import PHONE, check_axe, login
from tests.conftest import make_user

TABLET = {"width": 1024, "height": 768}


def _town(app: Flask) -> None:
    with app.app_context():
        themes = programme_svc.ensure_themes(db.session)
        place = Neighbourhood(code="mas_de_pouane", name="Mas de Pouane")
        db.session.add(place)
        db.session.flush()
        today = programme_svc.paris_today()
        programme = Programme(year=today.year, month=today.month, status=ProgrammeStatus.PUBLISHED)
        programme.slots = [
            Slot(date=today, half_day=half, neighbourhood_id=place.id, theme_id=themes["caf"].id)
            for half in HalfDay
        ]
        db.session.add_all(
            [
                programme,
                Referent(
                    name="Sandrine Garcia",
                    email="sandrine.garcia@caf.example.net",
                    phone="04 42 00 00 02",
                    themes=[themes["caf"], themes["housing"]],
                ),
            ]
        )
        db.session.commit()
        make_user("aidant-journal@browser.example.org", "aidant", password=DEMO_PASSWORD)
        make_user("coord-journal@browser.example.org", "coordinator", password=DEMO_PASSWORD)


class Taps:
    """Counts what the aidant taps (scrolling is free, typing is not needed)."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.count = 0

    def text(self, label: str) -> None:
        self.page.get_by_text(label, exact=True).click()
        self.count += 1

    def button(self, label: str) -> None:
        self.page.get_by_role("button", name=label).click()
        self.count += 1


def test_visits_and_referral_on_the_tablet(
    app: Flask, new_page, axe_source: str, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    _town(app)
    page = new_page(js=True, viewport=TABLET)
    login(page, "aidant-journal@browser.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")

    # The common case: the place comes from today's programme.
    page.goto("/journal/passage")
    assert page.locator("select[name=place] option:checked").inner_text() == "Mas de Pouane"
    assert not page.locator("#referral-block").is_visible()  # shown only for "Orienté vers…"
    check_axe(page, axe_source)
    taps = Taps(page)
    taps.text("CAF : déclaration trimestrielle, RSA, prime d'activité")
    taps.text("Réglé sur place")
    taps.text("15 min")
    taps.button("Enregistrer le passage")
    page.wait_for_url("**/journal#passage-*")
    assert taps.count <= 6
    assert "Passage enregistré." in page.content()

    # A referral: the email leaves for the referent.
    page.goto("/journal/passage")
    page.fill("#procedure-filter", "apl")  # the search box filters the list
    assert page.get_by_text("impots.gouv : déclaration de revenus", exact=True).is_hidden()
    taps = Taps(page)
    taps.text("CAF : aide au logement (APL)")
    taps.text("Orienté vers…")
    taps.text("Sandrine Garcia")
    taps.text("20 min")
    taps.button("Enregistrer le passage")
    page.wait_for_url("**/journal#passage-*")
    assert taps.count <= 6
    check_axe(page, axe_source)
    (received,) = smtp_server.sink.wait_for(1)
    assert received.rcpt_tos == ["sandrine.garcia@caf.example.net"]
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    assert "CAF : aide au logement (APL)" in body
    path = re.search(r"https://mairiebus\.example\.org(/orientation/\S+)", body)
    assert path, body

    # The referent, without an account and without JavaScript, marks it solved.
    referent = new_page(js=False, viewport=PHONE)  # often read on a phone
    referent.goto(path.group(1))
    assert referent.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert "CAF : aide au logement (APL)" in referent.content()
    check_axe(referent, axe_source)
    assert referent.weight.total() < 30 * 1024  # type: ignore[attr-defined]
    referent.get_by_text("Réglé", exact=True).click()
    referent.get_by_role("button", name="Envoyer ma réponse").click()
    referent.wait_for_load_state()
    assert "Merci, c'est noté." in referent.content()
    with app.app_context():
        referral = db.session.scalars(select(Referral)).one()
        assert referral.status is ReferralStatus.SOLVED

    # The aidant's day view says so; the coordinators' dashboard counts the visits.
    page.goto("/journal")
    assert "Réglé" in page.locator(f"#passage-{referral.visit_id}").inner_text()
    with app.app_context():  # three more visits of the day: the k >= 5 rule lets figures show
        place = db.session.scalar(
            select(Neighbourhood.id).where(Neighbourhood.code == "mas_de_pouane")
        )
        for number in range(3):
            data = svc.VisitInput(
                place=f"n{place}", procedures=["ants_id_card"], outcome="solved", minutes=10
            )
            svc.record_visit(
                db.session, data, aidant_id=None, key=f"browser-extra-visit-{number:04d}"
            )
    desk = new_page(js=True, viewport=TABLET)
    login(desk, "coord-journal@browser.example.org", DEMO_PASSWORD)
    desk.wait_for_url("**/espace")
    desk.goto("/dashboard")
    section = desk.locator("#journal")
    assert "Passages : 5" in section.inner_text()
    assert "Orientations : moins de 5" in section.inner_text()
    assert section.locator("tr", has_text="Mas de Pouane").inner_text().split()[-1] == "5"
    check_axe(desk, axe_source)


def test_recording_a_visit_without_javascript(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    _town(app)
    page = new_page(js=False, viewport=TABLET)
    login(page, "aidant-journal@browser.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto("/journal/passage")
    assert page.locator("#referral-block").is_visible()  # no script: everything is shown
    page.get_by_role("button", name="Enregistrer le passage").click()  # nothing chosen
    assert "Choisissez au moins une démarche ou un thème." in page.content()
    page.get_by_text("Ameli : carte Vitale, complémentaire santé solidaire", exact=True).click()
    page.get_by_text("À rappeler", exact=True).click()
    page.get_by_text("Âge, quartier, recontacter la personne, note").click()  # <details> opens
    page.get_by_label("La personne veut être recontactée").check()
    page.get_by_label("Prénom", exact=True).fill("Josiane")
    page.get_by_label("Téléphone", exact=True).fill("06 39 98 45 12")
    page.get_by_role("button", name="Enregistrer le passage").click()
    page.wait_for_url("**/journal#passage-*")
    assert "Josiane" in page.locator("text=Personnes à rappeler").locator("..").inner_text()
    with app.app_context():
        visit = db.session.scalars(select(Visit)).one()
        assert visit.themes == ["health_insurance"] and visit.phone == "06 39 98 45 12"
