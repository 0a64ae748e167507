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
from sqlalchemy import select

from app.db import db
from app.models.programme import HalfDay, Programme, ProgrammeStatus, Service, Slot
from app.models.surveys import CollectionPoint, Neighbourhood, PointKind
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
    assert "Lieu : Lavéra" not in text
    assert 'href="/calendrier.ics"' in response.get_data(as_text=True)
    assert "<script" not in response.get_data(as_text=True)


def test_ical_feed_has_the_pages_events_and_recent_past_ones(
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
    slots = svc.published_slots_from(db.session, published["yesterday"])
    assert got == [
        (
            f"slot-{slots[0].id}@mairiebus.example.org",
            published["yesterday"],
            9,
            "Mairie Bus – Ferrières : Impôts",
            "Ferrières",
            "CONFIRMED",
        ),
        (
            f"slot-{slots[1].id}@mairiebus.example.org",
            today,
            9,
            "Mairie Bus – Canto Perdrix : CAF",
            "Canto Perdrix",
            "CONFIRMED",
        ),
        (
            f"slot-{slots[2].id}@mairiebus.example.org",
            today,
            14,
            "Mairie Bus – Carro : Apprendre le numérique",
            "Carro",
            "CONFIRMED",
        ),
        (
            f"slot-{slots[3].id}@mairiebus.example.org",
            later,
            9,
            "Mairie Bus – Ferrières : Papiers d'identité",
            "Ferrières",
            "CANCELLED",
        ),
    ]
    assert all("DTSTAMP" in e for e in events)
    assert str(events[0].decoded("DTSTART").tzinfo) == "Europe/Paris"
    # The page lists the same places from today on (yesterday's stop is only in the feed).
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


# --------------------------------------------------------------------------- issue 13, items 2 and 3


def _stop(day: date, half: HalfDay, place: object, theme: str, **extra: object) -> Slot:
    themes = svc.ensure_themes(db.session)
    where = (
        {"collection_point": place}
        if isinstance(place, CollectionPoint)
        else {"neighbourhood": place}
    )
    # The slot holds its programme: a programme only the session knew could be collected.
    programme = _month_of(day)
    slot = Slot(date=day, half_day=half, theme=themes[theme], programme=programme, **where, **extra)  # type: ignore[arg-type]
    db.session.add(slot)
    return slot


def test_calendar_shows_next_month_when_this_month_is_not_published(
    app_ctx: Flask, client: FlaskClient
) -> None:
    """Only next month published (what the old demo did): its stops are listed, not "pas encore"."""
    today = svc.paris_today()
    year, month = svc.next_month(today)
    carro = Neighbourhood(code="carro", name="Carro")
    db.session.add(carro)
    _stop(date(year, month, 10), HalfDay.MORNING, carro, "caf")
    # Far ahead, beyond the 31 days the page used to stop at.
    far = today + timedelta(days=75)
    _stop(far, HalfDay.AFTERNOON, carro, "taxes")
    db.session.commit()
    text = page_text(client.get("/calendrier"))
    assert "pas encore publié" not in text
    assert svc.day_label(date(year, month, 10)).capitalize() in text
    assert svc.day_label(far).capitalize() in text
    assert "Tous les passages prévus" in text


def test_calendar_filters_by_neighbourhood_and_gives_the_exact_stop(
    app_ctx: Flask, client: FlaskClient
) -> None:
    today = svc.paris_today()
    canto = Neighbourhood(
        code="canto_perdrix",
        name="Canto Perdrix",
        latitude=43.414,
        longitude=5.036,
        stop_name="Parking de la Maison de quartier",
        stop_address="Avenue Marcel Cachin",
    )
    boudeme = Neighbourhood(code="boudeme", name="Boudème")
    ferrieres = Neighbourhood(code="ferrieres", name="Ferrières")
    db.session.add_all([canto, boudeme, ferrieres])
    auchan = CollectionPoint(
        code="auchan",
        name="Centre commercial Auchan",
        kind=PointKind.SHOPPING_CENTRE,
        neighbourhood=boudeme,
        address="Route de Martigues",
        latitude=43.4218,
        longitude=5.0431,
    )
    db.session.add(auchan)
    _stop(today, HalfDay.MORNING, canto, "caf")
    _stop(today + timedelta(days=1), HalfDay.AFTERNOON, auchan, "taxes")
    _stop(today + timedelta(days=2), HalfDay.MORNING, ferrieres, "id_papers")
    db.session.commit()

    everything = page_text(client.get("/calendrier"))
    assert "Quand passe le bus près de chez moi ?" in everything
    assert "Arrêt : Parking de la Maison de quartier, Avenue Marcel Cachin" in everything
    assert "Arrêt : Centre commercial Auchan, Route de Martigues" in everything
    # Without a stop given, the neighbourhood's name stands for it, and no map link is made.
    assert "Arrêt : Ferrières" in everything
    assert (
        'href="https://www.openstreetmap.org/?mlat=43.41400&amp;mlon=5.03600'
        '#map=18/43.41400/5.03600"'
        in everything.replace("&", "&amp;").replace("&amp;amp;", "&amp;")
    )
    assert everything.count("voir sur le plan") == 2

    # A point counts for the neighbourhood it stands in.
    response = client.get("/calendrier?quartier=boudeme")
    assert response.status_code == 200
    near = page_text(response)
    assert "Les prochains passages à Boudème" in near
    assert "Centre commercial Auchan" in near and "Canto Perdrix" not in near.split("<select")[0]
    assert re.findall(r"Lieu : ([^\n<]+)", near) == ["Centre commercial Auchan"]
    assert '<option value="boudeme" selected>' in near

    none = page_text(
        client.get("/calendrier?quartier=ferrieres&depuis=" + str(today + timedelta(days=5)))
    )
    assert "Pas de passage prévu à Ferrières pour l'instant." in none

    bad = client.get("/calendrier?quartier=atlantis")
    assert bad.status_code == 400
    assert "Ce quartier n'est pas dans la liste" in page_text(bad)
    assert 'aria-invalid="true"' in page_text(bad)


def test_calendar_pages_through_every_published_day(app_ctx: Flask, client: FlaskClient) -> None:
    today = svc.paris_today()
    carro = Neighbourhood(code="carro", name="Carro")
    db.session.add(carro)
    days = [today + timedelta(days=n) for n in range(svc.PAGE_DAYS + 3)]
    for day in days:
        _stop(day, HalfDay.MORNING, carro, "caf")
    db.session.commit()
    first = page_text(client.get("/calendrier"))
    assert len(re.findall(r"Lieu : Carro", first)) == svc.PAGE_DAYS
    following = days[svc.PAGE_DAYS]
    link = f'href="/calendrier?depuis={following.isoformat()}"'
    assert link in first
    second = page_text(client.get(f"/calendrier?depuis={following.isoformat()}"))
    assert len(re.findall(r"Lieu : Carro", second)) == 3
    assert "Passages suivants" not in second and "Revenir aux passages d'aujourd'hui" in second
    # An old link starts today; a garbled one says so and starts today too.
    old = page_text(client.get(f"/calendrier?depuis={(today - timedelta(days=9)).isoformat()}"))
    assert len(re.findall(r"Lieu : Carro", old)) == svc.PAGE_DAYS
    garbled = client.get("/calendrier?depuis=demain")
    assert garbled.status_code == 400 and "Cette date est illisible" in page_text(garbled)


def test_ical_feed_carries_three_months_back_and_all_the_future(
    app_ctx: Flask, client: FlaskClient
) -> None:
    today = svc.paris_today()
    canto = Neighbourhood(
        code="canto_perdrix",
        name="Canto Perdrix",
        latitude=43.414,
        longitude=5.036,
        stop_name="Parking de la Maison de quartier",
        stop_address="Avenue Marcel Cachin",
    )
    db.session.add(canto)
    recent = today - timedelta(days=80)
    too_old = today - timedelta(days=100)
    far = today + timedelta(days=200)
    for day in (too_old, recent, far):
        _stop(day, HalfDay.MORNING, canto, "caf")
    db.session.commit()
    events = icalendar.Calendar.from_ical(client.get("/calendrier.ics").data).walk("VEVENT")
    assert [e.decoded("DTSTART").date() for e in events] == [recent, far]
    assert str(events[0]["LOCATION"]) == (
        "Parking de la Maison de quartier, Avenue Marcel Cachin, Canto Perdrix"
    )
    geo = events[0]["GEO"]
    assert (geo.latitude, geo.longitude) == (43.414, 5.036)


def test_feed_start_is_three_months_back_even_at_a_months_end() -> None:
    assert svc.feed_start(date(2026, 12, 2)) == date(2026, 9, 2)
    assert svc.feed_start(date(2027, 5, 31)) == date(2027, 2, 28)
    assert svc.feed_start(date(2027, 1, 15)) == date(2026, 10, 15)


def test_demo_on_2_december_fills_the_calendar_and_the_feed(
    app_ctx: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: on 2 December the feed was empty because only January was published."""
    from app.demo_seeders import programme as seeder

    monkeypatch.setattr(svc, "paris_today", lambda: date(2026, 12, 2))
    seeder.seed(lambda line: None)
    december = svc.get_programme(db.session, 2026, 12)
    january = svc.get_programme(db.session, 2027, 1)
    assert december is not None and december.is_published
    assert january is not None and january.is_published
    # The planner did not propose 1 December, already past.
    assert min(slot.date for slot in december.slots) >= date(2026, 12, 2)
    events = icalendar.Calendar.from_ical(client.get("/calendrier.ics").data).walk("VEVENT")
    months = {(e.decoded("DTSTART").year, e.decoded("DTSTART").month) for e in events}
    assert months == {(2026, 12), (2027, 1)}
    # Demo neighbourhoods have a named stop with its address.
    text = page_text(client.get("/calendrier"))
    assert "pas encore publié" not in text
    assert "Aujourd'hui : mercredi 2 décembre" in text
    assert "Arrêt : " in text


def test_coordinators_give_the_stops_that_the_calendar_shows(
    app: Flask, client: FlaskClient, auth, runner
) -> None:  # type: ignore[no-untyped-def]
    """A point's address from the points form; a neighbourhood's stop from the command line."""
    from tests.conftest import csrf_token

    today = svc.paris_today()
    with app.app_context():
        db.session.add_all(
            [
                Neighbourhood(code="mas_de_pouane", name="Mas de Pouane"),
                Neighbourhood(code="ferrieres", name="Ferrières"),
            ]
        )
        db.session.commit()
    auth.login("coordinator")
    token = csrf_token(client, "/points/nouveau")
    created = client.post(
        "/points/nouveau",
        data={
            "csrf_token": token,
            "name": "Parc de Figuerolles",
            "kind": "park",
            "neighbourhood": "mas_de_pouane",
            "address": "  Chemin de   Figuerolles ",
            "latitude": "43,398",
            "longitude": "5.028",
        },
    )
    assert created.status_code == 303
    result = runner.invoke(
        args=["sites", "stop", "ferrieres", "--name", "Place des Aires", "--address", "Ferrières"]
    )
    assert result.exit_code == 0, result.output
    unknown = runner.invoke(args=["sites", "stop", "atlantis", "--name", "Quai"])
    assert unknown.exit_code != 0 and "Ce quartier n'existe pas." in unknown.output
    with app.app_context():
        point = db.session.scalar(select(CollectionPoint))
        assert point is not None and point.address == "Chemin de Figuerolles"
        point_id = point.id
        ferrieres = db.session.scalar(
            select(Neighbourhood).where(Neighbourhood.code == "ferrieres")
        )
        _stop(today, HalfDay.MORNING, point, "caf")
        _stop(today, HalfDay.AFTERNOON, ferrieres, "taxes")
        db.session.commit()
    text = page_text(client.get("/calendrier"))
    assert "Arrêt : Parc de Figuerolles, Chemin de Figuerolles" in text
    assert "Arrêt : Place des Aires, Ferrières" in text
    edit = page_text(client.get(f"/points/{point_id}"))
    assert 'value="Chemin de Figuerolles"' in edit
