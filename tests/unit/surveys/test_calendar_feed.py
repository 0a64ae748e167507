"""iCalendar feed: built, then parsed back with the icalendar library and checked field by field."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar  # type: ignore[import-untyped]
import pytest

from surveys.calendar_feed import (
    CONTENT_TYPE,
    CalendarFeedError,
    HalfDayHours,
    PublishedSlot,
    build_calendar,
    slot_uid,
)

PARIS = ZoneInfo("Europe/Paris")
HOST = "mairiebus.example.org"
NOW = dt.datetime(2025, 3, 20, 16, 30, 12, 999, tzinfo=dt.UTC)
SPRING = PublishedSlot(
    id=7,
    date=dt.date(2025, 4, 2),
    half_day="morning",
    place_name="Canto Perdrix",
    theme="caf",
    location="Place de la Maison de quartier, Canto Perdrix",
    service_name="CAF des Bouches-du-Rhône",
    note="Apportez vos identifiants CAF.",
)
AUTUMN = PublishedSlot(
    id=8, date=dt.date(2025, 11, 3), half_day="afternoon", place_name="Boudème", theme="taxes"
)


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def events(data: bytes) -> list[icalendar.Event]:
    return list(parse(data).walk("VEVENT"))


def test_calendar_properties() -> None:
    data = build_calendar([SPRING], host=HOST, now=NOW)
    cal = parse(data)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == "-//Ville de Martigues//Mairie Bus//FR"
    assert str(cal["X-WR-CALNAME"]) == "Mairie Bus"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert CONTENT_TYPE == "text/calendar; charset=utf-8"
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # every line ends with CRLF
    assert max(len(line) for line in data.split(b"\r\n")) <= 75  # folded as RFC 5545 says


def test_event_fields_round_trip() -> None:
    (event,) = events(build_calendar([SPRING], host=HOST, now=NOW))
    assert str(event["UID"]) == "slot-7@mairiebus.example.org"
    assert event.decoded("DTSTAMP") == dt.datetime(2025, 3, 20, 16, 30, 12, tzinfo=dt.UTC)
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == dt.datetime(2025, 4, 2, 9, 0, tzinfo=PARIS)
    assert end == dt.datetime(2025, 4, 2, 12, 0, tzinfo=PARIS)
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert start.utcoffset() == dt.timedelta(hours=2)  # summer time
    assert str(event["SUMMARY"]) == "Mairie Bus – Canto Perdrix : CAF"
    assert str(event["LOCATION"]) == "Place de la Maison de quartier, Canto Perdrix"
    assert str(event["DESCRIPTION"]) == (
        "Le Mairie Bus est à Canto Perdrix le mercredi 2 avril 2025, de 9 h à 12 h (matin).\n"
        "Thème : CAF (allocations familiales).\n"
        "Avec : CAF des Bouches-du-Rhône.\n"
        "Apportez vos identifiants CAF."
    )
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 0


def test_winter_event_uses_winter_offset_and_place_as_location() -> None:
    (event,) = events(build_calendar([AUTUMN], host=HOST, now=NOW))
    start = event.decoded("DTSTART")
    assert start == dt.datetime(2025, 11, 3, 14, 0, tzinfo=PARIS)
    assert start.utcoffset() == dt.timedelta(hours=1)
    assert str(event["LOCATION"]) == "Boudème"
    assert str(event["SUMMARY"]) == "Mairie Bus – Boudème : Impôts"
    assert str(event["DESCRIPTION"]) == (
        "Le Mairie Bus est à Boudème le lundi 3 novembre 2025, de 14 h à 17 h (après-midi).\n"
        "Thème : Impôts."
    )


def test_vtimezone_agrees_with_the_tz_database() -> None:
    cal = parse(build_calendar([AUTUMN], host=HOST, now=NOW))
    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Paris"
    tz = zone.to_tz()
    for moment in (
        dt.datetime(2025, 3, 30, 1, 59),
        dt.datetime(2025, 3, 30, 3, 0),
        dt.datetime(2025, 10, 26, 3, 30),
        dt.datetime(2030, 7, 1, 12, 0),
        dt.datetime(2031, 1, 15, 12, 0),
    ):
        assert tz.utcoffset(moment) == moment.replace(tzinfo=PARIS).utcoffset(), moment


def test_events_sorted_uids_stable_and_only_dtstamp_changes() -> None:
    first = build_calendar([AUTUMN, SPRING], host=HOST, now=NOW)
    later = build_calendar([AUTUMN, SPRING], host=HOST, now=NOW + dt.timedelta(days=3))
    assert [str(e["UID"]) for e in events(first)] == [slot_uid(7, HOST), slot_uid(8, HOST)]
    assert first != later
    assert first.replace(b"20250320T163012Z", b"20250323T163012Z") == later


def test_hours_are_parameters_and_cancellation_is_published() -> None:
    hours = HalfDayHours(afternoon=(dt.time(13, 30), dt.time(16, 30)))
    cancelled = PublishedSlot(
        9, dt.date(2025, 4, 3), "afternoon", "Carro", "leisure", sequence=2, cancelled=True
    )
    (event,) = events(build_calendar([cancelled], host=HOST, now=NOW, hours=hours))
    assert event.decoded("DTSTART") == dt.datetime(2025, 4, 3, 13, 30, tzinfo=PARIS)
    assert event.decoded("DTEND") == dt.datetime(2025, 4, 3, 16, 30, tzinfo=PARIS)
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("SEQUENCE") == 2
    assert str(event["DESCRIPTION"]).startswith(
        "ANNULÉ.\nLe Mairie Bus est à Carro le jeudi 3 avril 2025, de 13 h 30 à 16 h 30"
    )


def test_first_of_month_reads_premier_and_url_is_optional() -> None:
    slot = PublishedSlot("a-1", dt.date(2025, 7, 1), "morning", "Lavéra", "energy")
    data = build_calendar(
        [slot], host="127.0.0.1:5000", now=NOW, url="http://127.0.0.1:5000/calendrier"
    )
    (event,) = events(data)
    assert str(event["UID"]) == "slot-a-1@127.0.0.1:5000"
    assert str(event["URL"]) == "http://127.0.0.1:5000/calendrier"
    assert "le mardi 1er juillet 2025" in str(event["DESCRIPTION"])


def test_empty_programme_is_still_a_valid_calendar() -> None:
    cal = parse(build_calendar([], host=HOST, now=NOW))
    assert list(cal.walk("VEVENT")) == []
    assert len(cal.walk("VTIMEZONE")) == 1


def test_bad_input_lists_problems_in_french() -> None:
    slots = [
        PublishedSlot(1, dt.date(2025, 4, 2), "evening", " ", "impots"),
        PublishedSlot(1, dt.datetime(2025, 4, 2, 9), "morning", "Carro", "caf"),  # type: ignore[arg-type]
        PublishedSlot("a b", dt.date(2025, 4, 2), "morning", "Carro", "caf"),
    ]
    hours = HalfDayHours(morning=(dt.time(12), dt.time(9)))
    with pytest.raises(CalendarFeedError) as error:
        build_calendar(slots, host="bad host", now=NOW, hours=hours)
    assert error.value.messages == [
        "Nom d'hôte invalide pour les identifiants : « bad host ».",
        "Horaires du matin : le début doit précéder la fin.",
        "Créneau « 1 » : demi-journée inconnue « evening ».",
        "Créneau « 1 » : thème inconnu « impots ».",
        "Créneau « 1 » : il manque le nom du lieu.",
        "Créneau « 1 » apparaît deux fois.",
        "Créneau « 1 » : la date doit être un jour (sans heure).",
        "Créneau « a b » : l'identifiant ne doit contenir ni espace ni « @ ».",
    ]
