"""Residents' side, found in review: what a person sees after answering, and bad input."""

from __future__ import annotations

from datetime import timedelta

from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import db
from app.models.programme import HalfDay, Programme, ProgrammeStatus, Slot
from app.models.surveys import Neighbourhood
from app.services import programme as programmes
from tests.app.test_collect_views import Walker, link  # noqa: F401  (fixture)
from tests.conftest import page_text


def _publish_one_stop(app: Flask, theme: str, days_ahead: int) -> None:
    with app.app_context():
        themes = programmes.ensure_themes(db.session)
        place = db.session.scalar(
            select(Neighbourhood).where(Neighbourhood.code == "canto_perdrix")
        )
        day = programmes.paris_today() + timedelta(days=days_ahead)
        programme = Programme(year=day.year, month=day.month, status=ProgrammeStatus.PUBLISHED)
        programme.slots.append(
            Slot(date=day, half_day=HalfDay.MORNING, neighbourhood=place, theme=themes[theme])
        )
        db.session.add(programme)
        db.session.commit()


def test_thank_you_page_lists_the_next_stops_even_off_the_persons_needs(
    app: Flask,
    client: FlaskClient,
    link: str,  # noqa: F811
) -> None:
    # The person needs help with their pension; the bus's next stop is about the CAF.
    _publish_one_stop(app, "caf", days_ahead=1)
    walker = Walker(client)
    walker.start(f"/q/{link}")
    walker.answer_all()
    assert walker.send().status_code == 303
    text = page_text(client.get("/merci"))
    when = text.split("Quand passe le bus ?", 1)[1]
    assert "9 h – 12 h : Canto Perdrix (CAF" in when.split("Voir les prochains passages", 1)[0]
    # Nothing on their own needs is planned, so "à qui s'adresser" gives services, no stop.
    assert "Le Mairie Bus vient bientôt pour ces démarches" not in text
    assert "À qui s'adresser pour vos démarches" in text


def test_thank_you_page_without_any_planned_stop_still_links_the_calendar(
    client: FlaskClient,
    link: str,  # noqa: F811
) -> None:
    walker = Walker(client)
    walker.start(f"/q/{link}")
    walker.answer_all()
    walker.send()
    html = client.get("/merci").get_data(as_text=True)
    assert 'class="next-stops"' not in html
    assert "Voir les prochains passages du bus" in html


def test_thank_you_page_does_not_repeat_a_stop_on_the_persons_needs(
    app: Flask,
    client: FlaskClient,
    link: str,  # noqa: F811
) -> None:
    # The next stop is about pensions, which this person needs: it is listed once, not twice.
    _publish_one_stop(app, "pension", days_ahead=2)
    walker = Walker(client)
    walker.start(f"/q/{link}")
    walker.answer_all()
    walker.send()
    text = page_text(client.get("/merci"))
    assert text.count("Canto Perdrix (Retraite") == 1
    assert "À qui s'adresser pour vos démarches" in text


def test_calendar_days_and_months_follow_the_chosen_language(
    app: Flask,
    client: FlaskClient,
    link: str,  # noqa: F811
) -> None:
    _publish_one_stop(app, "caf", days_ahead=3)
    with app.app_context():
        day = programmes.paris_today() + timedelta(days=3)
        french_day = programmes.day_label(day)
    english_day = format_date(day, "EEEE d MMMM", locale="en")  # e.g. "Tuesday 1 December"
    french = page_text(client.get("/calendrier"))
    assert french_day[:1].upper() + french_day[1:] in french
    assert "Matin, 9 h – 12 h" in french
    english = page_text(client.get("/calendrier?lang=en"))
    assert english_day in english and french_day not in english.lower()
    assert format_date(day, "LLLL y", locale="en") in english  # the flyer link's month
    # The language stays for the next page, the flyer, without ?lang=.
    flyer = page_text(client.get(f"/calendrier/{day.year}-{day.month:02d}/flyer"))
    assert english_day in flyer
