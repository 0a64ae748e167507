"""Residents' side of the programme: calendar page, iCal feed, flyer, "à qui s'adresser"."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import icalendar
import pytest
import segno
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from app.db import db
from app.models.programme import HalfDay, Programme, ProgrammeStatus, Service, Slot
from app.models.surveys import Neighbourhood
from app.services import programme as svc
from tests.conftest import page_text

BASE_URL = "https://mairiebus.example.org"


def _month_of(day: date) -> Programme:
    programme = svc.get_programme(db.session, day.year, day.month)
    if programme is None:
        programme = Programme(year=day.year, month=day.month, status=ProgrammeStatus.PUBLISHED)
        db.session.add(programme)
    return programme


@pytest.fixture
def published(app_ctx: Flask) -> dict[str, object]:
    """Published slots yesterday, today, and in 20 days; a draft month after that."""
    themes = svc.ensure_themes(db.session)
    canto = Neighbourhood(code="canto_perdrix", name="Canto Perdrix")
    carro = Neighbourhood(code="carro", name="Carro")
    ferrieres = Neighbourhood(code="ferrieres", name="Ferrières")
    hidden = Neighbourhood(code="lavera", name="Lavéra")
    db.session.add_all([canto, carro, ferrieres, hidden])
    caf = Service(name="CAF des Bouches-du-Rhône", themes=[themes["caf"]], weekdays=["monday"])
    db.session.add(caf)
    today = svc.paris_today()
    later = today + timedelta(days=20)
    yesterday = today - timedelta(days=1)
    rows = [
        (yesterday, HalfDay.MORNING, ferrieres, "taxes", None, False),
        (today, HalfDay.AFTERNOON, carro, "digital_skills", None, False),
        (today, HalfDay.MORNING, canto, "caf", caf, False),
        (later, HalfDay.MORNING, ferrieres, "id_papers", None, True),
    ]
    for day, half, place, theme, service, cancelled in rows:
        _month_of(day).slots.append(
            Slot(
                date=day,
                half_day=half,
                neighbourhood=place,
                theme=themes[theme],
                service=service,
                cancelled=cancelled,
            )
        )
    draft_year, draft_month = svc.next_month(later)
    draft = Programme(year=draft_year, month=draft_month, status=ProgrammeStatus.DRAFT)
    draft.slots.append(
        Slot(
            date=date(draft_year, draft_month, 3),
            half_day=HalfDay.MORNING,
            neighbourhood=hidden,
            theme=themes["taxes"],
        )
    )
    db.session.add(draft)
    db.session.commit()
    return {"today": today, "later": later, "yesterday": yesterday}


def test_calendar_lists_published_stops_today_first(
    client: FlaskClient, published: dict[str, date]
) -> None:
    response = client.get("/calendrier")
    assert response.status_code == 200
    text = page_text(response)
    today, later = published["today"], published["later"]
    # Today first, morning before afternoon, then in 20 days; nothing past, no draft.
    first = text.index("Aujourd'hui : " + svc.day_label(today))
    assert first < text.index("Matin, 9 h – 12 h") < text.index("Après-midi, 14 h – 17 h")
    assert text.index("Après-midi, 14 h – 17 h") < text.index(svc.day_label(later).capitalize())
    assert "Lieu : Canto Perdrix" in text and "Lieu : Carro" in text
    assert "Thème : CAF (allocations familiales)" in text
    assert "À bord : CAF des Bouches-du-Rhône" in text
    assert "Thème : Apprendre le numérique" in text
    assert "Annulé" in text  # the cancelled stop in 20 days is shown as such
    assert "Impôts" not in text  # yesterday's stop (taxes) and the draft's are not listed
    assert "Lavéra" not in text
    assert 'href="/calendrier.ics"' in response.get_data(as_text=True)
    assert "<script" not in response.get_data(as_text=True)


def test_ical_feed_has_the_same_events_as_the_page(
    client: FlaskClient, published: dict[str, date]
) -> None:
    response = client.get("/calendrier.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    today, later = published["today"], published["later"]
    got = [
        (
            str(e["UID"]),
            e.decoded("DTSTART").date(),
            e.decoded("DTSTART").hour,
            str(e["SUMMARY"]),
            str(e["LOCATION"]),
            str(e["STATUS"]),
        )
        for e in events
    ]
    slots = svc.upcoming_slots(db.session, today)
    assert got == [
        (
            f"slot-{slots[0].id}@mairiebus.example.org",
            today,
            9,
            "Mairie Bus – Canto Perdrix : CAF",
            "Canto Perdrix",
            "CONFIRMED",
        ),
        (
            f"slot-{slots[1].id}@mairiebus.example.org",
            today,
            14,
            "Mairie Bus – Carro : Apprendre le numérique",
            "Carro",
            "CONFIRMED",
        ),
        (
            f"slot-{slots[2].id}@mairiebus.example.org",
            later,
            9,
            "Mairie Bus – Ferrières : Papiers d'identité",
            "Ferrières",
            "CANCELLED",
        ),
    ]
    assert all("DTSTAMP" in e for e in events)
    assert str(events[0].decoded("DTSTART").tzinfo) == "Europe/Paris"
    # The page lists exactly these places, in this order.
    page = page_text(client.get("/calendrier"))
    places = re.findall(r"Lieu : ([^\n<]+)", page)
    assert [p.strip() for p in places] == ["Canto Perdrix", "Carro", "Ferrières"]


def test_flyer_shows_the_month_and_a_qr_code_to_the_calendar(
    client: FlaskClient, published: dict[str, date]
) -> None:
    later = published["later"]
    response = client.get(f"/calendrier/{later.year}-{later.month:02d}/flyer")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert f"Le Mairie Bus en {svc.month_label(later.year, later.month)}" in text
    assert "Ferrières" in text and "(annulé)" in text
    # The QR code is the one segno makes for the calendar's public address.
    path = re.search(r' d="([^"]+)"', segno.make(BASE_URL + "/calendrier", error="m").svg_inline())
    assert path is not None and path.group(1) in html
    assert 'role="img" aria-label="QR code vers https://mairiebus.example.org/calendrier"' in html
    css = client.get("/static/css/programme.css").get_data(as_text=True)
    assert "@page { size: A5" in css


def test_flyer_of_a_draft_is_for_coordinators_only(
    client: FlaskClient, auth, published: dict[str, date]
) -> None:
    year, month = svc.next_month(published["later"])
    url = f"/calendrier/{year}-{month:02d}/flyer"
    response = client.get(url)
    assert response.status_code == 404
    assert "pas encore publié" in page_text(response)
    auth.login("coordinator")
    preview = client.get(url)
    assert preview.status_code == 200
    assert "Brouillon" in page_text(preview) and "Lavéra" in page_text(preview)


@pytest.mark.parametrize("url", ["/calendrier/2031-13/flyer", "/calendrier/1999-05/flyer"])
def test_bad_month_in_the_url_is_a_french_404(app: Flask, client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Ce mois n'existe pas" in page_text(response)


def test_empty_calendar_says_it_is_not_published_yet(app: Flask, client: FlaskClient) -> None:
    text = page_text(client.get("/calendrier"))
    assert "pas encore publié" in text
    feed = icalendar.Calendar.from_ical(client.get("/calendrier.ics").data)
    assert feed.walk("VEVENT") == []


def test_directory_search_by_theme_and_words(app: Flask, client: FlaskClient) -> None:
    everything = page_text(client.get("/a-qui-s-adresser"))
    assert "Tous les services" in everything
    response = client.get("/a-qui-s-adresser?theme=caf&q=")
    assert response.status_code == 200
    text = page_text(response)
    entries = svc.search_directory("caf", None)
    assert f"{len(entries)} services trouvés" in text
    assert all(entry.name in text for entry in entries)
    assert '<option selected value="caf">' in response.get_data(as_text=True)
    words = page_text(client.get("/a-qui-s-adresser?q=impot"))
    found = svc.search_directory(None, "impot")
    assert found and all(entry.name in words for entry in found)
    none = page_text(client.get("/a-qui-s-adresser?q=zzzunknown"))
    assert "Aucun service trouvé" in none and "Aucun service ne correspond" in none


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("theme=zzz-unknown", "Le thème « zzz-unknown » n'existe pas."),
        ("q=" + "a" * 101, "100 caractères au plus."),
    ],
)
def test_directory_bad_search_is_a_400_next_to_the_field(
    app: Flask, client: FlaskClient, query: str, message: str
) -> None:
    response = client.get("/a-qui-s-adresser?" + query)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in page_text(response)
    assert "error-message" in html


def test_who_to_ask_partial_for_a_persons_needs(app: Flask, published: dict[str, date]) -> None:
    template = (
        '{% from "programme/_who_to_ask.html" import who_to_ask %}'
        '{{ who_to_ask(["caf", "not_a_theme"], level=3) }}'
    )
    with app.test_request_context("/merci"):
        html = unescape(render_template_string(template))
    assert '<h3 id="who-to-ask-title">À qui s\'adresser pour vos démarches</h3>' in html
    entries = svc.directory_for_needs(["caf"])
    assert len(entries) == 4
    assert all(entry.name in html for entry in entries)
    # The next CAF stop (today, Canto Perdrix) is announced.
    assert "Canto Perdrix (CAF)" in html
    with app.test_request_context("/merci"):
        assert render_template_string(template.replace('"caf", ', "")).strip() == ""
