"""iCalendar (RFC 5545) feed of the bus's published programme, built with the `icalendar` library.

Times are local to Martigues: every DTSTART/DTEND carries TZID=Europe/Paris, and the calendar
holds a matching VTIMEZONE (the EU summer-time rules as yearly RRULEs, like the big calendar
services publish, so one definition is right for every year since 1996). DTSTAMP is in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

import icalendar  # type: ignore[import-untyped]  # no stubs nor py.typed

from surveys.errors import SurveyError
from surveys.planning import (
    HALF_DAY_LABELS,
    HALF_DAYS,
    MONTH_LABELS,
    THEME_LABELS,
    THEME_SHORT_LABELS,
    WEEKDAY_LABELS,
    WEEKDAYS,
)

CONTENT_TYPE: Final = "text/calendar; charset=utf-8"
CALENDAR_NAME: Final = "Mairie Bus"
PRODID: Final = "-//Ville de Martigues//Mairie Bus//FR"
TZID: Final = "Europe/Paris"
PARIS: Final = ZoneInfo(TZID)

# A host name as it may appear on the right of a UID's "@" (RFC 5545 recommends a domain).
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?$")


class CalendarFeedError(SurveyError):
    """The slots cannot be turned into a calendar; `messages` lists the problems in French."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class HalfDayHours:
    """Opening hours of each half-day (local time)."""

    morning: tuple[dt.time, dt.time] = (dt.time(9, 0), dt.time(12, 0))
    afternoon: tuple[dt.time, dt.time] = (dt.time(14, 0), dt.time(17, 0))

    def span(self, half_day: str) -> tuple[dt.time, dt.time]:
        """Return (start, end) of a half-day code."""
        return self.morning if half_day == "morning" else self.afternoon


@dataclass(frozen=True)
class PublishedSlot:
    """A slot the coordinator published, as the web layer stores it."""

    id: int | str
    date: dt.date
    half_day: str
    place_name: str
    theme: str
    # Where exactly the bus stops ("Parking de la Maison de quartier"); the place name if None.
    location: str | None = None
    service_name: str | None = None
    # Extra French text for residents (what to bring, a note).
    note: str | None = None
    # Raise it each time a published slot changes, so calendar apps update their copy.
    sequence: int = 0
    cancelled: bool = False
    # (latitude, longitude) of the stop, for phone maps; None when unknown.
    geo: tuple[float, float] | None = None


def slot_uid(slot_id: int | str, host: str) -> str:
    """Return the stable UID of a slot: slot-<id>@<host>."""
    return f"slot-{slot_id}@{host}"


def summary(slot: PublishedSlot) -> str:
    """Return the event title, e.g. "Mairie Bus – Canto Perdrix : CAF"."""
    return f"{CALENDAR_NAME} – {slot.place_name} : {THEME_SHORT_LABELS[slot.theme]}"


def _clock(value: dt.time) -> str:
    return f"{value.hour} h" if value.minute == 0 else f"{value.hour} h {value.minute:02d}"


def describe(slot: PublishedSlot, hours: HalfDayHours = HalfDayHours()) -> str:
    """Return the event's plain French description."""
    start, end = hours.span(slot.half_day)
    day = slot.date
    when = (
        f"{WEEKDAY_LABELS[WEEKDAYS[day.weekday()]]} {day.day}"
        f"{'er' if day.day == 1 else ''} {MONTH_LABELS[day.month - 1]} {day.year}"
    )
    lines = [
        f"Le Mairie Bus est à {slot.place_name} le {when}, "
        f"de {_clock(start)} à {_clock(end)} ({HALF_DAY_LABELS[slot.half_day]}).",
        f"Thème : {THEME_LABELS[slot.theme]}.",
    ]
    if slot.service_name:
        lines.append(f"Avec : {slot.service_name}.")
    if slot.note:
        lines.append(slot.note.strip())
    if slot.cancelled:
        lines.insert(0, "ANNULÉ.")
    return "\n".join(lines)


def _validate(slots: Sequence[PublishedSlot], host: str, hours: HalfDayHours) -> None:
    errors: list[str] = []
    if not _HOST.match(host):
        errors.append(f"Nom d'hôte invalide pour les identifiants : « {host} ».")
    for half in HALF_DAYS:
        start, end = hours.span(half)
        if start >= end:
            errors.append(f"Horaires du {HALF_DAY_LABELS[half]} : le début doit précéder la fin.")
    seen: set[str] = set()
    for slot in slots:
        where = f"Créneau « {slot.id} »"
        if str(slot.id) in seen:
            errors.append(f"{where} apparaît deux fois.")
        seen.add(str(slot.id))
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", str(slot.id)):
            errors.append(f"{where} : l'identifiant ne doit contenir ni espace ni « @ ».")
        if slot.half_day not in HALF_DAYS:
            errors.append(f"{where} : demi-journée inconnue « {slot.half_day} ».")
        if slot.theme not in THEME_LABELS:
            errors.append(f"{where} : thème inconnu « {slot.theme} ».")
        if not slot.place_name.strip():
            errors.append(f"{where} : il manque le nom du lieu.")
        if type(slot.date) is not dt.date:
            errors.append(f"{where} : la date doit être un jour (sans heure).")
    if errors:
        raise CalendarFeedError(errors)


def paris_timezone() -> icalendar.Timezone:
    """Return the VTIMEZONE of Europe/Paris with the EU summer-time rules (since 1996)."""
    zone = icalendar.Timezone()
    zone.add("tzid", TZID)
    zone.add("x-lic-location", TZID)
    # Onsets are in the local time before the change (RFC 5545 3.6.5): 02:00 CET, 03:00 CEST.
    for kind, onset, month, offset_from, offset_to, name in (
        (icalendar.TimezoneDaylight, dt.datetime(1996, 3, 31, 2), 3, 1, 2, "CEST"),
        (icalendar.TimezoneStandard, dt.datetime(1996, 10, 27, 3), 10, 2, 1, "CET"),
    ):
        part = kind()
        part.add("tzname", name)
        part.add("dtstart", onset)
        part.add("tzoffsetfrom", dt.timedelta(hours=offset_from))
        part.add("tzoffsetto", dt.timedelta(hours=offset_to))
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        zone.add_component(part)
    return zone


def build_calendar(
    slots: Sequence[PublishedSlot],
    *,
    host: str,
    now: dt.datetime | None = None,
    hours: HalfDayHours = HalfDayHours(),
    name: str = CALENDAR_NAME,
    url: str | None = None,
) -> bytes:
    """Return the iCalendar file (bytes, CRLF lines) of published slots, sorted by time."""
    _validate(slots, host, hours)
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("name", name)
    cal.add("x-wr-timezone", TZID)
    cal.add("x-wr-caldesc", "Où et quand passe le Mairie Bus, et avec quel thème.")
    # Calendar apps poll the feed; twice a day is enough for a monthly programme.
    cal.add(
        "refresh-interval",
        icalendar.vDuration(dt.timedelta(hours=12)),
        parameters={"VALUE": "DURATION"},
    )
    cal.add("x-published-ttl", "PT12H")
    if url:
        cal.add("url", url)
    # Always present, so that even an empty programme is a valid calendar (one component).
    cal.add_component(paris_timezone())
    for slot in sorted(slots, key=lambda s: (s.date, HALF_DAYS.index(s.half_day), str(s.id))):
        start, end = hours.span(slot.half_day)
        event = icalendar.Event()
        event.add("uid", slot_uid(slot.id, host))
        event.add("dtstamp", stamp)
        event.add("dtstart", dt.datetime.combine(slot.date, start, tzinfo=PARIS))
        event.add("dtend", dt.datetime.combine(slot.date, end, tzinfo=PARIS))
        event.add("summary", summary(slot))
        event.add("location", slot.location or slot.place_name)
        if slot.geo is not None:
            event.add("geo", slot.geo)
        event.add("description", describe(slot, hours))
        event.add("categories", [THEME_SHORT_LABELS[slot.theme]])
        event.add("sequence", slot.sequence)
        event.add("status", "CANCELLED" if slot.cancelled else "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        if url:
            event.add("url", url)
        cal.add_component(event)
    return bytes(cal.to_ical())
